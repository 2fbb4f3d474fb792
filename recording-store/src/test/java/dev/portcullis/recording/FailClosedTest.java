package dev.portcullis.recording;

import static dev.portcullis.recording.Fixtures.eventually;
import static dev.portcullis.recording.Fixtures.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.recording.event.ExecEvent;
import dev.portcullis.recording.event.TerminalEvent;
import dev.portcullis.recording.read.RecordingReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A recording that cannot be persisted stops the session: the listener hears of it, every later
 * call throws, and nothing is quietly dropped. Tests run as root, so permissions cannot make a
 * directory unwritable; the recording's directory is replaced by a regular file instead, which
 * fails for everyone.
 */
@Tag("unit")
class FailClosedTest {

    @TempDir
    Path root;

    private final List<RecordingFailedException> failures = new CopyOnWriteArrayList<>();

    @Test
    void a_periodic_flush_into_a_directory_that_became_a_file_fails_the_recording() throws Exception {
        FileSystemRecordingStorage storage = new FileSystemRecordingStorage(root);
        Recordings recordings = Fixtures.recordings(
                storage, WriterOptions.defaults().withFlushInterval(Duration.ofMillis(100)), RecordingClock.system());
        SessionRecording recording = recordings.start(Fixtures.metadata(recordings), failures::add);
        Path directory = root.resolve(recording.id());
        assertThat(eventually(
                        Duration.ofSeconds(10),
                        () -> !Fixtures.chunkFiles(directory).isEmpty()))
                .isTrue();

        replaceDirectoryByFile(directory);
        recording.terminal().output(utf8("this output cannot be stored"));

        assertThat(eventually(Duration.ofSeconds(10), () -> !failures.isEmpty()))
                .isTrue();
        assertThat(failures).hasSize(1);
        assertThat(failures.get(0).recording()).isEqualTo(recording.id());
        assertThat(failures.get(0)).hasMessageContaining("cannot persist");
        assertThat(recording.isFailed()).isTrue();
        assertThatThrownBy(() -> recording.terminal().output(utf8("more"))).isSameAs(failures.get(0));
        assertThatThrownBy(() -> recording.terminal().input(utf8("x"))).isInstanceOf(RecordingFailedException.class);
        assertThatThrownBy(() -> recording.terminal().resize(80, 24)).isInstanceOf(RecordingFailedException.class);
        assertThatThrownBy(() -> recording.events().record(new ExecEvent("id")))
                .isInstanceOf(RecordingFailedException.class);
        assertThatThrownBy(recording::close).isInstanceOf(RecordingFailedException.class);
        assertThat(failures).as("the listener is told once").hasSize(1);
        assertThat(eventually(Duration.ofSeconds(10), () -> writerThreadsOf(recording.id()) == 0))
                .as("the writer thread of a failed recording ends")
                .isTrue();
    }

    @Test
    void sync_returns_only_once_the_lines_are_stored_and_throws_when_they_cannot_be() throws Exception {
        FileSystemRecordingStorage storage = new FileSystemRecordingStorage(root);
        Recordings recordings = Fixtures.recordings(
                storage, WriterOptions.defaults().withFlushInterval(Duration.ofHours(1)), RecordingClock.system());
        SessionRecording recording = recordings.start(Fixtures.metadata(recordings), failures::add);
        recording.terminal().input(utf8("rm -rf /tmp/x\r"));
        recording.sync();
        assertThat(Fixtures.chunkFiles(root.resolve(recording.id())))
                .as("persisted before sync returned")
                .hasSize(1);
        assertThat(new String(storage.chunk(recording.id(), 1), java.nio.charset.StandardCharsets.UTF_8))
                .contains("rm -rf /tmp/x");
        recording.sync();
        assertThat(Fixtures.chunkFiles(root.resolve(recording.id())))
                .as("nothing new, no new chunk")
                .hasSize(1);

        replaceDirectoryByFile(root.resolve(recording.id()));
        recording.terminal().input(utf8("more keystrokes"));
        assertThatThrownBy(recording::sync).isInstanceOf(RecordingFailedException.class);
        assertThat(eventually(Duration.ofSeconds(10), () -> failures.size() == 1))
                .isTrue();
    }

    @Test
    void the_last_chunk_and_manifest_failing_at_close_fail_the_close() throws Exception {
        FileSystemRecordingStorage storage = new FileSystemRecordingStorage(root);
        Recordings recordings = Fixtures.recordings(
                storage, WriterOptions.defaults().withFlushInterval(Duration.ofMinutes(1)), RecordingClock.system());
        SessionRecording recording = recordings.start(Fixtures.metadata(recordings), failures::add);
        recording.terminal().output(utf8("buffered, not yet on disk"));

        replaceDirectoryByFile(root.resolve(recording.id()));

        assertThatThrownBy(recording::close).isInstanceOf(RecordingFailedException.class);
        assertThat(eventually(Duration.ofSeconds(10), () -> failures.size() == 1))
                .isTrue();
    }

    @Test
    void a_recording_that_cannot_be_created_does_not_start() throws Exception {
        Path notADirectory = Files.writeString(root.resolve("recordings"), "a file where the recordings should be");
        Recordings recordings = Fixtures.recordings(
                new FileSystemRecordingStorage(notADirectory), WriterOptions.defaults(), RecordingClock.system());

        assertThatThrownBy(() -> recordings.start(Fixtures.metadata(recordings), failures::add))
                .isInstanceOf(RecordingFailedException.class)
                .hasMessageContaining("cannot create recording");
    }

    @Test
    void a_full_queue_blocks_the_producer_then_fails_closed_after_the_bounded_wait() throws Exception {
        StalledStorage storage = new StalledStorage(new FileSystemRecordingStorage(root));
        WriterOptions options = WriterOptions.defaults()
                .withMaxChunkBytes(1)
                .withQueueCapacity(4)
                .withMaxBlock(Duration.ofMillis(500));
        Recordings recordings = Fixtures.recordings(storage, options, RecordingClock.system());
        SessionRecording recording = recordings.start(Fixtures.metadata(recordings), failures::add);
        assertThat(storage.stalled.await(10, TimeUnit.SECONDS))
                .as("the writer thread is stuck writing chunk 0")
                .isTrue();

        CompletableFuture<Integer> producer = CompletableFuture.supplyAsync(() -> {
            int written = 0;
            try {
                while (true) {
                    recording.terminal().output(utf8("line " + written + "\r\n"));
                    written++;
                }
            } catch (RecordingFailedException e) {
                return written;
            }
        });

        assertThat(eventually(Duration.ofSeconds(10), () -> failures.size() == 1))
                .isTrue();
        assertThat(producer.get(10, TimeUnit.SECONDS))
                .as("lines accepted: those that fit the queue")
                .isEqualTo(4);
        assertThat(failures.get(0)).hasMessageContaining("queue stayed full");
        assertThatThrownBy(() -> recording.terminal().output(utf8("late")))
                .isInstanceOf(RecordingFailedException.class);
        storage.resume.countDown();
        assertThatThrownBy(recording::close).isInstanceOf(RecordingFailedException.class);
        assertThat(storage.manifest(recording.id())).isEmpty();
    }

    @Test
    void a_listener_that_cuts_the_session_by_closing_the_recording_does_not_deadlock() throws Exception {
        StalledStorage storage = new StalledStorage(new FileSystemRecordingStorage(root));
        WriterOptions options = WriterOptions.defaults()
                .withMaxChunkBytes(1)
                .withQueueCapacity(2)
                .withMaxBlock(Duration.ofMillis(300));
        Recordings recordings = Fixtures.recordings(storage, options, RecordingClock.system());
        AtomicReference<SessionRecording> session = new AtomicReference<>();
        CompletableFuture<Throwable> closedByListener = new CompletableFuture<>();
        session.set(recordings.start(Fixtures.metadata(recordings), failure -> {
            try {
                session.get().close("recording failed", null);
                closedByListener.complete(null);
            } catch (RecordingFailedException e) {
                closedByListener.complete(e);
            }
        }));
        SessionRecording recording = session.get();
        assertThat(storage.stalled.await(10, TimeUnit.SECONDS)).isTrue();

        // A producer blocks on the full queue while another thread closes the session.
        ExecutorService threads = Executors.newFixedThreadPool(2);
        CompletableFuture<Void> producer = CompletableFuture.runAsync(
                () -> {
                    try {
                        for (int i = 0; ; i++) {
                            recording.terminal().output(utf8("line " + i));
                        }
                    } catch (RecordingFailedException expected) {
                        // the recording failed: this is how the session learns it
                    }
                },
                threads);
        assertThat(eventually(Duration.ofSeconds(10), FailClosedTest::aProducerWaitsForRoom))
                .isTrue();
        CompletableFuture<Void> closer = CompletableFuture.runAsync(
                () -> {
                    try {
                        recording.close();
                    } catch (RecordingFailedException expected) {
                        // closing a failed recording reports the failure
                    }
                },
                threads);

        producer.get(10, TimeUnit.SECONDS);
        closer.get(10, TimeUnit.SECONDS);
        assertThat(closedByListener.get(10, TimeUnit.SECONDS)).isInstanceOf(RecordingFailedException.class);
        storage.resume.countDown();
        threads.shutdown();
    }

    @Test
    void a_producer_blocked_by_a_full_queue_continues_without_loss_when_storage_catches_up() throws Exception {
        StalledStorage storage = new StalledStorage(new FileSystemRecordingStorage(root));
        WriterOptions options = WriterOptions.defaults()
                .withMaxChunkBytes(1)
                .withQueueCapacity(4)
                .withMaxBlock(Duration.ofSeconds(20));
        Recordings recordings = Fixtures.recordings(storage, options, RecordingClock.system());
        SessionRecording recording = recordings.start(Fixtures.metadata(recordings), failures::add);
        assertThat(storage.stalled.await(10, TimeUnit.SECONDS)).isTrue();

        CompletableFuture<Void> producer = CompletableFuture.runAsync(() -> {
            try {
                for (int i = 0; i < 50; i++) {
                    recording.terminal().output(utf8("line " + i + "\r\n"));
                }
            } catch (RecordingFailedException e) {
                throw new IllegalStateException(e);
            }
        });
        assertThat(eventually(Duration.ofSeconds(10), FailClosedTest::aProducerWaitsForRoom))
                .as("the producer waits for room")
                .isTrue();
        assertThat(producer).isNotDone();

        storage.resume.countDown();
        producer.get(20, TimeUnit.SECONDS);
        recording.close();

        assertThat(failures).isEmpty();
        List<String> output = RecordingReader.open(storage, recording.id())
                .terminalEvents()
                .map(TerminalEvent::data)
                .toList();
        assertThat(output).hasSize(50);
        for (int i = 0; i < 50; i++) {
            assertThat(output.get(i)).isEqualTo("line " + i + "\r\n");
        }
    }

    private static void replaceDirectoryByFile(Path directory) throws IOException {
        try (var files = Files.list(directory)) {
            for (Path file : files.toList()) {
                Files.deleteIfExists(file); // the writer removes its own temporary file just after linking it
            }
        }
        Files.delete(directory);
        Files.writeString(directory, "not a directory");
    }

    /** True when some thread sits in the writer's bounded wait for queue space. */
    private static boolean aProducerWaitsForRoom() {
        return Thread.getAllStackTraces().values().stream()
                .anyMatch(frames -> Arrays.stream(frames)
                        .anyMatch(frame -> frame.getClassName().equals(RecordingWriter.class.getName())
                                && frame.getMethodName().equals("enqueue")));
    }

    private static long writerThreadsOf(String id) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> thread.getName().equals("recording-writer-" + id))
                .count();
    }

    /** A disk that hangs on its first chunk until released, like a stalled network volume. */
    private static final class StalledStorage implements RecordingStorage {
        private final RecordingStorage delegate;
        final CountDownLatch stalled = new CountDownLatch(1);
        final CountDownLatch resume = new CountDownLatch(1);

        StalledStorage(RecordingStorage delegate) {
            this.delegate = delegate;
        }

        @Override
        public void create(String id, byte[] header) throws IOException {
            delegate.create(id, header);
        }

        @Override
        public void putChunk(String id, long index, byte[] chunk) throws IOException {
            stalled.countDown();
            try {
                resume.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while stalled", e);
            }
            delegate.putChunk(id, index, chunk);
        }

        @Override
        public void putCheckpoint(String id, long chunks, byte[] checkpoint) throws IOException {
            delegate.putCheckpoint(id, chunks, checkpoint);
        }

        @Override
        public List<Long> checkpointIndexes(String id) throws IOException {
            return delegate.checkpointIndexes(id);
        }

        @Override
        public byte[] checkpoint(String id, long chunks) throws IOException {
            return delegate.checkpoint(id, chunks);
        }

        @Override
        public void putManifest(String id, byte[] manifest, byte[] signature) throws IOException {
            delegate.putManifest(id, manifest, signature);
        }

        @Override
        public byte[] header(String id) throws IOException {
            return delegate.header(id);
        }

        @Override
        public List<Long> chunkIndexes(String id) throws IOException {
            return delegate.chunkIndexes(id);
        }

        @Override
        public void deleteChunks(String id) throws IOException {
            delegate.deleteChunks(id);
        }

        @Override
        public byte[] chunk(String id, long index) throws IOException {
            return delegate.chunk(id, index);
        }

        @Override
        public Optional<SignedManifest> manifest(String id) throws IOException {
            return delegate.manifest(id);
        }

        @Override
        public List<String> recordings() throws IOException {
            return delegate.recordings();
        }
    }
}
