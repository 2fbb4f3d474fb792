package dev.portcullis.bastion.server;

import dev.portcullis.bastion.session.SessionServices;
import dev.portcullis.ssh.ed25519.JdkEd25519;
import dev.portcullis.workflow.port.GrantAuthority;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.security.KeyPair;
import java.security.PublicKey;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.sshd.client.future.OpenFuture;
import org.apache.sshd.common.channel.Channel;
import org.apache.sshd.common.channel.ChannelFactory;
import org.apache.sshd.common.config.keys.OpenSshCertificate;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.session.SessionListener;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.core.CoreModuleProperties;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.channel.ChannelSessionFactory;
import org.apache.sshd.server.forward.ForwardingFilter;
import org.apache.sshd.server.forward.TcpForwardingFilter;
import org.apache.sshd.server.subsystem.SubsystemFactory;

/**
 * The bastion's SSH server (Apache MINA SSHD): certificate authentication, and every shell, exec and SFTP channel
 * proxied to the target through {@link ProxiedChannel}. Port, agent and X11 forwarding are refused; direct-tcpip
 * only serves ProxyJump to targets by name ({@link JumpChannel}).
 */
public final class BastionServer implements AutoCloseable {

    static {
        // MINA's Ed25519 is the JDK's; it must be in place before MINA reads or makes a key
        JdkEd25519.install();
    }

    private static final java.util.logging.Logger LOG =
            java.util.logging.Logger.getLogger(BastionServer.class.getName());

    /**
     * @param hostKey     the bastion's own host key
     * @param hostCert    a host certificate from the broker's host CA for the bastion's and the targets' names, or null
     * @param userCa      the broker's user CA key; null while unknown (then nobody gets in)
     * @param plainKeys   person to plain key, only when an operator allows plain keys
     * @param limits      what one connection may cost the bastion
     */
    public record Options(
            String host,
            int port,
            KeyPair hostKey,
            Supplier<OpenSshCertificate> hostCert,
            Supplier<PublicKey> userCa,
            Map<String, PublicKey> plainKeys,
            ChannelLimits.Settings limits) {

        public Options(
                String host,
                int port,
                KeyPair hostKey,
                Supplier<OpenSshCertificate> hostCert,
                Supplier<PublicKey> userCa,
                Map<String, PublicKey> plainKeys) {
            this(host, port, hostKey, hostCert, userCa, plainKeys, ChannelLimits.Settings.defaults());
        }
    }

    private final SshServer server;
    private final ChannelLimits limits;
    private volatile InetSocketAddress self;

    private BastionServer(SshServer server, ChannelLimits limits) {
        this.server = server;
        this.limits = limits;
    }

    static BastionServer start(Options options, AgentRelay agents, SessionServices shared) throws IOException {
        SshServer server = SshServer.setUpDefaultServer();
        ChannelLimits limits = new ChannelLimits(options.limits(), shared.clock());
        // the SSH side remembers refusals per person, so a flood of channels without a grant costs few broker calls
        RefusalBackoff authority =
                new RefusalBackoff(shared.authority(), options.limits().refusalBackoff(), shared.clock());
        SessionServices services = new SessionServices(
                authority,
                shared.index(),
                shared.inventory(),
                shared.connector(),
                shared.recordings(),
                shared.live(),
                shared.setup(),
                shared.clock(),
                shared.portalUrl(),
                shared.bastionName(),
                shared.connectTimeout(),
                shared.recordingHealth());
        BastionServer bastion = new BastionServer(server, limits);
        JumpRegistry jumps = new JumpRegistry();
        server.setHost(options.host());
        server.setPort(options.port());
        server.setKeyPairProvider(KeyPairProvider.wrap(options.hostKey()));
        server.setCipherFactories(Ciphers.OFFERED);
        server.setHostKeyCertificateProvider(session -> {
            OpenSshCertificate cert = options.hostCert().get();
            return cert == null ? List.of() : List.of(cert);
        });
        server.setPublickeyAuthenticator(
                new CertificateAuthenticator(options.userCa(), options.plainKeys(), jumps, services.clock()));
        server.setPasswordAuthenticator(null);
        server.setKeyboardInteractiveAuthenticator(null);
        server.setGSSAuthenticator(null);
        server.setHostBasedAuthenticator(null);
        server.setShellFactory(channel -> new ProxiedChannel(services, limits, ProxiedChannel.Kind.SHELL, null));
        server.setCommandFactory(
                (channel, command) -> new ProxiedChannel(services, limits, ProxiedChannel.Kind.EXEC, command));
        server.setSubsystemFactories(List.of(new SubsystemFactory() {
            @Override
            public String getName() {
                return "sftp";
            }

            @Override
            public org.apache.sshd.server.command.Command createSubsystem(
                    org.apache.sshd.server.channel.ChannelSession channel) {
                return new ProxiedChannel(services, limits, ProxiedChannel.Kind.SFTP, null);
            }
        }));
        server.setServiceFactories(
                List.of(org.apache.sshd.server.session.ServerUserAuthServiceFactory.INSTANCE, new RefusalReasons()));
        server.setChannelFactories(List.of(
                new ChannelFactory() {
                    @Override
                    public String getName() {
                        return ChannelSessionFactory.INSTANCE.getName();
                    }

                    @Override
                    public Channel createChannel(Session session) {
                        String refusal = limits.admit(session);
                        if (refusal != null) {
                            return new RefusedChannel(refusal);
                        }
                        return new ChannelSession() {
                            @Override
                            public OpenFuture open(long recipient, long rwSize, long packetSize, Buffer buffer) {
                                return limits.track(this, super.open(recipient, rwSize, packetSize, buffer));
                            }
                        };
                    }
                },
                new JumpChannel.Factory(jumps, services, limits, () -> bastion.self)));
        server.setAgentFactory(agents);
        server.setForwardingFilter(ForwardingFilter.asForwardingFilter(
                (session, requestType) -> agentForwardingAllowed(session, services),
                (session, requestType) -> false,
                new TcpForwardingFilter() {
                    @Override
                    public boolean canListen(
                            org.apache.sshd.common.util.net.SshdSocketAddress address,
                            org.apache.sshd.common.session.Session session) {
                        return false; // ssh -R: never
                    }

                    @Override
                    public boolean canConnect(
                            Type type,
                            org.apache.sshd.common.util.net.SshdSocketAddress address,
                            org.apache.sshd.common.session.Session session) {
                        // only the join of a jump to the bastion's own listener, which JumpChannel has already checked;
                        // forwards (ForwardedChannel) leave from the target, never from the bastion
                        return type == Type.Direct && JumpChannel.isSelf(address.toInetSocketAddress(), bastion.self);
                    }
                }));
        server.addSessionListener(new SessionListener() {
            @Override
            public void sessionEvent(Session session, Event event) {
                if (event == Event.Authenticated && session instanceof org.apache.sshd.server.session.ServerSession s) {
                    CertificateAuthenticator.authenticated(s);
                }
            }

            @Override
            public void sessionClosed(Session session) {
                Connection connection = Connection.of(session);
                if (connection != null) {
                    connection
                            .closeUpstream(); // the user's connection is gone: so is the bastion's login at the target
                }
            }
        });
        // interactive sessions may sit idle as long as their grant lasts; the grant's end closes them
        CoreModuleProperties.IDLE_TIMEOUT.set(server, Duration.ZERO);
        CoreModuleProperties.AUTH_TIMEOUT.set(server, Duration.ofSeconds(60));
        server.start();
        SocketAddress bound = server.getBoundAddresses().iterator().next();
        InetSocketAddress inet = (InetSocketAddress) bound;
        bastion.self =
                inet.getAddress().isAnyLocalAddress() ? new InetSocketAddress("127.0.0.1", inet.getPort()) : inet;
        return bastion;
    }

    /** ssh -A: only where the grant's rule allows agent forwarding for this person, target and login. */
    private static boolean agentForwardingAllowed(Session session, SessionServices services) {
        Connection connection = Connection.of(session);
        if (connection == null || connection.destination() == null) {
            return false;
        }
        Destination d = connection.destination();
        try {
            boolean allowed = services.authority()
                            .authorize(new GrantAuthority.Ask(
                                    connection.person(),
                                    d.target(),
                                    d.login(),
                                    GrantAuthority.Use.AGENT_FORWARDING,
                                    connection.account()))
                    instanceof GrantAuthority.Allowed;
            LOG.info(() -> connection.person() + " asked to forward an agent to " + d + ": "
                    + (allowed ? "allowed" : "refused"));
            return allowed;
        } catch (RuntimeException e) {
            return false; // the broker cannot be asked: no agent
        }
    }

    public int port() {
        return self.getPort();
    }

    public String host() {
        return self.getAddress().getHostAddress();
    }

    /** Whether the SSH server is still accepting connections. */
    public boolean isOpen() {
        return server.isOpen();
    }

    public int activeSessions() {
        return server.getActiveSessions().size();
    }

    /** The people of the connections that have logged in, one entry per connection. */
    public List<String> connectedPeople() {
        return server.getActiveSessions().stream()
                .map(Connection::of)
                .filter(java.util.Objects::nonNull)
                .map(Connection::person)
                .toList();
    }

    @Override
    public void close() throws IOException {
        try {
            server.stop(true);
        } finally {
            limits.close();
        }
    }
}
