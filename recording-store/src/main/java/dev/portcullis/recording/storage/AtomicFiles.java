package dev.portcullis.recording.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.UUID;

/**
 * Write-once files that appear whole or not at all, and survive a power cut once written.
 */
public final class AtomicFiles {

    /** Temp files start with a dot so listings can ignore what a crash left behind. */
    public static final String TEMP_PREFIX = ".tmp-";

    private AtomicFiles() {
    }

    /**
     * Writes {@code data} to a temp file, forces it to disk, then links it in under its final name.
     * A hard link, unlike rename, refuses to replace an existing file, so a second write of the same
     * name fails instead of silently overwriting recorded data.
     *
     * @param permissions POSIX permissions for the new file, or null for the default
     */
    public static void writeOnce(Path target, byte[] data, Set<PosixFilePermission> permissions) throws IOException {
        Path directory = target.toAbsolutePath().getParent();
        Path temp = directory.resolve(TEMP_PREFIX + UUID.randomUUID());
        FileAttribute<?>[] attributes = permissions != null && supportsPosix(directory)
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(permissions)}
                : new FileAttribute<?>[0];
        try {
            try (FileChannel channel = FileChannel.open(temp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), attributes)) {
                ByteBuffer buffer = ByteBuffer.wrap(data);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            link(temp, target);
            forceDirectory(directory);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** Makes a directory entry change (create, link) durable; a file fsync alone does not. */
    public static void forceDirectory(Path directory) throws IOException {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    private static void link(Path temp, Path target) throws IOException {
        try {
            Files.createLink(target, temp);
        } catch (UnsupportedOperationException e) {
            // File systems without hard links: a plain move refuses an existing target too, just
            // not atomically with the existence check. One writer per recording makes that enough.
            if (Files.exists(target)) {
                throw new FileAlreadyExistsException(target.toString());
            }
            Files.move(temp, target);
        }
    }

    private static boolean supportsPosix(Path directory) throws IOException {
        return Files.getFileStore(directory).supportsFileAttributeView("posix");
    }
}
