package dev.portcullis.broker.recordings;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.recording.FileSystemRecordingStorage;
import dev.portcullis.recording.RecordingClock;
import dev.portcullis.recording.RecordingFailureListener;
import dev.portcullis.recording.RecordingSigner;
import dev.portcullis.recording.Recordings;
import dev.portcullis.recording.SessionRecording;
import dev.portcullis.recording.WriterOptions;
import dev.portcullis.recording.read.RecordingReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The screen at a point, rebuilt from the output just before it: one line per case, on a real recording store. */
@Tag("unit")
class ScreenRebuildTest {

    @TempDir
    Path store;

    /** Output at chosen seconds: {seconds, text} pairs; "RESIZE:COLSxROWS" records a resize. */
    private RecordingReader recording(Object... timedOutput) throws Exception {
        long[] nanos = {0};
        RecordingClock clock = new RecordingClock() {
            @Override
            public Instant now() {
                return Instant.EPOCH.plusNanos(nanos[0]);
            }

            @Override
            public long nanoTime() {
                return nanos[0];
            }
        };
        FileSystemRecordingStorage storage = new FileSystemRecordingStorage(store);
        Recordings recordings = new Recordings(storage, RecordingSigner.generate(), WriterOptions.defaults(), clock);
        SessionRecording recording = recordings.start(
                recordings.newMetadata().terminalSize(80, 24).build(), RecordingFailureListener.none());
        for (int i = 0; i < timedOutput.length; i += 2) {
            nanos[0] = (long) (((Number) timedOutput[i]).doubleValue() * 1e9);
            String text = (String) timedOutput[i + 1];
            if (text.startsWith("RESIZE:")) {
                String[] size = text.substring(7).split("x");
                recording.terminal().resize(Integer.parseInt(size[0]), Integer.parseInt(size[1]));
            } else {
                recording.terminal().output(text.getBytes(StandardCharsets.UTF_8));
            }
        }
        recording.close();
        return RecordingReader.open(storage, recording.id());
    }

    private ScreenRebuild.Screen at(double seconds, Object... timedOutput) throws Exception {
        return ScreenRebuild.before(recording(timedOutput), seconds, 80, 24);
    }

    @Test
    void theScreenStartsAtTheLastClearBeforeThePoint() throws Exception {
        assertThat(at(10, 1, "old\r\n", 2, "\u001b[H\u001b[2Jnew\r\n", 3, "more\r\n", 11, "after\r\n")
                        .init())
                .isEqualTo("\u001b[2Jnew\r\nmore\r\n");
        assertThat(at(10, 1, "old\r\n", 2, "\u001bcreset\r\n").init()).isEqualTo("\u001bcreset\r\n");
        assertThat(at(10, 1, "shell\r\n", 2, "\u001b[?1049hvim\r\n").init()).isEqualTo("\u001b[?1049hvim\r\n");
    }

    @Test
    void withoutAClearTheWholeOutputIsReplayedWhenItIsShort() throws Exception {
        assertThat(at(100, 1, "one\r\n", 50, "two\r\n", 99.9, "three").init()).isEqualTo("one\r\ntwo\r\nthree");
        assertThat(at(0.5, 1, "later\r\n").init()).isEmpty();
    }

    @Test
    void aLongTailStartsAtALineStart() throws Exception {
        String line = "x".repeat(99) + "\n";
        Object[] output = new Object[2 * 1000];
        for (int i = 0; i < 1000; i++) {
            output[2 * i] = i * 0.01;
            output[2 * i + 1] = line;
        }
        String init = at(11, output).init();
        assertThat(init.length()).isLessThanOrEqualTo(ScreenRebuild.TAIL_CHARS).isGreaterThan(60_000);
        assertThat(init).startsWith("x").endsWith("\n");
        assertThat(init.length() % 100).isZero();
    }

    @Test
    void theSizeIsTheLastResizeBeforeThePoint() throws Exception {
        ScreenRebuild.Screen screen = at(10, 1, "RESIZE:100x30", 2, "RESIZE:120x40", 3, "text\r\n", 11, "RESIZE:90x20");
        assertThat(List.of(screen.cols(), screen.rows())).containsExactly(120, 40);
        ScreenRebuild.Screen none = at(10, 1, "text\r\n");
        assertThat(List.of(none.cols(), none.rows())).containsExactly(80, 24);
    }

    @Test
    void aFarOffPointReadsABoundedNumberOfWindows() throws Exception {
        assertThat(at(1e300, 1, "one\r\n").init()).isEqualTo("one\r\n");
    }
}
