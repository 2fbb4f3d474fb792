package dev.portcullis.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * F23: a secret file is 0600 before its first byte, not made 0600 after it was written. The moment between a write
 * and a chmod cannot be caught by looking at the file afterwards, so each case runs {@link SecretFiles#write} in a
 * child JVM whose file-size limit is 0 ({@code ulimit -f 0}) and whose umask is 000: its first write fails, and
 * the process stops there, so the file keeps the mode it had when the first byte would have gone in. A file created
 * with its mode as an attribute is 0600; one written first and chmod-ed after would be left 0666.
 */
class SecretFilesTest {

    /** Runs SecretFiles.write(args[0], args[1]) in the child JVM. */
    public static final class WriteOne {
        public static void main(String[] args) throws Exception {
            SecretFiles.write(Path.of(args[0]), args[1]);
        }
    }

    @Test
    void aNewSecretFileIs0600BeforeItsFirstByte(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("quickstart.env");
        int exit = writeWithoutRoomForOneByte(file);
        assertThat(exit).as("the first byte must not fit").isNotZero();
        assertThat(file).exists();
        assertThat(Files.size(file)).isZero();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                .isEqualTo("rw-------");
    }

    @Test
    void anOldSecretFileMadeAtTheUmaskIsClosedBeforeItsFirstByte(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("broker-secrets.properties");
        Files.writeString(file, "old=1\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-rw-"));
        int exit = writeWithoutRoomForOneByte(file);
        assertThat(exit).as("the first byte must not fit").isNotZero();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                .isEqualTo("rw-------");
    }

    @Test
    void withRoomTheContentIsWrittenAndTheModeIs0600(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("roles.env");
        SecretFiles.write(file, "PASSWORD=demo\n");
        assertThat(Files.readString(file)).isEqualTo("PASSWORD=demo\n");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                .isEqualTo("rw-------");
    }

    private static int writeWithoutRoomForOneByte(Path file) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(
                "sh",
                "-c",
                "umask 000; ulimit -f 0; exec \"$@\"",
                "sh",
                java,
                "-XX:-UsePerfData",
                "-Xshare:off",
                "-cp",
                System.getProperty("java.class.path"),
                WriteOne.class.getName(),
                file.toString(),
                "SECRET=do-not-leak\n"));
        Process p = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(120, TimeUnit.SECONDS))
                .as(new String(out, StandardCharsets.UTF_8))
                .isTrue();
        return p.exitValue();
    }
}
