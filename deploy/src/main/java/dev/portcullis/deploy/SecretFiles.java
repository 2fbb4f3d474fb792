package dev.portcullis.deploy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Files the quickstart keeps secrets in (passwords, settings that carry one): each is 0600 before its first byte is
 * written, so nobody else can read it even for a moment, whatever the umask and whatever the directory allows.
 */
final class SecretFiles {

    private SecretFiles() {}

    /** Replaces the file's content; the file is made (or made again) 0600 first. */
    static void write(Path file, String content) throws IOException {
        if (!Files.exists(file)) {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        // an existing file may have been made at the umask by an older quickstart: close it before writing
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        Files.writeString(
                file, content, StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
    }
}
