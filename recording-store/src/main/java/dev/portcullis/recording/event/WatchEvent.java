package dev.portcullis.recording.event;

import java.util.Objects;

/**
 * Someone began or stopped watching the session live (an auditor or admin, through the broker). Kept in the
 * recording itself, so whoever replays or verifies it knows the session was watched, by whom and when.
 */
public record WatchEvent(Action action, String viewer) implements StructuredEvent {

    public enum Action {
        STARTED,
        STOPPED
    }

    public WatchEvent {
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(viewer, "viewer");
    }
}
