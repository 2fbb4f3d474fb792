package dev.portcullis.recording;

import static dev.portcullis.recording.Fixtures.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.recording.event.ExecEvent;
import dev.portcullis.recording.event.RecordedEvent;
import dev.portcullis.recording.event.SessionEvent;
import dev.portcullis.recording.event.TerminalEvent;
import dev.portcullis.recording.format.ChunkRecords;
import dev.portcullis.recording.read.RecordingReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConcurrentRecordingsTest {

    @TempDir
    Path root;

    @Test
    void many_sessions_record_at_once_and_each_recording_is_complete_and_valid() throws Exception {
        FileSystemRecordingStorage storage = new FileSystemRecordingStorage(root);
        Recordings recordings =
                Fixtures.recordings(storage, WriterOptions.defaults().withMaxChunkBytes(2048), RecordingClock.system());
        int sessions = 24;
        int linesPerSession = 300;
        ExecutorService pool = Executors.newFixedThreadPool(sessions);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<String>> results = new ArrayList<>();
        for (int s = 0; s < sessions; s++) {
            int session = s;
            results.add(pool.submit(() -> {
                SessionRecording recording = recordings.start(
                        recordings
                                .newMetadata()
                                .attribute("session", Integer.toString(session))
                                .build(),
                        RecordingFailureListener.none());
                go.await();
                for (int i = 0; i < linesPerSession; i++) {
                    byte[] line = utf8("session " + session + " line " + i + " ✓\r\n");
                    // split inside the multi-byte check mark on purpose
                    int cut = line.length - 4;
                    recording.terminal().output(line, 0, cut);
                    recording.terminal().output(line, cut, line.length - cut);
                }
                recording.close();
                return recording.id();
            }));
        }
        go.countDown();
        pool.shutdown();
        assertThat(pool.awaitTermination(60, TimeUnit.SECONDS)).isTrue();

        for (int s = 0; s < sessions; s++) {
            String id = results.get(s).get();
            assertThat(RecordingVerifier.verify(storage, id, Fixtures.SIGNER.publicKey())
                            .status())
                    .isEqualTo(RecordingVerifier.Status.VALID);
            String output = RecordingReader.open(storage, id)
                    .terminalEvents()
                    .map(TerminalEvent::data)
                    .collect(Collectors.joining());
            StringBuilder expected = new StringBuilder();
            for (int i = 0; i < linesPerSession; i++) {
                expected.append("session ").append(s).append(" line ").append(i).append(" ✓\r\n");
            }
            assertThat(output).isEqualTo(expected.toString());
        }
        assertThat(storage.recordings()).hasSize(sessions);
    }

    @Test
    void one_session_fed_from_several_threads_stores_every_line_in_time_order() throws Exception {
        FileSystemRecordingStorage storage = new FileSystemRecordingStorage(root);
        Recordings recordings =
                Fixtures.recordings(storage, WriterOptions.defaults().withMaxChunkBytes(1024), RecordingClock.system());
        SessionRecording recording = recordings.start(Fixtures.metadata(recordings), RecordingFailureListener.none());
        int perThread = 500;
        ExecutorService pool = Executors.newFixedThreadPool(4);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<?>> writers = List.of(
                pool.submit(() ->
                        repeat(go, perThread, i -> recording.terminal().output(utf8("out " + i + "\n")))),
                pool.submit(
                        () -> repeat(go, perThread, i -> recording.terminal().input(utf8("k")))),
                pool.submit(() ->
                        repeat(go, perThread, i -> recording.terminal().resize(80 + i % 40, 24))),
                pool.submit(() -> repeat(go, perThread, i -> recording.events().record(new ExecEvent("cmd " + i)))));
        go.countDown();
        for (Future<?> writer : writers) {
            writer.get(60, TimeUnit.SECONDS);
        }
        pool.shutdown();
        recording.close();

        assertThat(RecordingVerifier.verify(storage, recording.id(), Fixtures.SIGNER.publicKey())
                        .status())
                .isEqualTo(RecordingVerifier.Status.VALID);
        RecordingReader reader = RecordingReader.open(storage, recording.id());
        assertThat(reader.terminalEvents().count()).isEqualTo(3L * perThread);
        List<RecordedEvent> events = reader.events().toList();
        assertThat(events).hasSize(perThread + 2);
        assertThat(((SessionEvent) events.get(events.size() - 1).event()).inputBytes())
                .isEqualTo(perThread);
        List<Long> times = Fixtures.records(storage, recording.id()).stream()
                .map(ChunkRecords.Entry::micros)
                .toList();
        assertThat(times).hasSize(4 * perThread + 2).isSorted();
    }

    private interface Action {
        void run(int i) throws Exception;
    }

    private static Void repeat(CountDownLatch go, int times, Action action) throws Exception {
        go.await();
        for (int i = 0; i < times; i++) {
            action.run(i);
        }
        return null;
    }
}
