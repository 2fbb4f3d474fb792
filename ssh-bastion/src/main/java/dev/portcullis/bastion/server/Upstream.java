package dev.portcullis.bastion.server;

import dev.portcullis.bastion.session.SessionServices;
import dev.portcullis.bastion.upstream.TargetCredentials;
import dev.portcullis.workflow.grant.ActiveGrant;
import java.io.IOException;
import org.apache.sshd.client.session.ClientSession;

/** The connection's login at the target, opened once and shared by its channels. */
final class Upstream {

    private Upstream() {}

    /** The inventory's address wins over the policy's, so an operator can point a bastion at a target's inside address. */
    static ClientSession open(
            SessionServices services,
            Connection connection,
            Destination destination,
            ActiveGrant grant,
            TargetCredentials credentials)
            throws IOException {
        String host =
                credentials.host() != null ? credentials.host() : grant.target().host();
        int port =
                credentials.host() != null ? credentials.port() : grant.target().port();
        return connection.upstream(() ->
                services.connector().connect(host, port, destination.login(), credentials, services.connectTimeout()));
    }
}
