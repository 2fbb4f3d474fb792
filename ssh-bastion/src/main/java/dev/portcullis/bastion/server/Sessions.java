package dev.portcullis.bastion.server;

import dev.portcullis.bastion.session.LiveSessions;
import dev.portcullis.bastion.session.RecordingHealth;
import dev.portcullis.bastion.session.SessionServices;
import dev.portcullis.bastion.upstream.TargetInventory;
import dev.portcullis.bastion.upstream.UpstreamConnector;
import dev.portcullis.recording.Recordings;
import dev.portcullis.workflow.port.GrantAuthority;
import dev.portcullis.workflow.port.SessionIndex;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.function.Supplier;

/** The one way in from outside the package: the session services, and a server started with them. */
public final class Sessions {

    private Sessions() {}

    /** The services every session of this bastion shares, SSH or database; one recording health for all. */
    public static SessionServices services(
            GrantAuthority authority,
            SessionIndex index,
            Supplier<TargetInventory> inventory,
            UpstreamConnector connector,
            Recordings recordings,
            LiveSessions live,
            ExecutorService setup,
            Clock clock,
            String portalUrl,
            String bastionName,
            Duration connectTimeout) {
        return new SessionServices(
                authority,
                index,
                inventory,
                connector,
                recordings,
                live,
                setup,
                clock,
                portalUrl,
                bastionName,
                connectTimeout,
                new RecordingHealth(clock, Duration.ofSeconds(30)));
    }

    public static BastionServer startServer(BastionServer.Options options, SessionServices services, AgentRelay agents)
            throws IOException {
        return BastionServer.start(options, agents, services);
    }
}
