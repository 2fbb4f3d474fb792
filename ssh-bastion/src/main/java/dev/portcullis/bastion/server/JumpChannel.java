package dev.portcullis.bastion.server;

import dev.portcullis.bastion.session.SessionServices;
import dev.portcullis.bastion.upstream.TargetInventory;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.function.Supplier;
import java.util.logging.Logger;
import org.apache.sshd.client.future.DefaultOpenFuture;
import org.apache.sshd.client.future.OpenFuture;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.channel.Channel;
import org.apache.sshd.common.channel.ChannelFactory;
import org.apache.sshd.common.channel.exception.SshChannelOpenException;
import org.apache.sshd.common.io.IoSession;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;
import org.apache.sshd.server.forward.TcpForwardingFilter;
import org.apache.sshd.server.forward.TcpipServerChannel;

/**
 * A direct-tcpip channel of a jump connection (port forwarding on a login+target connection is {@link ForwardedChannel}).
 * On a jump connection ({@code ssh -J alice@bastion ubuntu@prod-web-1}) asking for a target
 * by name, the channel is joined to the bastion's own SSH listener, so the bastion terminates the inner SSH
 * connection itself (with a host certificate naming the target) and proxies and records it like any other. Every
 * other destination is refused: the bastion never opens raw TCP to anywhere on a user's behalf.
 */
final class JumpChannel extends TcpipServerChannel {

    private static final Logger LOG = Logger.getLogger(JumpChannel.class.getName());

    static final class Factory implements ChannelFactory {
        private final JumpRegistry jumps;
        private final Supplier<TargetInventory> inventory;
        private final Supplier<InetSocketAddress> self;

        private final SessionServices services;
        private final ChannelLimits limits;

        Factory(JumpRegistry jumps, SessionServices services, ChannelLimits limits, Supplier<InetSocketAddress> self) {
            this.jumps = jumps;
            this.limits = limits;
            this.inventory = services.inventory();
            this.services = services;
            this.self = self;
        }

        @Override
        public String getName() {
            return "direct-tcpip";
        }

        /** On a login+target connection direct-tcpip is port forwarding; on any other it is a jump. */
        @Override
        public Channel createChannel(Session session) {
            String refusal = limits.admit(session);
            if (refusal != null) {
                return new RefusedChannel(refusal);
            }
            Connection connection = Connection.of(session);
            if (connection != null && connection.destination() != null) {
                return new ForwardedChannel(services, limits);
            }
            return new JumpChannel(this);
        }
    }

    private final Factory factory;
    private volatile JumpRegistry.Jump pending;

    private JumpChannel(Factory factory) {
        super(TcpForwardingFilter.Type.Direct, null);
        this.factory = factory;
    }

    @Override
    public OpenFuture open(long recipient, long rwSize, long packetSize, Buffer buffer) {
        return factory.limits.track(this, super.open(recipient, rwSize, packetSize, buffer));
    }

    @Override
    protected OpenFuture doInit(Buffer buffer) {
        String host = buffer.getString();
        int port = buffer.getInt();
        String originHost = buffer.getString();
        int originPort = buffer.getInt();
        Connection connection = Connection.of(getSession());
        if (connection == null) {
            return refused("not authenticated");
        }
        if (!Destination.validTarget(host) || !factory.inventory.get().names().contains(host)) {
            LOG.info(() -> connection.person() + " asked to jump to unknown target " + host);
            return refused("there is no target named '" + host + "' behind this bastion");
        }
        pending = new JumpRegistry.Jump(connection.person(), host, connection.clientAddress());
        InetSocketAddress self = factory.self.get();
        Buffer rewritten = new ByteArrayBuffer();
        rewritten.putString(self.getAddress().getHostAddress());
        rewritten.putInt(self.getPort());
        rewritten.putString(originHost);
        rewritten.putInt(originPort);
        return super.doInit(rewritten);
    }

    @Override
    protected void handleChannelOpenSuccess(OpenFuture f, IoSession joined) {
        SocketAddress source = joined.getLocalAddress();
        factory.jumps.register(source, pending);
        addCloseFutureListener(c -> factory.jumps.remove(source));
        super.handleChannelOpenSuccess(f, joined);
    }

    private OpenFuture refused(String message) {
        RefusalReasons.remember(getSession(), getRecipient(), message);
        DefaultOpenFuture f = new DefaultOpenFuture(this, new Object());
        f.setException(new SshChannelOpenException(
                getChannelId(), SshConstants.SSH_OPEN_ADMINISTRATIVELY_PROHIBITED, message));
        return f;
    }

    static boolean isSelf(InetSocketAddress candidate, InetSocketAddress self) {
        return candidate != null
                && self != null
                && candidate.getPort() == self.getPort()
                && candidate.getAddress() != null
                && candidate.getAddress().equals(self.getAddress());
    }
}
