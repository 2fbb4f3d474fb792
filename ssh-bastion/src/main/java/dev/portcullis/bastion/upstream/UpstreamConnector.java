package dev.portcullis.bastion.upstream;

import dev.portcullis.ssh.ed25519.JdkEd25519;
import java.io.IOException;
import java.security.KeyPair;
import java.security.PublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.apache.sshd.agent.SshAgentFactory;
import org.apache.sshd.client.ClientBuilder;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.AttributeRepository;
import org.apache.sshd.common.AttributeRepository.AttributeKey;
import org.apache.sshd.common.channel.ChannelFactory;
import org.apache.sshd.common.config.keys.KeyUtils;

/**
 * Logs in to targets on behalf of people, with credentials they never see, and only to a target that presents
 * exactly the host key pinned in the inventory.
 */
public final class UpstreamConnector implements AutoCloseable {

    static {
        // MINA's Ed25519 is the JDK's; it must be in place before MINA reads or makes a key
        JdkEd25519.install();
    }

    private static final AttributeKey<PublicKey> PINNED = new AttributeKey<>();
    private static final AttributeKey<PublicKey> PRESENTED = new AttributeKey<>();
    private static final int CONNECT_ATTEMPTS = 5;
    /** Below OpenSSH's default MaxStartups (10), so the bastion alone never makes a target drop connections. */
    private static final int HANDSHAKES_PER_TARGET = 6;

    private final Map<String, Semaphore> handshakes = new ConcurrentHashMap<>();

    private final SshClient client;

    /** @param agents relays agent requests from targets to the users who forwarded their agents */
    public UpstreamConnector(SshAgentFactory agents) {
        client = SshClient.setUpDefaultClient();
        client.setAgentFactory(agents);
        List<ChannelFactory> channels = new ArrayList<>(ClientBuilder.DEFAULT_CHANNEL_FACTORIES);
        channels.addAll(agents.getChannelForwardingFactories(client));
        client.setChannelFactories(channels);
        client.setCipherFactories(dev.portcullis.bastion.server.Ciphers.ASKED);
        client.setServerKeyVerifier((session, address, key) -> {
            session.setAttribute(PRESENTED, key);
            AttributeRepository context = session.getConnectionContext();
            PublicKey pinned = context == null ? null : context.getAttribute(PINNED);
            return pinned != null && KeyUtils.compareKeys(pinned, key);
        });
        client.start();
    }

    /**
     * @throws HostKeyMismatchException when the target presents another host key than the pinned one
     * @throws IOException              when the target cannot be reached or refuses the bastion's key
     */
    public ClientSession connect(String host, int port, String login, TargetCredentials credentials, Duration timeout)
            throws IOException {
        KeyPair identity = credentials
                .identityFor(login)
                .orElseThrow(() -> new IOException("the bastion has no key for " + login + "@" + credentials.name()));
        AttributeRepository context = AttributeRepository.ofKeyValuePair(PINNED, credentials.hostKey());
        for (int attempt = 1; ; attempt++) {
            try {
                return gated(
                        host + ":" + port,
                        credentials.name(),
                        timeout,
                        () -> handshake(host, port, login, identity, context, credentials, timeout));
            } catch (HostKeyMismatchException e) {
                throw e;
            } catch (IOException e) {
                // A busy sshd drops connections that arrive while many others are still authenticating (MaxStartups):
                // a transient refusal, worth a few more tries. A refused key or a wrong host key is not retried.
                String message = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
                if (attempt >= CONNECT_ATTEMPTS || message.contains("authentication")) {
                    throw e;
                }
                sleep(attempt * 200L + ThreadLocalRandom.current().nextLong(200));
            }
        }
    }

    /** A login to a target, which may fail with an I/O error. */
    private interface Login {
        ClientSession run() throws IOException;
    }

    /** Runs {@code login} once no more than a few others to the same {@code address} are under way. */
    private ClientSession gated(String address, String targetName, Duration timeout, Login login) throws IOException {
        // at most a few handshakes at a time per target: a burst of logins must not look like a flood to its sshd
        Semaphore gate = handshakes.computeIfAbsent(address, k -> new Semaphore(HANDSHAKES_PER_TARGET));
        try {
            if (!gate.tryAcquire(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IOException("too many logins to " + targetName + " under way; try again");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
        try {
            return login.run();
        } finally {
            gate.release();
        }
    }

    private ClientSession handshake(
            String host,
            int port,
            String login,
            KeyPair identity,
            AttributeRepository context,
            TargetCredentials credentials,
            Duration timeout)
            throws IOException {
        ClientSession session =
                client.connect(login, host, port, context).verify(timeout).getSession();
        try {
            session.addPublicKeyIdentity(identity);
            session.auth().verify(timeout);
            return session;
        } catch (IOException | RuntimeException e) {
            PublicKey presented = session.getAttribute(PRESENTED);
            session.close(true);
            if (presented != null && !KeyUtils.compareKeys(presented, credentials.hostKey())) {
                throw new HostKeyMismatchException(
                        credentials.name(),
                        KeyUtils.getFingerPrint(credentials.hostKey()),
                        KeyUtils.getFingerPrint(presented));
            }
            throw e instanceof IOException io ? io : new IOException(e.getMessage(), e);
        }
    }

    private static void sleep(long millis) throws IOException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
    }

    @Override
    public void close() throws IOException {
        client.stop();
    }

    /** The target is not the machine the inventory pins: possibly an attacker in the middle. */
    public static final class HostKeyMismatchException extends IOException {
        public HostKeyMismatchException(String target, String expected, String presented) {
            super("host key mismatch for " + target + ": expected " + expected + ", the target presented " + presented);
        }
    }
}
