package dev.portcullis.recording.read;

import static dev.portcullis.recording.Fixtures.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.recording.FileSystemRecordingStorage;
import dev.portcullis.recording.Fixtures;
import dev.portcullis.recording.ManualClock;
import dev.portcullis.recording.RecordingFailureListener;
import dev.portcullis.recording.Recordings;
import dev.portcullis.recording.SessionRecording;
import dev.portcullis.recording.WriterOptions;
import dev.portcullis.recording.event.ExecEvent;
import dev.portcullis.recording.event.RecordedEvent;
import dev.portcullis.recording.event.TerminalEvent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("unit")
class OutputSearchTest {

    @TempDir
    Path root;

    private final ManualClock clock = new ManualClock();
    private FileSystemRecordingStorage storage;
    private SessionRecording recording;

    @BeforeEach
    void start() throws Exception {
        storage = new FileSystemRecordingStorage(root);
        // One line per chunk: every output event below lands in a chunk of its own.
        Recordings recordings =
                Fixtures.recordings(storage, WriterOptions.defaults().withMaxChunkBytes(1), clock);
        recording = recordings.start(Fixtures.metadata(recordings), RecordingFailureListener.none());
    }

    @Test
    void a_match_split_across_two_chunks_is_found_with_the_times_of_both_parts() throws Exception {
        output(5, "$ sudo rm -");
        output(6, "rf /var/lib/postgresql\r\n");
        output(9, "$ exit\r\n");
        recording.close();
        RecordingReader reader = RecordingReader.open(storage, recording.id());
        assertThat(Fixtures.chunkFiles(root.resolve(recording.id())).size()).isGreaterThanOrEqualTo(5);

        List<SearchHit> hits = reader.searchOutput("rm -rf");

        assertThat(hits).containsExactly(new SearchHit(5.0, 6.0, "rm -rf"));
        assertThat(reader.searchOutput(Pattern.compile("rm\\s+-rf\\s+(\\S+)")))
                .extracting(SearchHit::text)
                .containsExactly("rm -rf /var/lib/postgresql");
        assertThat(reader.searchOutput("DROP DATABASE")).isEmpty();
    }

    @Test
    void colour_codes_and_escape_sequences_cut_between_events_do_not_hide_a_match() throws Exception {
        output(1, "$ \u001b[1;31mrm\u001b[0m -r");
        output(2, "f /tmp/x \u001b[");
        output(3, "32mok\u001b]0;title\u0007\r\n");
        output(4, "rm\u001b[K -rf again\r\n");
        recording.close();

        List<SearchHit> hits = RecordingReader.open(storage, recording.id()).searchOutput("rm -rf");

        assertThat(hits).containsExactly(new SearchHit(1.0, 2.0, "rm -rf"), new SearchHit(4.0, 4.0, "rm -rf"));
        assertThat(RecordingReader.open(storage, recording.id()).searchOutput("/tmp/x ok"))
                .containsExactly(new SearchHit(2.0, 3.0, "/tmp/x ok"));
    }

    @Test
    void a_multibyte_word_split_between_packets_and_chunks_is_found() throws Exception {
        byte[] word = utf8("Größe");
        clock.advance(Duration.ofSeconds(1));
        recording.terminal().output(word, 0, 3); // "Gr" and the first byte of 'ö'
        clock.advance(Duration.ofSeconds(1));
        recording.terminal().output(word, 3, word.length - 3);
        recording.close();

        assertThat(RecordingReader.open(storage, recording.id()).searchOutput("Größe"))
                .containsExactly(new SearchHit(1.0, 2.0, "Größe"));
    }

    @Test
    void seeking_returns_the_events_from_a_time_on() throws Exception {
        for (int second = 1; second <= 10; second++) {
            output(second, "tick " + second + "\r\n");
            recording.events().record(new ExecEvent("job " + second));
        }
        recording.close();
        RecordingReader reader = RecordingReader.open(storage, recording.id());

        assertThat(reader.terminalEventsFrom(7.5).map(TerminalEvent::data))
                .containsExactly("tick 8\r\n", "tick 9\r\n", "tick 10\r\n");
        assertThat(reader.eventsFrom(9).map(RecordedEvent::event))
                .startsWith(new ExecEvent("job 9"), new ExecEvent("job 10"));
        assertThat(reader.terminalEventsFrom(0).count()).isEqualTo(10);
    }

    private void output(int atSecond, String text) throws Exception {
        clock.advance(Duration.ofSeconds(atSecond).minusNanos(clock.nanoTime()));
        recording.terminal().output(utf8(text));
    }
}
