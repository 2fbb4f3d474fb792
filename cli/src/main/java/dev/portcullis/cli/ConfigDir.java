package dev.portcullis.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

/**
 * {@code ~/.config/portcullis/} (or {@code $XDG_CONFIG_HOME/portcullis}, or {@code $PORTCULLIS_CONFIG_DIR}): the
 * directory the command line owns. Closed to others (0700), every file in it 0600 from the moment it exists, since
 * it holds tokens, a private key and database CA files.
 */
public final class ConfigDir {

    private final Path root;

    public ConfigDir(Path root) {
        this.root = root;
    }

    public static ConfigDir fromEnvironment(Map<String, String> env) {
        String explicit = env.get("PORTCULLIS_CONFIG_DIR");
        if (explicit != null && !explicit.isBlank()) {
            return new ConfigDir(Path.of(explicit));
        }
        String xdg = env.get("XDG_CONFIG_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : home(env).resolve(".config");
        return new ConfigDir(base.resolve("portcullis"));
    }

    static Path home(Map<String, String> env) {
        String home = env.get("HOME");
        return Path.of(home != null && !home.isBlank() ? home : System.getProperty("user.home"));
    }

    public Path root() {
        return root;
    }

    public Path resolve(String name) {
        return root.resolve(name);
    }

    /** A directory under the root (or the root), made 0700 if it is new. */
    public Path directory(String name) {
        Path dir = name.isEmpty() ? root : root.resolve(name);
        try {
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(
                        dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            return dir;
        } catch (IOException e) {
            throw new CliException(ExitCodes.ERROR, "cannot make " + dir + ": " + e.getMessage());
        }
    }

    /** Writes {@code text} to {@code file} whole (a new file, then renamed over), never readable by others. */
    public static void writePrivate(Path file, String text) {
        try {
            Path tmp = Files.createTempFile(
                    file.getParent(),
                    "." + file.getFileName(),
                    ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            try {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new CliException(ExitCodes.ERROR, "cannot write " + file + ": " + e.getMessage());
        }
    }
}
