package dev.portcullis.recording.event;

import java.util.Objects;

/** A command run without a shell (SSH exec request), exactly as the client sent it. */
public record ExecEvent(String command) implements StructuredEvent {

    public ExecEvent {
        Objects.requireNonNull(command, "command");
    }
}
