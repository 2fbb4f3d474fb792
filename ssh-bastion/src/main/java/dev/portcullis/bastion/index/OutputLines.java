package dev.portcullis.bastion.index;

import dev.portcullis.recording.Utf8StreamDecoder;
import dev.portcullis.recording.read.EscapeSequenceFilter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Terminal output as the lines of text a person saw: UTF-8 decoded across pieces, escape sequences and control
 * characters removed (the recording's own filter, as its text search uses), cut at newlines. A carriage return
 * without a newline (a progress bar redrawing itself) keeps only what follows it. Blank lines are dropped.
 */
public final class OutputLines {

    private Utf8StreamDecoder utf8 = new Utf8StreamDecoder();
    private EscapeSequenceFilter escapes = new EscapeSequenceFilter();
    private final StringBuilder visible = new StringBuilder();
    private final StringBuilder partial = new StringBuilder();
    /** The last character seen was a carriage return. */
    private boolean afterCr;

    /** Feeds output bytes; returns the lines they completed. */
    public List<String> feed(byte[] data) {
        String text = new String(utf8.decode(data, 0, data.length), StandardCharsets.UTF_8);
        // \r is a control character the filter drops: a bare one (no \n after it) starts the line over
        List<String> lines = new ArrayList<>();
        int from = 0;
        for (int i = 0; i <= text.length(); i++) {
            boolean cr = i < text.length() && text.charAt(i) == '\r';
            if (i == text.length() || cr) {
                if (i > from) {
                    if (afterCr && text.charAt(from) != '\n') {
                        partial.setLength(0);
                    }
                    afterCr = false;
                    visible.setLength(0);
                    escapes.append(text.substring(from, i), visible);
                    take(visible, lines);
                }
                if (cr) {
                    afterCr = true;
                }
                from = i + 1;
            }
        }
        return lines;
    }

    /**
     * Output was left out here: the line it was in, a sequence or escape it cut, are dropped rather than joined to
     * what follows.
     */
    public void gap() {
        utf8 = new Utf8StreamDecoder();
        escapes = new EscapeSequenceFilter();
        partial.setLength(0);
        afterCr = false;
    }

    /** What is left of a line no newline ended (at the session's end). */
    public String rest() {
        String s = partial.toString().strip();
        partial.setLength(0);
        return s;
    }

    private void take(CharSequence piece, List<String> lines) {
        for (int i = 0; i < piece.length(); i++) {
            char c = piece.charAt(i);
            if (c == '\n') {
                add(lines);
            } else if (partial.length() < IndexEntry.MAX_TEXT) {
                partial.append(c);
            }
        }
    }

    private void add(List<String> lines) {
        String line = partial.toString().strip();
        partial.setLength(0);
        if (!line.isEmpty()) {
            lines.add(line);
        }
    }
}
