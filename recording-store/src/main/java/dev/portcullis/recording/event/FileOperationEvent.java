package dev.portcullis.recording.event;

import java.util.Objects;

/**
 * A change to the target's file tree that moves no content through the bastion (targetPath for RENAME, SYMLINK,
 * HARDLINK and COPY, a copy made by the target itself). EXTENDED is an SFTP extension the bastion does not know,
 * recorded by its name in path so that nothing a client asks for goes unrecorded.
 */
public record FileOperationEvent(FileProtocol protocol, Operation operation, String path, String targetPath)
        implements StructuredEvent {

    public enum Operation {
        REMOVE,
        RENAME,
        MKDIR,
        RMDIR,
        SYMLINK,
        SETSTAT,
        HARDLINK,
        COPY,
        EXTENDED
    }

    public FileOperationEvent {
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(operation, "operation");
        Objects.requireNonNull(path, "path");
    }
}
