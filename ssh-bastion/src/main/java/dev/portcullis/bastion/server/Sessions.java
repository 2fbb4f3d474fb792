package dev.portcullis.bastion.server;

import dev.portcullis.bastion.session.SessionServices;
import java.io.IOException;

/** The one way in from outside the package: a server started with the session services. */
public final class Sessions {

    private Sessions() {}

    public static BastionServer startServer(BastionServer.Options options, SessionServices services, AgentRelay agents)
            throws IOException {
        return BastionServer.start(options, agents, services);
    }
}
