package dev.portcullis.recording;

import static dev.portcullis.recording.Fixtures.chunkFiles;
import static dev.portcullis.recording.Fixtures.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.recording.event.TerminalEvent;
import dev.portcullis.recording.read.RecordingReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bastion that dies mid-session (here: a second JVM killed with SIGKILL while it records) leaves
 * an unsigned recording whose chunks all chain and whose latest signed checkpoint matches them: INCOMPLETE, prefix
 * intact, and still readable.
 */
class CrashRecoveryTest {

    @TempDir
    Path root;

    @Test
    void a_recording_whose_writer_was_killed_verifies_as_incomplete_with_its_prefix_intact() throws Exception {
        Process bastion = new ProcessBuilder(
                        Fixtures.javaBinary(),
                        "-cp",
                        System.getProperty("java.class.path"),
                        RecordingUntilKilled.class.getName(),
                        root.toString())
                .redirectErrorStream(true)
                .redirectOutput(root.resolve("bastion.log").toFile())
                .start();
        try {
            assertThat(eventually(
                            Duration.ofSeconds(20),
                            () -> recordingDirectory() != null
                                    && chunkFiles(recordingDirectory()).size() >= 3
                                    && checkpointCovering(3)))
                    .as("the recording process writes chunks " + "and checkpoints")
                    .isTrue();
        } finally {
            bastion.destroyForcibly();
            assertThat(bastion.waitFor(10, TimeUnit.SECONDS)).isTrue();
        }
        Path directory = recordingDirectory();
        int chunks = chunkFiles(directory).size();
        FileSystemRecordingStorage storage = new FileSystemRecordingStorage(root);
        String id = directory.getFileName().toString();

        java.security.PublicKey key = RecordingKeys.readPublicKey(root.resolve("signer.pub.pem"));
        RecordingVerifier.Verification result = RecordingVerifier.verify(storage, id, key);

        assertThat(result.status()).as(result.problem()).isEqualTo(RecordingVerifier.Status.INCOMPLETE);
        assertThat(result.intactChunks()).isEqualTo(chunks).isGreaterThanOrEqualTo(3);
        assertThat(result.problem())
                .startsWith("no manifest")
                .contains("a signed checkpoint of ")
                .contains(" of its " + chunks + " chunks");
        assertThat(RecordingVerifier.verify(storage, id, Fixtures.SIGNER.publicKey())
                        .status())
                .as("another key proves nothing")
                .isEqualTo(RecordingVerifier.Status.TAMPERED);
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

    private boolean checkpointCovering(long chunks) {
        try (var entries = Files.list(recordingDirectory())) {
            return entries.map(p -> p.getFileName().toString())
                    .filter(n -> n.matches("checkpoint-\\d{8}\\.sig"))
                    .anyMatch(n -> Long.parseLong(n.substring(11, 19)) >= chunks);
        } catch (IOException e) {
            return false;
        }
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
            // A killed writer signs no manifest, but its checkpoints: the test verifies them with this key's public
            // half.
            RecordingSigner signer =
                    RecordingKeys.loadOrGenerate(Path.of(args[0], "signer.pem"), Path.of(args[0], "signer.pub.pem"));
            Recordings recordings = new Recordings(
                    storage,
                    signer,
                    WriterOptions.defaults()
                            .withFlushInterval(Duration.ofMillis(100))
                            .withCheckpointInterval(Duration.ofMillis(200)),
                    RecordingClock.system());
            SessionRecording recording =
                    recordings.start(recordings.newMetadata().build(), failure -> {
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
