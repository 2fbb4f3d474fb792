package dev.portcullis.recording;

import dev.portcullis.recording.event.TerminalEvent;
import dev.portcullis.recording.read.RecordingReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.portcullis.recording.Fixtures.chunkFiles;
import static dev.portcullis.recording.Fixtures.eventually;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A bastion that dies mid-session (here: a second JVM killed with SIGKILL while it records) leaves
 * an unsigned recording whose chunks all chain: INCOMPLETE, prefix intact, and still readable.
 */
class CrashRecoveryTest {

    @TempDir
    Path root;

    @Test
    void a_recording_whose_writer_was_killed_verifies_as_incomplete_with_its_prefix_intact() throws Exception {
        Process bastion = new ProcessBuilder(Fixtures.javaBinary(), "-cp", System.getProperty("java.class.path"),
                RecordingUntilKilled.class.getName(), root.toString())
                .redirectErrorStream(true)
                .redirectOutput(root.resolve("bastion.log").toFile())
                .start();
        try {
            assertThat(eventually(Duration.ofSeconds(20), () -> recordingDirectory() != null
                    && chunkFiles(recordingDirectory()).size() >= 3)).as("the recording process writes chunks").isTrue();
        } finally {
            bastion.destroyForcibly();
            assertThat(bastion.waitFor(10, TimeUnit.SECONDS)).isTrue();
        }
        Path directory = recordingDirectory();
        int chunks = chunkFiles(directory).size();
        FileSystemRecordingStorage storage = new FileSystemRecordingStorage(root);
        String id = directory.getFileName().toString();

        RecordingVerifier.Verification result = RecordingVerifier.verify(storage, id, Fixtures.SIGNER.publicKey());

        assertThat(result.status()).isEqualTo(RecordingVerifier.Status.INCOMPLETE);
        assertThat(result.intactChunks()).isEqualTo(chunks).isGreaterThanOrEqualTo(3);
        assertThat(result.problem()).contains(chunks + " chunks link correctly");
        assertThat(storage.manifest(id)).isEmpty();

        RecordingReader reader = RecordingReader.open(storage, id);
        List<TerminalEvent> events = reader.terminalEvents().toList();
        assertThat(events).isNotEmpty();
        for (int i = 0; i < events.size(); i++) {
            assertThat(events.get(i).data()).isEqualTo("tick " + i + "\r\n");
        }
        ByteArrayOutputStream cast = new ByteArrayOutputStream();
        reader.exportCast(cast);
        assertThat(cast.toString(StandardCharsets.UTF_8).lines()).hasSize(events.size() + 1);
    }

    private Path recordingDirectory() {
        try (var entries = Files.list(root)) {
            return entries.filter(Files::isDirectory).findFirst().orElse(null);
        } catch (IOException e) {
            return null;
        }
    }

    /** The process that gets killed: records a tick every 10 ms, flushing every 100 ms, forever. */
    public static final class RecordingUntilKilled {
        public static void main(String[] args) throws Exception {
            FileSystemRecordingStorage storage = new FileSystemRecordingStorage(Path.of(args[0]));
            // The signing key never matters here: a killed writer signs nothing.
            Recordings recordings = new Recordings(storage, RecordingSigner.generate(),
                    WriterOptions.defaults().withFlushInterval(Duration.ofMillis(100)), RecordingClock.system());
            SessionRecording recording = recordings.start(recordings.newMetadata().build(), failure -> {
                failure.printStackTrace();
                System.exit(70);
            });
            for (int i = 0; ; i++) {
                recording.terminal().output(("tick " + i + "\r\n").getBytes(StandardCharsets.UTF_8));
                Thread.sleep(10);
            }
        }
    }
}
