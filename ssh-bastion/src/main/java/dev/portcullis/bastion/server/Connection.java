package dev.portcullis.bastion.server;

import dev.portcullis.bastion.session.SessionOpening;
import dev.portcullis.workflow.port.GrantAuthority;
import java.io.IOException;
import java.util.Objects;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.AttributeRepository.AttributeKey;
import org.apache.sshd.common.session.Session;

/**
 * What the bastion knows about one authenticated SSH connection: the person (from their certificate) and, unless
 * the connection only jumps to targets, the destination. Channels of one connection share one upstream login.
 */
final class Connection {

    static final AttributeKey<Connection> KEY = new AttributeKey<>();

    /** Opens the upstream session; called at most once per connection. */
    interface UpstreamOpener {
        ClientSession open() throws IOException;
    }

    private final String person;
    private final String account;
    private final Destination destination;
    private final String clientAddress;
    private ClientSession upstream;

    Connection(String person, String account, Destination destination, String clientAddress) {
        this.person = Objects.requireNonNull(person, "person");
        this.account = account;
        this.destination = destination;
        this.clientAddress = clientAddress;
    }

    static Connection of(Session session) {
        return session.getAttribute(KEY);
    }

    String person() {
        return person;
    }

    /**
     * The person's Keycloak account id as their certificate names it, which the broker holds grants against; null for
     * a plain key an operator listed.
     */
    String account() {
        return account;
    }

    /** What the bastion asks the broker when this connection opens a session of {@code use} to {@code destination}. */
    SessionOpening.Request opening(Destination destination, GrantAuthority.Use use) {
        return new SessionOpening.Request(
                new GrantAuthority.Ask(person, destination.target(), destination.login(), use, account),
                "ssh",
                clientAddress);
    }

    /** Null for a connection that only jumps ({@code ssh -J person@bastion login@target}). */
    Destination destination() {
        return destination;
    }

    String clientAddress() {
        return clientAddress;
    }

    synchronized ClientSession upstream(UpstreamOpener opener) throws IOException {
        if (upstream == null || upstream.isClosing()) {
            upstream = opener.open();
        }
        return upstream;
    }

    synchronized void closeUpstream() {
        if (upstream != null) {
            upstream.close(true);
        }
    }
}
