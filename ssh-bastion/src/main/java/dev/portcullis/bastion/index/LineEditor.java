package dev.portcullis.bastion.index;

import dev.portcullis.recording.Utf8StreamDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Rebuilds the command lines a person typed into a shell from the keystrokes alone, as a readline-style line editor
 * (bash, zsh in emacs mode) would have applied them: printable text, backspace, Ctrl-U, Ctrl-W, Ctrl-K, Ctrl-Y, cursor
 * moves (arrows, Home/End, Ctrl-A/E/B/F, Alt-B/F), Delete, Ctrl-C, and history recall with the up and down arrows
 * (Ctrl-P/N) over the lines typed earlier in this session.
 *
 * <p>An audit aid, not a security boundary. What the keystrokes cannot tell, and what is then marked {@code
 * certain=false} on the line: what Tab completion added, what Ctrl-R found, history from before this session (the
 * shell's history file), and keys this editor does not know. It also cannot know whether a shell was reading the keys
 * at all (a password prompt, an editor, a pager): such keys make lines too, exactly as typed. The terminal output holds
 * what the shell echoed; it is indexed separately.
 */
public final class LineEditor {

    /** A line as entered (Enter pressed), and whether the keystrokes alone fully determine it. */
    public record TypedLine(String text, boolean certain) {}

    /** Longer lines are cut: an index entry is for finding, the recording holds every byte. */
    static final int MAX_LINE = 4096;

    private enum Escape {
        NONE,
        ESC,
        CSI,
        SS3
    }

    private final Utf8StreamDecoder utf8 = new Utf8StreamDecoder();
    private final List<String> history = new ArrayList<>();
    private StringBuilder line = new StringBuilder();
    private int cursor;
    private boolean certain = true;
    private String killed = "";
    /** Where in the history the line being edited came from; history.size() for a new line. */
    private int recalled;

    private String draft = "";
    private boolean draftCertain = true;
    private Escape escape = Escape.NONE;
    private final StringBuilder params = new StringBuilder();
    private boolean pasting;

    /** Feeds keystroke bytes; returns the lines they completed, in order. */
    public List<TypedLine> feed(byte[] data) {
        byte[] valid = utf8.decode(data, 0, data.length);
        String keys = new String(valid, StandardCharsets.UTF_8);
        List<TypedLine> lines = new ArrayList<>(1);
        for (int i = 0; i < keys.length(); ) {
            int c = keys.codePointAt(i);
            i += Character.charCount(c);
            key(c, lines);
        }
        return lines;
    }

    private void key(int c, List<TypedLine> lines) {
        switch (escape) {
            case ESC -> {
                escaped(c);
                return;
            }
            case CSI -> {
                if (c >= 0x20 && c <= 0x3f) {
                    params.append((char) c);
                } else {
                    escape = Escape.NONE;
                    csi(params.toString(), c);
                }
                return;
            }
            case SS3 -> {
                escape = Escape.NONE;
                csi("", c);
                return;
            }
            default -> {}
        }
        if (pasting && c != 0x1b) {
            // bracketed paste: everything is text, even Enter (readline inserts it; the shell runs it as typed)
            if (c == '\r' || c == '\n') {
                enter(lines);
            } else if (c >= 0x20) {
                insert(c);
            }
            return;
        }
        switch (c) {
            case '\r', '\n' -> enter(lines);
            case 0x7f, 0x08 -> backspace();
            case 0x15 -> { // Ctrl-U: kill from the start of the line to the cursor
                killed = line.substring(0, cursor);
                line.delete(0, cursor);
                cursor = 0;
            }
            case 0x17 -> unixWordRubout();
            case 0x0b -> { // Ctrl-K: kill to the end
                killed = line.substring(cursor);
                line.setLength(cursor);
            }
            case 0x19 -> { // Ctrl-Y: yank what was killed last
                line.insert(cursor, killed);
                cursor += killed.length();
            }
            case 0x01 -> cursor = 0;
            case 0x05 -> cursor = line.length();
            case 0x02 -> cursor = Math.max(0, cursor - 1);
            case 0x06 -> cursor = Math.min(line.length(), cursor + 1);
            case 0x04 -> deleteForward();
            case 0x03 -> abandon(); // Ctrl-C: the line is dropped, nothing runs
            case 0x10 -> up();
            case 0x0e -> down();
            case 0x0c -> {} // Ctrl-L redraws the screen only
            case 0x09, 0x12, 0x13, 0x14, 0x18, 0x1a, 0x1f -> certain = false; // completion, searches, transposes, undo
            case 0x1b -> {
                escape = Escape.ESC;
                params.setLength(0);
            }
            default -> {
                if (c >= 0x20) {
                    insert(c);
                }
            }
        }
    }

    private void escaped(int c) {
        escape = Escape.NONE;
        switch (c) {
            case '[' -> escape = Escape.CSI;
            case 'O' -> escape = Escape.SS3;
            case 'b', 'B' -> cursor = wordStart(cursor);
            case 'f', 'F' -> cursor = wordEnd(cursor);
            case 0x7f, 0x08 -> { // Alt-Backspace: kill the word before the cursor
                int from = wordStart(cursor);
                killed = line.substring(from, cursor);
                line.delete(from, cursor);
                cursor = from;
            }
            case 'd', 'D' -> {
                int to = wordEnd(cursor);
                killed = line.substring(cursor, to);
                line.delete(cursor, to);
            }
            default -> certain = false;
        }
    }

    private void csi(String p, int fin) {
        switch (fin) {
            case 'A' -> up();
            case 'B' -> down();
            case 'C' -> cursor = p.endsWith("5") ? wordEnd(cursor) : Math.min(line.length(), cursor + 1);
            case 'D' -> cursor = p.endsWith("5") ? wordStart(cursor) : Math.max(0, cursor - 1);
            case 'H' -> cursor = 0;
            case 'F' -> cursor = line.length();
            case '~' -> {
                switch (p) {
                    case "3" -> deleteForward();
                    case "1", "7" -> cursor = 0;
                    case "4", "8" -> cursor = line.length();
                    case "200" -> pasting = true;
                    case "201" -> pasting = false;
                    case "2", "5", "6" -> {} // Insert, Page Up/Down: no change to the line
                    default -> certain = false;
                }
            }
            default -> certain = false;
        }
    }

    private void insert(int c) {
        if (line.length() >= MAX_LINE) {
            return;
        }
        String s = new String(Character.toChars(c));
        line.insert(cursor, s);
        cursor += s.length();
    }

    private void backspace() {
        if (cursor > 0) {
            int n = Character.isLowSurrogate(line.charAt(cursor - 1)) && cursor > 1 ? 2 : 1;
            line.delete(cursor - n, cursor);
            cursor -= n;
        }
    }

    private void deleteForward() {
        if (cursor < line.length()) {
            line.deleteCharAt(cursor);
        }
    }

    /** Ctrl-W: back to the previous whitespace, as readline's unix-word-rubout. */
    private void unixWordRubout() {
        int from = cursor;
        while (from > 0 && line.charAt(from - 1) == ' ') {
            from--;
        }
        while (from > 0 && line.charAt(from - 1) != ' ') {
            from--;
        }
        killed = line.substring(from, cursor);
        line.delete(from, cursor);
        cursor = from;
    }

    /** Alt-B and Ctrl-Left: to the start of the word before the cursor (letters and digits make words). */
    private int wordStart(int at) {
        int i = at;
        while (i > 0 && !Character.isLetterOrDigit(line.charAt(i - 1))) {
            i--;
        }
        while (i > 0 && Character.isLetterOrDigit(line.charAt(i - 1))) {
            i--;
        }
        return i;
    }

    private int wordEnd(int at) {
        int i = at;
        while (i < line.length() && !Character.isLetterOrDigit(line.charAt(i))) {
            i++;
        }
        while (i < line.length() && Character.isLetterOrDigit(line.charAt(i))) {
            i++;
        }
        return i;
    }

    private void up() {
        if (recalled == history.size()) {
            draft = line.toString();
            draftCertain = certain;
        }
        if (recalled > 0) {
            recalled--;
            replaceLine(history.get(recalled));
        } else {
            // older history (the shell's history file) is not in the keystrokes: the line is unknown from here
            replaceLine("");
            certain = false;
        }
    }

    private void down() {
        if (recalled < history.size()) {
            recalled++;
            replaceLine(recalled == history.size() ? draft : history.get(recalled));
            if (recalled == history.size()) {
                certain = draftCertain;
            }
        }
    }

    private void replaceLine(String text) {
        line = new StringBuilder(text);
        cursor = line.length();
    }

    private void enter(List<TypedLine> lines) {
        String text = line.toString();
        if (!text.isBlank()) {
            lines.add(new TypedLine(text, certain));
            history.add(text);
        }
        reset();
    }

    private void abandon() {
        reset();
    }

    private void reset() {
        line = new StringBuilder();
        cursor = 0;
        certain = true;
        recalled = history.size();
        draft = "";
        draftCertain = true;
    }
}
