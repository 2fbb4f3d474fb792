package dev.portcullis.bastion.db;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Connections not yet logged in, counted per source: an IPv4 address, or an IPv6 /64 (one host usually holds a whole
 * /64, so counting single IPv6 addresses would bound nothing). Whoever opens connections and sends nothing holds at
 * most this many of the proxy's slots, each for at most the pre-login timeout.
 */
final class PreLoginSlots {

    private final int perSource;
    private final ConcurrentHashMap<String, Integer> held = new ConcurrentHashMap<>();

    PreLoginSlots(int perSource) {
        this.perSource = perSource;
    }

    static String source(InetAddress address) {
        byte[] b = address.getAddress();
        if (address instanceof Inet6Address && b.length == 16) {
            StringBuilder prefix = new StringBuilder("v6:");
            for (int i = 0; i < 8; i++) {
                prefix.append(String.format("%02x", b[i] & 0xff));
            }
            return prefix.toString();
        }
        return address.getHostAddress();
    }

    boolean acquire(String source) {
        boolean[] ok = {false};
        held.compute(source, (k, n) -> {
            int now = n == null ? 0 : n;
            if (now >= perSource) {
                return now;
            }
            ok[0] = true;
            return now + 1;
        });
        return ok[0];
    }

    void release(String source) {
        held.computeIfPresent(source, (k, n) -> n <= 1 ? null : n - 1);
    }
}
