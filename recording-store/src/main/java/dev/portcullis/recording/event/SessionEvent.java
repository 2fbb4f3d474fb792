package dev.portcullis.recording.event;

import java.util.Objects;

/**
 * Start or end of the recorded session. The end says why (client left, grant revoked, recording
 * failed...) and, for exec and shell channels, the exit status when there was one.
 */
public record SessionEvent(Phase phase, String reason, Integer exitStatus) implements StructuredEvent {

    public enum Phase { START, END }

    public SessionEvent {
        Objects.requireNonNull(phase, "phase");
    }

    public static SessionEvent started() {
        return new SessionEvent(Phase.START, null, null);
    }

    public static SessionEvent ended(String reason, Integer exitStatus) {
        return new SessionEvent(Phase.END, reason, exitStatus);
    }
}
