package dev.portcullis.bastion;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.local.Commands;
import dev.portcullis.recording.RecordingVerifier;
import dev.portcullis.recording.cli.ExportCommand;
import dev.portcullis.recording.event.TerminalEvent;
import dev.portcullis.recording.format.RecordingLines;
import dev.portcullis.recording.read.RecordingReader;
import dev.portcullis.workflow.port.SessionIndex;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Binary output through the real bastion: the recording keeps the exact bytes the user received (every byte value,
 * characters cut anywhere, NULs, lone 0xFF), exports them byte for byte, verifies, and its {@code .cast} still plays
 * in stock asciinema while saying that it had to replace bytes.
 */
class ByteFaithfulRecordingTest {

    @TempDir
    static Path dir;

    static BastionFixture f;
    static Path alice;
    static Path binary;
    static byte[] content;
    /** What the last {@link #runSsh} received on stderr. */
    static byte[] lastStderr;

    @BeforeAll
    static void start() throws IOException {
        f = new BastionFixture(dir);
        alice = f.person("alice");
        content = binaryContent();
        // the target is an sshd on this machine, logged in as another user: it reads the file where the test wrote it
        Path readable = Files.createTempDirectory(
                "portcullis-binary",
                java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                        java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x")));
        binary = readable.resolve("binary.bin");
        Files.write(binary, content);
        Files.setPosixFilePermissions(binary, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
    }

    @AfterAll
    static void stop() throws IOException {
        if (f != null) {
            f.close();
        }
        if (binary != null) {
            Files.deleteIfExists(binary);
            Files.deleteIfExists(binary.getParent());
        }
    }

    @BeforeEach
    void grant() {
        f.grants.clear();
        f.grants.grant("alice", BastionFixture.TARGET, f.sshd.login(), Duration.ofMinutes(10));
    }

    /** 1 MiB: every byte value, multi-byte characters, NULs, lone 0xFF, and random bytes. */
    static byte[] binaryContent() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int round = 0; round < 4; round++) {
            for (int b = 0; b < 256; b++) {
                out.write(b);
            }
        }
        byte[] text = "h\u00e9llo \u2713 \ud83d\ude00 ".getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < 2000; i++) {
            out.writeBytes(text);
            out.write(0);
            out.write(0xFF);
        }
        byte[] rest = new byte[(1 << 20) - out.size()];
        new Random(16).nextBytes(rest);
        out.writeBytes(rest);
        return out.toByteArray();
    }

    @Test
    void binaryOverExecIsRecordedByteForByteAndVerifies() throws Exception {
        byte[] received = runSsh(f.ssh(alice, f.destination(), "cat " + binary), null);
        assertThat(received).as("the user received the file").isEqualTo(content);

        String id = closedRecording();
        assertThat(RecordingVerifier.verify(f.storage, id, f.signer.publicKey()).status())
                .isEqualTo(RecordingVerifier.Status.VALID);
        RecordingReader reader =
                RecordingReader.openVerified(f.storage, id, f.signer.publicKey(), RecordingVerifier.Expected.NOTHING);
        assertThat(exported(reader, TerminalEvent.Type.OUTPUT)).isEqualTo(received);
        assertThat(reader.textFaithful()).isFalse();

        // the offline tool writes the same bytes
        Path key = dir.resolve("bastion-recordings.der");
        Files.write(key, f.signer.publicKey().getEncoded());
        ByteArrayOutputStream tool = new ByteArrayOutputStream();
        int code = ExportCommand.run(
                new String[] {f.recordingsDir.toString(), id, key.toString(), "output"},
                tool,
                new PrintStream(new ByteArrayOutputStream()));
        assertThat(code).isZero();
        assertThat(tool.toByteArray()).isEqualTo(received);
    }

    @Test
    void stderrOverExecIsAStreamOfItsOwn() throws Exception {
        byte[] received = runSsh(f.ssh(alice, f.destination(), "echo out; cat " + binary + " >&2"), null);
        assertThat(new String(received, StandardCharsets.UTF_8)).isEqualTo("out\n");
        assertThat(lastStderr).isEqualTo(content);
        RecordingReader reader = RecordingReader.open(f.storage, closedRecording());
        assertThat(exported(reader, TerminalEvent.Type.OUTPUT)).isEqualTo("out\n".getBytes(StandardCharsets.UTF_8));
        assertThat(exported(reader, TerminalEvent.Type.ERROR)).isEqualTo(content);
    }

    @Test
    void binaryOverAPtyShellIsRecordedByteForByte() throws Exception {
        List<String> cmd = new ArrayList<>(f.ssh(alice, f.destination()));
        cmd.add(1, "-tt");
        byte[] received = runSsh(cmd, "cat " + binary + "; exit\n");
        assertThat(received.length).as("the file went through the terminal").isGreaterThan(content.length);

        String id = closedRecording();
        assertThat(RecordingVerifier.verify(f.storage, id, f.signer.publicKey()).status())
                .isEqualTo(RecordingVerifier.Status.VALID);
        RecordingReader reader = RecordingReader.open(f.storage, id);
        assertThat(exported(reader, TerminalEvent.Type.OUTPUT)).isEqualTo(received);
    }

    @Test
    void theCastOfABinarySessionPlaysInAsciinemaAndCarriesTheMarker() throws Exception {
        runSsh(
                f.ssh(alice, f.destination(), "printf 'before\\n'; head -c 3000 " + binary + "; printf '\\nafter\\n'"),
                null);
        RecordingReader reader = RecordingReader.open(f.storage, closedRecording());
        Path cast = dir.resolve("binary.cast");
        try (var out = Files.newOutputStream(cast)) {
            reader.exportCast(out);
        }
        List<String> lines = Files.readAllLines(cast, StandardCharsets.UTF_8);
        assertThat(lines.get(0)).contains("\"" + RecordingLines.SUBSTITUTED_KEY + "\"");
        assertThat(lines).filteredOn(line -> line.contains(",\"m\",")).hasSize(1);

        // asciinema wants a terminal even to print a recording: give it one with script(1)
        Commands.Result cat = Commands.run(List.of("script", "-qec", "asciinema cat " + cast, "/dev/null"));
        assertThat(cat.exit()).as(cat.err()).isZero();
        assertThat(cat.out()).contains("before").contains("after");
        Commands.Result play = Commands.run(
                List.of("script", "-qec", "asciinema play -i 0.05 -s 4 " + cast, "/dev/null"),
                null,
                Duration.ofSeconds(60));
        assertThat(play.exit()).as(play.err()).isZero();
        assertThat(play.out()).contains("after");
    }

    private static String closedRecording() throws InterruptedException {
        SessionIndex.Opened opened = f.index.lastOpened();
        f.index.awaitClosed(opened.sessionId());
        return opened.recordingId();
    }

    private static byte[] exported(RecordingReader reader, TerminalEvent.Type type) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        reader.exportBytes(out, type);
        return out.toByteArray();
    }

    /** Runs ssh with its stdout to a file (the bytes exactly as received), and {@code stdin} or nothing as input. */
    private static byte[] runSsh(List<String> command, String stdin) throws IOException, InterruptedException {
        Path out = Files.createTempFile(dir, "received", ".bin");
        Path err = Files.createTempFile(dir, "stderr", ".txt");
        ProcessBuilder builder =
                new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
        if (stdin == null) {
            builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        }
        Process p = builder.start();
        if (stdin != null) {
            p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
            p.getOutputStream().close();
        }
        if (!p.waitFor(2, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IOException("ssh did not finish: " + command);
        }
        String errors = new String(Files.readAllBytes(err), StandardCharsets.UTF_8);
        assertThat(p.exitValue())
                .as("ssh exit status; stderr: " + errors.substring(0, Math.min(300, errors.length())))
                .isZero();
        lastStderr = Files.readAllBytes(err);
        return Files.readAllBytes(out);
    }
}
