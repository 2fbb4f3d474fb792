package dev.portcullis.recording.event;

import java.util.Objects;

/**
 * Start or end of the recorded session. The end says why (client left, grant revoked...), the exit
 * status when there was one, and how many raw terminal bytes passed each way: counted before UTF-8
 * decoding, and counted for input even when input is not recorded. Being the last line of the last
 * chunk, the end event is covered by the signed manifest.
 */
public record SessionEvent(Phase phase, String reason, Integer exitStatus, Long outputBytes, Long inputBytes)
        implements StructuredEvent {

    public enum Phase {
        START,
        END
    }

    public SessionEvent {
        Objects.requireNonNull(phase, "phase");
    }

    public static SessionEvent started() {
        return new SessionEvent(Phase.START, null, null, null, null);
    }

    public static SessionEvent ended(String reason, Integer exitStatus, long outputBytes, long inputBytes) {
        return new SessionEvent(Phase.END, reason, exitStatus, outputBytes, inputBytes);
    }
}
