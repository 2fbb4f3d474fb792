package dev.portcullis.bastion.db;

import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Query cancellation (Ctrl-C in psql) through the proxy. Clients get a key of the proxy's own instead of the server's
 * (which would tell them the server's process id and let them cancel other people's queries if leaked); a
 * CancelRequest with a key the proxy handed out is passed to the right server with the server's key, any other is
 * dropped without an answer, as PostgreSQL does.
 */
final class CancelKeys {

    private record ServerKey(InetSocketAddress address, int pid, int secret) {}

    private final SecureRandom random = new SecureRandom();
    private final Map<Long, ServerKey> keys = new ConcurrentHashMap<>();

    /** A fresh client-side key (process id, secret) for this server session. */
    long register(InetSocketAddress server, int pid, int secret) {
        while (true) {
            long key = ((long) (random.nextInt() & 0x7fffffff) << 32) | (random.nextInt() & 0xffffffffL);
            if (keys.putIfAbsent(key, new ServerKey(server, pid, secret)) == null) {
                return key;
            }
        }
    }

    void unregister(long key) {
        keys.remove(key);
    }

    void cancel(int pid, int secret, Duration timeout) {
        ServerKey target = keys.get(((long) pid << 32) | (secret & 0xffffffffL));
        if (target != null) {
            PgUpstream.cancel(target.address(), target.pid(), target.secret(), timeout);
        }
    }

    static int pid(long key) {
        return (int) (key >>> 32);
    }

    static int secret(long key) {
        return (int) key;
    }
}
