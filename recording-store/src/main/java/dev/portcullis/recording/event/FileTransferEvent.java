package dev.portcullis.recording.event;

import java.util.Objects;

/**
 * File content that crossed the bastion. Recorded once per file when its handle closes, with the
 * bytes that actually moved (not the file size), so partial transfers show as such.
 */
public record FileTransferEvent(FileProtocol protocol, Direction direction, String path, long bytes)
        implements StructuredEvent {

    /** Seen from the user: an upload goes to the target. */
    public enum Direction {
        UPLOAD,
        DOWNLOAD
    }

    public FileTransferEvent {
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(direction, "direction");
        Objects.requireNonNull(path, "path");
        if (bytes < 0) {
            throw new IllegalArgumentException("bytes must not be negative");
        }
    }
}
