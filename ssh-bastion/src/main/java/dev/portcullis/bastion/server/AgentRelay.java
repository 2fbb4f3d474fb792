package dev.portcullis.bastion.server;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.sshd.agent.SshAgent;
import org.apache.sshd.agent.SshAgentFactory;
import org.apache.sshd.agent.SshAgentServer;
import org.apache.sshd.agent.local.AgentServerProxy;
import org.apache.sshd.agent.local.LocalAgentFactory;
import org.apache.sshd.common.AttributeRepository.AttributeKey;
import org.apache.sshd.common.FactoryManager;
import org.apache.sshd.common.channel.ChannelFactory;
import org.apache.sshd.common.session.ConnectionService;
import org.apache.sshd.common.session.Session;

/**
 * Agent forwarding through the bastion, where a rule allows it: the user's agent is reached over their own
 * connection (MINA's {@link AgentServerProxy} opens "auth-agent@openssh.com" channels back to the user's client) and
 * handed to the target over the bastion's login there. The bastion never holds a key; it only relays signing
 * requests while the user's connection lasts. One instance serves as the server's and the upstream client's factory.
 */
public final class AgentRelay implements SshAgentFactory {

    /** On an upstream session: the id of the user's agent proxy its agent channels are relayed to. */
    static final AttributeKey<String> USER_AGENT = new AttributeKey<>();

    private final Map<String, AgentServerProxy> proxies = new ConcurrentHashMap<>();

    @Override
    public List<ChannelFactory> getChannelForwardingFactories(FactoryManager manager) {
        return LocalAgentFactory.DEFAULT_FORWARDING_CHANNELS;
    }

    /**
     * The target asks the upstream session for the agent: relay to the user who forwarded theirs. MINA's client also
     * asks while it authenticates to the target; it then gets an agent with no keys, so the bastion logs in with the
     * inventory's key only and never with a key of the user's.
     */
    @Override
    public SshAgent createClient(Session session, FactoryManager manager) throws IOException {
        String id = session.getAttribute(USER_AGENT);
        AgentServerProxy proxy = id == null ? null : proxies.get(id);
        if (proxy == null || !proxy.isOpen()) {
            return NO_KEYS;
        }
        return proxy.createClient();
    }

    private static final SshAgent NO_KEYS = new SshAgent() {
        @Override
        public Iterable<? extends Map.Entry<java.security.PublicKey, String>> getIdentities() {
            return List.of();
        }

        @Override
        public Map.Entry<String, byte[]> sign(
                org.apache.sshd.common.session.SessionContext session,
                java.security.PublicKey key,
                String algorithm,
                byte[] data)
                throws IOException {
            throw new IOException("no forwarded agent for this session");
        }

        @Override
        public void addIdentity(
                java.security.KeyPair key, String comment, org.apache.sshd.agent.SshAgentKeyConstraint... constraints)
                throws IOException {
            throw new IOException("the bastion's relay holds no keys");
        }

        @Override
        public void removeIdentity(java.security.PublicKey key) throws IOException {
            throw new IOException("the bastion's relay holds no keys");
        }

        @Override
        public void removeAllIdentities() throws IOException {
            throw new IOException("the bastion's relay holds no keys");
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {
            // nothing to close
        }
    };

    /** The user asked to forward their agent (and the filter allowed it): remember how to reach it. */
    @Override
    public SshAgentServer createServer(ConnectionService service) throws IOException {
        AgentServerProxy proxy = new AgentServerProxy(service);
        proxies.put(proxy.getId(), proxy);
        return new SshAgentServer() {
            @Override
            public String getId() {
                return proxy.getId();
            }

            @Override
            public boolean isOpen() {
                return proxy.isOpen();
            }

            @Override
            public void close() throws IOException {
                proxies.remove(proxy.getId());
                proxy.close();
            }
        };
    }
}
