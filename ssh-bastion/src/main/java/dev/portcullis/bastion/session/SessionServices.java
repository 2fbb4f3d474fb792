package dev.portcullis.bastion.session;

import dev.portcullis.bastion.upstream.TargetInventory;
import dev.portcullis.bastion.upstream.UpstreamConnector;
import dev.portcullis.recording.Recordings;
import dev.portcullis.workflow.port.GrantAuthority;
import dev.portcullis.workflow.port.SessionIndex;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.function.Supplier;

/**
 * What every proxied channel needs, in one place.
 *
 * @param setup     runs the blocking part of opening a channel (asking the broker, logging in upstream), never on
 *                  an SSH I/O thread
 * @param portalUrl where people request access, named in every refusal
 */
public record SessionServices(
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
        Duration connectTimeout,
        RecordingHealth recordingHealth) {}
