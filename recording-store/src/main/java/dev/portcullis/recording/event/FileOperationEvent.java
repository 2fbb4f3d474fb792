package dev.portcullis.recording.event;

import java.util.Objects;

/** A change to the target's file tree that moves no content (targetPath only for RENAME and SYMLINK). */
public record FileOperationEvent(FileProtocol protocol, Operation operation, String path, String targetPath)
        implements StructuredEvent {

    public enum Operation { REMOVE, RENAME, MKDIR, RMDIR, SYMLINK, SETSTAT }

    public FileOperationEvent {
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(operation, "operation");
        Objects.requireNonNull(path, "path");
    }
}
