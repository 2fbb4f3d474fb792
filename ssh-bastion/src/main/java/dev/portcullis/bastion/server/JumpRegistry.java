package dev.portcullis.bastion.server;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Ties the inner connection of a ProxyJump ({@code ssh -J alice@bastion ubuntu@prod-web-1}) to its outer one.
 * The bastion terminates the inner SSH connection itself: the outer connection's direct-tcpip channel is joined to
 * the bastion's own listener over loopback, and the loopback source port of that join identifies the jump.
 */
final class JumpRegistry {

    /** @param clientAddress where the person really connects from, for the session index */
    record Jump(String person, String target, String clientAddress) {}

    private final Map<Integer, Jump> byLocalPort = new ConcurrentHashMap<>();

    void register(SocketAddress joinSource, Jump jump) {
        byLocalPort.put(port(joinSource), jump);
    }

    void remove(SocketAddress joinSource) {
        byLocalPort.remove(port(joinSource));
    }

    /** @return the jump whose join comes from this address, or null for an ordinary connection */
    Jump lookup(SocketAddress client) {
        if (client instanceof InetSocketAddress inet && inet.getAddress().isLoopbackAddress()) {
            return byLocalPort.get(inet.getPort());
        }
        return null;
    }

    private static int port(SocketAddress address) {
        return ((InetSocketAddress) address).getPort();
    }
}
