package dev.portcullis.broker.recordings;

import dev.portcullis.recording.event.TerminalEvent;
import dev.portcullis.recording.read.RecordingReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The terminal screen at a point of a recording, rebuilt from the output just before it rather than from the start:
 * the last {@value #TAIL_CHARS} characters of output, cut at the last full-screen clear (or switch to the alternate
 * screen) in them, replayed at once into a fresh terminal. It reads backwards in windows that grow fourfold (a quarter
 * of a second first), so it reads about as much as it keeps whether the session was busy or idle.
 *
 * <p>What it cannot show: anything drawn before the tail that is still on the screen (a full-screen program that
 * redraws only what changes, a status line painted once), terminal modes set before it (colours, scroll regions,
 * character sets, the alternate screen when the tail holds no switch to it), and a resize older than the windows it
 * read (the header's size is used then).
 */
final class ScreenRebuild {

    static final int TAIL_CHARS = 64 * 1024;
    private static final double FIRST_WINDOW_SECONDS = 0.25;
    /** The last window always reaches back to the start, so a far-off time costs a bounded number of reads. */
    private static final int MAX_WINDOWS = 16;
    /** Sequences after which nothing older is on the screen: reset, erase display, alternate screen on, home+erase. */
    private static final List<String> CLEARS =
            List.of("\u001bc", "\u001b[2J", "\u001b[?1049h", "\u001b[?1047h", "\u001b[?47h", "\u001b[H\u001b[J");

    /** The size and the output that put the screen in its state. */
    record Screen(int cols, int rows, String init) {}

    private ScreenRebuild() {}

    static Screen before(RecordingReader reader, double time, int cols, int rows) throws IOException {
        List<String> newestFirst = new ArrayList<>();
        String resize = null;
        int have = 0;
        boolean cleared = false;
        double end = time;
        double span = FIRST_WINDOW_SECONDS;
        for (int window = 1; end > 0 && have < TAIL_CHARS && !cleared; window++) {
            double start = window == MAX_WINDOWS ? 0 : Math.max(0, end - span);
            Tail tail = new Tail(TAIL_CHARS - have);
            String lastResize = null;
            try (Stream<TerminalEvent> events = reader.terminalEventsBetween(start, end)) {
                for (TerminalEvent e : (Iterable<TerminalEvent>) events::iterator) {
                    if (e.type() == TerminalEvent.Type.OUTPUT) {
                        tail.append(e.data());
                    } else if (e.type() == TerminalEvent.Type.RESIZE) {
                        lastResize = e.data();
                    }
                }
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
            if (resize == null) {
                resize = lastResize;
            }
            String text = tail.text();
            newestFirst.add(text);
            have += text.length();
            cleared = lastClear(text) >= 0;
            end = start;
            span *= 4;
        }
        StringBuilder joined = new StringBuilder(have);
        for (int i = newestFirst.size() - 1; i >= 0; i--) {
            joined.append(newestFirst.get(i));
        }
        String init = joined.toString();
        int clear = lastClear(init);
        if (clear >= 0) {
            init = init.substring(clear);
        } else if (end > 0 || have >= TAIL_CHARS) {
            // the tail starts somewhere in the middle: from a line start, not inside an escape sequence
            int newline = init.indexOf('\n');
            init = newline < 0 ? "" : init.substring(newline + 1);
        }
        int[] size = size(resize, cols, rows);
        return new Screen(size[0], size[1], init);
    }

    private static int lastClear(String text) {
        int last = -1;
        for (String clear : CLEARS) {
            last = Math.max(last, text.lastIndexOf(clear));
        }
        return last;
    }

    /** An asciicast resize ("COLSxROWS"), or the size given when there is none or it is unreadable. */
    private static int[] size(String resize, int cols, int rows) {
        if (resize != null) {
            String[] parts = resize.split("x");
            try {
                int c = Integer.parseInt(parts[0].strip());
                int r = Integer.parseInt(parts[1].strip());
                if (c > 0 && r > 0 && c <= 1000 && r <= 1000) {
                    return new int[] {c, r};
                }
            } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
                // a resize the recorder would not write: keep the header's size
            }
        }
        return new int[] {cols, rows};
    }

    /** The last {@code max} characters appended, never starting inside a surrogate pair. */
    static final class Tail {
        private final int max;
        private final StringBuilder text = new StringBuilder();

        Tail(int max) {
            this.max = Math.max(0, max);
        }

        void append(String data) {
            if (data.length() >= max) {
                text.setLength(0);
                text.append(data, data.length() - max, data.length());
            } else {
                text.append(data);
            }
            if (text.length() > 2 * max) {
                trim();
            }
        }

        String text() {
            trim();
            return text.toString();
        }

        private void trim() {
            int cut = Math.max(0, text.length() - max);
            if (cut < text.length() && Character.isLowSurrogate(text.charAt(cut))) {
                cut++;
            }
            text.delete(0, cut);
        }
    }
}
