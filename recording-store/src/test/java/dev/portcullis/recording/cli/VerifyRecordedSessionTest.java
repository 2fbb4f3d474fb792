package dev.portcullis.recording.cli;

import static dev.portcullis.recording.Fixtures.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.recording.FileSystemRecordingStorage;
import dev.portcullis.recording.Fixtures;
import dev.portcullis.recording.RecordingClock;
import dev.portcullis.recording.RecordingFailureListener;
import dev.portcullis.recording.RecordingKeys;
import dev.portcullis.recording.Recordings;
import dev.portcullis.recording.SessionRecording;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The verify command on recordings made by the recorders, with the PEM key file a bastion keeps. */
class VerifyRecordedSessionTest {

    @TempDir
    Path root;

    private Path store;
    private Path publicKey;
    private Recordings recordings;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    @BeforeEach
    void setUp() throws Exception {
        store = root.resolve("recordings");
        KeyPair keys = RecordingKeys.generateKeyPair();
        publicKey = root.resolve("recording.pub.pem");
        RecordingKeys.save(keys, root.resolve("recording.pem"), publicKey);
        recordings = new Recordings(
                new FileSystemRecordingStorage(store),
                RecordingKeys.load(root.resolve("recording.pem"), publicKey),
                Fixtures.smallChunks(),
                RecordingClock.system());
    }

    @Test
    void exit_codes_for_a_valid_a_tampered_and_an_unfinished_recording() throws Exception {
        String closed = Fixtures.recordSampleSession(recordings).id();
        assertThat(run(store.toString(), closed, publicKey.toString())).isEqualTo(0);
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("VALID");

        SessionRecording open = recordings.start(Fixtures.metadata(recordings), RecordingFailureListener.none());
        open.terminal().output(utf8("x".repeat(300)));
        assertThat(Fixtures.eventually(
                        Duration.ofSeconds(10),
                        () -> !Fixtures.chunkFiles(store.resolve(open.id())).isEmpty()))
                .isTrue();
        assertThat(run(store.toString(), open.id(), publicKey.toString())).isEqualTo(2);
        open.close();

        Files.delete(Fixtures.chunkFile(store.resolve(closed), 2));
        assertThat(run(store.toString(), closed, publicKey.toString())).isEqualTo(1);
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("chunk 2 is missing");
    }

    @Test
    void the_main_class_sets_the_process_exit_status() throws Exception {
        String id = Fixtures.recordSampleSession(recordings).id();
        Path manifest = store.resolve(id).resolve("manifest.json");
        Files.writeString(manifest, Files.readString(manifest).replace("\"version\"", "\"version\" "));

        Process process = new ProcessBuilder(
                        Fixtures.javaBinary(),
                        "-cp",
                        System.getProperty("java.class.path"),
                        VerifyCommand.class.getName(),
                        store.toString(),
                        id,
                        publicKey.toString())
                .redirectErrorStream(true)
                .start();
        String printed = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();

        assertThat(process.exitValue()).as(printed).isEqualTo(1);
        assertThat(printed).contains("TAMPERED");
    }

    private int run(String... args) {
        out.reset();
        return VerifyCommand.run(
                args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(new ByteArrayOutputStream()));
    }
}
