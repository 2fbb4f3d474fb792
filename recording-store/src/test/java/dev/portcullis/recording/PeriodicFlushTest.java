package dev.portcullis.recording;

import static dev.portcullis.recording.Fixtures.chunkFiles;
import static dev.portcullis.recording.Fixtures.eventually;
import static dev.portcullis.recording.Fixtures.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data reaches storage without close and without filling a chunk. The exact rule (one flush
 * interval, one second by default) is checked on a fake timeline in {@link PendingChunkTest}; these
 * tests only check that the writer thread applies it, with bounded waits and no speed claims.
 */
@Tag("unit")
class PeriodicFlushTest {

    @TempDir
    Path root;

    @Test
    void with_the_default_settings_a_small_write_reaches_disk_while_the_session_is_still_open() throws Exception {
        FileSystemRecordingStorage storage = new FileSystemRecordingStorage(root);
        assertThat(WriterOptions.defaults().flushInterval()).isEqualTo(Duration.ofSeconds(1));
        Recordings recordings = Fixtures.recordings(storage, WriterOptions.defaults(), RecordingClock.system());
        SessionRecording recording = recordings.start(Fixtures.metadata(recordings), RecordingFailureListener.none());
        Path directory = root.resolve(recording.id());

        assertThat(eventually(
                        Duration.ofSeconds(10), () -> chunkFiles(directory).size() == 1))
                .isTrue();
        recording.terminal().output(utf8("still typing"));
        assertThat(eventually(
                        Duration.ofSeconds(10), () -> chunkFiles(directory).size() == 2))
                .isTrue();

        assertThat(Files.readString(chunkFiles(directory).get(1))).contains("still typing");
        RecordingVerifier.Verification beforeClose =
                RecordingVerifier.verify(storage, recording.id(), Fixtures.SIGNER.publicKey());
        assertThat(beforeClose.status()).isEqualTo(RecordingVerifier.Status.INCOMPLETE);
        assertThat(beforeClose.intactChunks()).isEqualTo(2);
        recording.close();
    }

    @Test
    void the_writer_flushes_by_the_injected_clock_not_by_the_wall_clock() throws Exception {
        ManualClock clock = new ManualClock();
        FileSystemRecordingStorage storage = new FileSystemRecordingStorage(root);
        Recordings recordings = Fixtures.recordings(storage, WriterOptions.defaults(), clock);
        SessionRecording recording = recordings.start(Fixtures.metadata(recordings), RecordingFailureListener.none());
        Path directory = root.resolve(recording.id());
        recording.terminal().output(utf8("hello"));

        // The writer wakes at least every 100 ms of real time; with the clock frozen it must not flush.
        Thread.sleep(300);
        assertThat(chunkFiles(directory)).isEmpty();

        clock.advance(Duration.ofMillis(999));
        Thread.sleep(300);
        assertThat(chunkFiles(directory))
                .as("one microsecond before the interval ends")
                .isEmpty();

        clock.advance(Duration.ofMillis(1));
        assertThat(eventually(
                        Duration.ofSeconds(10), () -> chunkFiles(directory).size() == 1))
                .isTrue();
        recording.close();
    }

    @Test
    void the_size_threshold_cuts_chunks_before_the_interval_ends() throws Exception {
        ManualClock frozen = new ManualClock();
        FileSystemRecordingStorage storage = new FileSystemRecordingStorage(root);
        Recordings recordings =
                Fixtures.recordings(storage, WriterOptions.defaults().withMaxChunkBytes(1024), frozen);
        SessionRecording recording = recordings.start(Fixtures.metadata(recordings), RecordingFailureListener.none());
        Path directory = root.resolve(recording.id());

        for (int i = 0; i < 200; i++) {
            recording.terminal().output(utf8("0123456789".repeat(5)));
        }

        assertThat(eventually(
                        Duration.ofSeconds(10), () -> chunkFiles(directory).size() >= 6))
                .isTrue();
        recording.close();
    }
}
