package dev.portcullis.recording.event;

import java.time.Instant;
import java.util.Objects;

/**
 * A structured event as read back, with when it happened.
 *
 * @param time seconds since the recording started (same scale as the terminal events)
 * @param at   wall-clock time: the recording's start plus {@code time}
 */
public record RecordedEvent(double time, Instant at, StructuredEvent event) {

    public RecordedEvent {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(event, "event");
    }
}
