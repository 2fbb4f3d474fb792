package dev.portcullis.recording;

import static dev.portcullis.recording.Fixtures.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import dev.portcullis.recording.event.ExecEvent;
import dev.portcullis.recording.event.FileOperationEvent;
import dev.portcullis.recording.event.FileProtocol;
import dev.portcullis.recording.event.FileTransferEvent;
import dev.portcullis.recording.event.QueryEvent;
import dev.portcullis.recording.event.RecordedEvent;
import dev.portcullis.recording.event.SessionEvent;
import dev.portcullis.recording.event.StructuredEvent;
import dev.portcullis.recording.event.TerminalEvent;
import dev.portcullis.recording.read.RecordingReader;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("unit")
class RecordingRoundTripTest {

    @TempDir
    Path root;

    private final ManualClock clock = new ManualClock();

    @Test
    void a_terminal_session_with_split_utf8_comes_back_byte_for_byte_over_many_chunks() throws Exception {
        FileSystemRecordingStorage storage = new FileSystemRecordingStorage(root);
        Recordings recordings = Fixtures.recordings(storage, Fixtures.smallChunks(), clock);
        SessionRecording recording = recordings.start(Fixtures.metadata(recordings), RecordingFailureListener.none());

        byte[] smiley = utf8("🙂"); // four bytes, delivered in three packets
        byte[] accented = utf8("café\r\n"); // 'é' is cut between two packets
        step(() -> recording.terminal().output(utf8("$ ")));
        step(() -> recording.terminal().input(utf8("l")));
        step(() -> recording.terminal().input(utf8("s\r")));
        step(() -> recording.terminal().output(smiley, 0, 1));
        step(() -> recording.terminal().output(smiley, 1, 2));
        step(() -> recording.terminal().output(smiley, 3, 1));
        step(() -> recording.terminal().output(accented, 0, 4));
        step(() -> recording.terminal().output(accented, 4, accented.length - 4));
        step(() -> recording.terminal().output(new byte[] {'x', (byte) 0xff, 'y'}));
        step(() -> recording.terminal().resize(132, 43));
        for (int i = 0; i < 20; i++) {
            int line = i;
            step(() -> recording.terminal().output(utf8("line " + line + " of a long listing\r\n")));
        }
        RecordingManifest manifest = recording.close();

        RecordingReader reader = RecordingReader.open(storage, recording.id());
        List<TerminalEvent> events = reader.terminalEvents().toList();
        assertThat(events.subList(0, 9))
                .extracting(TerminalEvent::time, TerminalEvent::type, TerminalEvent::data)
                .containsExactly(
                        tuple(1.0, TerminalEvent.Type.OUTPUT, "$ "),
                        tuple(2.0, TerminalEvent.Type.INPUT, "l"),
                        tuple(3.0, TerminalEvent.Type.INPUT, "s\r"),
                        // the first two packets hold only part of the smiley: nothing to show until the third
                        tuple(6.0, TerminalEvent.Type.OUTPUT, "🙂"),
                        tuple(7.0, TerminalEvent.Type.OUTPUT, "caf"),
                        tuple(8.0, TerminalEvent.Type.OUTPUT, "é\r\n"),
                        tuple(9.0, TerminalEvent.Type.OUTPUT, "x\uFFFDy"),
                        tuple(10.0, TerminalEvent.Type.RESIZE, "132x43"),
                        tuple(11.0, TerminalEvent.Type.OUTPUT, "line 0 of a long listing\r\n"));
        String output = events.stream()
                .filter(e -> e.type() == TerminalEvent.Type.OUTPUT)
                .map(TerminalEvent::data)
                .collect(Collectors.joining());
        assertThat(output).startsWith("$ 🙂café\r\nx\uFFFDy").endsWith("line 19 of a long listing\r\n");

        assertThat(manifest.chunks().size()).isGreaterThan(3);
        assertThat(manifest.recording()).isEqualTo(recording.id());
        assertThat(manifest.closedAt()).isEqualTo(Instant.parse("2025-03-01T09:30:30Z"));
        assertThat(reader.metadata()).isEqualTo(recording.metadata());
        assertThat(reader.metadata().startedAt()).isEqualTo(Instant.parse("2025-03-01T09:30:00Z"));
        SessionEvent end = (SessionEvent)
                reader.events().reduce((first, second) -> second).orElseThrow().event();
        assertThat(end.outputBytes())
                .as("raw bytes, including the invalid one")
                .isEqualTo(2 + 4 + accented.length + 3 + 20 * "line 0 of a long listing\r\n".length() + 10);
        assertThat(end.inputBytes()).isEqualTo(3);
        assertThat(RecordingVerifier.verify(storage, recording.id(), Fixtures.SIGNER.publicKey())
                        .status())
                .isEqualTo(RecordingVerifier.Status.VALID);
    }

    @Test
    void structured_events_come_back_typed_with_their_times_between_session_start_and_end() throws Exception {
        FileSystemRecordingStorage storage = new FileSystemRecordingStorage(root);
        Recordings recordings = Fixtures.recordings(storage, Fixtures.smallChunks(), clock);
        SessionRecording recording = recordings.start(Fixtures.metadata(recordings), RecordingFailureListener.none());

        List<StructuredEvent> recorded = List.of(
                new ExecEvent("systemctl restart nginx"),
                new FileTransferEvent(
                        FileProtocol.SFTP, FileTransferEvent.Direction.UPLOAD, "/etc/nginx/nginx.conf", 2_048),
                new FileTransferEvent(
                        FileProtocol.SCP, FileTransferEvent.Direction.DOWNLOAD, "/var/log/syslog", 10_485_760),
                new FileOperationEvent(FileProtocol.SFTP, FileOperationEvent.Operation.RENAME, "/tmp/a", "/tmp/b"),
                new QueryEvent("orders", "SELECT * FROM orders WHERE id = $1", 1L, null),
                new QueryEvent("orders", "DROP TABLE orders", null, "permission denied for table orders"),
                new dev.portcullis.recording.event.ForwardEvent("10.0.0.7", 5432, "127.0.0.1:51000", 1_024, 65_536));
        for (StructuredEvent event : recorded) {
            step(() -> recording.events().record(event));
        }
        step(() -> recording.close("grant revoked", 143));
        assertThatThrownBy(() -> recording.events().record(SessionEvent.started()))
                .as("start and end are the recorder's to write")
                .isInstanceOf(IllegalArgumentException.class);

        RecordingReader reader = RecordingReader.open(storage, recording.id());
        List<RecordedEvent> events = reader.events().toList();
        assertThat(events)
                .extracting(RecordedEvent::event)
                .containsExactly(
                        SessionEvent.started(),
                        recorded.get(0),
                        recorded.get(1),
                        recorded.get(2),
                        recorded.get(3),
                        recorded.get(4),
                        recorded.get(5),
                        recorded.get(6),
                        SessionEvent.ended("grant revoked", 143, 0, 0));
        assertThat(events).extracting(RecordedEvent::time).containsExactly(0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0);
        assertThat(events.get(3).at()).isEqualTo(Instant.parse("2025-03-01T09:30:03Z"));
        assertThat(reader.terminalEvents()).isEmpty();
    }

    @Test
    void when_input_recording_is_off_keystrokes_are_counted_but_not_stored() throws Exception {
        FileSystemRecordingStorage storage = new FileSystemRecordingStorage(root);
        Recordings recordings = Fixtures.recordings(storage, WriterOptions.defaults(), clock);
        SessionRecording recording =
                recordings.start(recordings.newMetadata().recordInput(false).build(), RecordingFailureListener.none());

        recording.terminal().input(utf8("s3cr3t-passw0rd\r"));
        recording.terminal().output(utf8("Password accepted\r\n"));
        recording.close();

        RecordingReader reader = RecordingReader.open(storage, recording.id());
        assertThat(reader.terminalEvents().map(TerminalEvent::type)).containsOnly(TerminalEvent.Type.OUTPUT);
        assertThat(reader.searchOutput("s3cr3t")).isEmpty();
        assertThat(reader.events().map(RecordedEvent::event)).contains(SessionEvent.ended("closed", null, 19, 16));
        assertThat(reader.metadata().inputRecorded()).isFalse();
    }

    @Test
    void every_recording_is_listed_by_the_storage() throws Exception {
        FileSystemRecordingStorage storage = new FileSystemRecordingStorage(root);
        Recordings recordings = Fixtures.recordings(storage, WriterOptions.defaults(), clock);
        String first = Fixtures.recordSampleSession(recordings).id();
        String second = Fixtures.recordSampleSession(recordings).id();

        assertThat(storage.recordings()).containsExactlyInAnyOrder(first, second);
    }

    @Test
    void a_megabyte_of_output_in_one_piece_becomes_bounded_lines_that_read_back_whole() throws Exception {
        FileSystemRecordingStorage storage = new FileSystemRecordingStorage(root);
        Recordings recordings = Fixtures.recordings(storage, WriterOptions.defaults(), clock);
        SessionRecording recording = recordings.start(Fixtures.metadata(recordings), RecordingFailureListener.none());
        // an 'é' (two bytes) cut by the first line boundary must come back whole, not as two replacement characters
        StringBuilder text = new StringBuilder("a".repeat(TerminalRecorder.MAX_RECORD_BYTES - 1)).append('\u00e9');
        while (text.length() < 1_100_000) {
            text.append("ligne très longue, \"quoted\" \\ and a tab\t, line ")
                    .append(text.length())
                    .append("\r\n");
        }
        byte[] bytes = utf8(text.toString());
        step(() -> recording.terminal().output(bytes, 0, bytes.length));
        recording.close();

        List<TerminalEvent> events =
                RecordingReader.open(storage, recording.id()).terminalEvents().toList();
        assertThat(events)
                .as("one line per 32 KiB at most")
                .hasSize((bytes.length + TerminalRecorder.MAX_RECORD_BYTES - 1) / TerminalRecorder.MAX_RECORD_BYTES);
        assertThat(events).extracting(TerminalEvent::time).containsOnly(1.0);
        assertThat(events.stream().map(TerminalEvent::data).collect(Collectors.joining()))
                .isEqualTo(new String(bytes, java.nio.charset.StandardCharsets.UTF_8));
        assertThat(events.get(1).data()).startsWith("\u00e9");
        assertThat(events).extracting(TerminalEvent::data).noneMatch(d -> d.contains("\ufffd"));
    }

    private interface Step {
        void run() throws Exception;
    }

    /** One thing happens per second of recording time, so times in the assertions are whole numbers. */
    private void step(Step step) throws Exception {
        clock.advance(Duration.ofSeconds(1));
        step.run();
    }
}
