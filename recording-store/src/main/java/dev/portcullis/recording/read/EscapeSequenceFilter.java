package dev.portcullis.recording.read;

/**
 * Removes terminal control sequences (CSI, OSC, DCS and other ESC sequences) and control characters
 * other than newline and tab, so searches see the text a person saw. Keeps its state between
 * calls, because a sequence may be cut between two output events.
 */
public final class EscapeSequenceFilter {

    private enum State {
        TEXT,
        ESCAPE,
        ESCAPE_INTERMEDIATE,
        CSI,
        STRING,
        STRING_ESCAPE
    }

    private static final char ESC = 0x1b;
    private static final char BEL = 0x07;
    private static final char C1_CSI = 0x9b;

    private State state = State.TEXT;

    public void append(String data, StringBuilder visible) {
        for (int i = 0; i < data.length(); i++) {
            char c = data.charAt(i);
            state = switch (state) {
                case TEXT -> text(c, visible);
                case ESCAPE -> escape(c);
                case ESCAPE_INTERMEDIATE -> c >= 0x20 && c <= 0x2f ? State.ESCAPE_INTERMEDIATE : State.TEXT;
                case CSI -> c >= 0x40 && c <= 0x7e ? State.TEXT : State.CSI;
                case STRING -> c == BEL ? State.TEXT : c == ESC ? State.STRING_ESCAPE : State.STRING;
                case STRING_ESCAPE -> c == '\\' ? State.TEXT : State.STRING;
            };
        }
    }

    private static State text(char c, StringBuilder visible) {
        if (c == ESC) {
            return State.ESCAPE;
        }
        if (c == C1_CSI) {
            return State.CSI;
        }
        if (c >= 0x20 && c != 0x7f || c == '\n' || c == '\t') {
            visible.append(c);
        }
        return State.TEXT;
    }

    private static State escape(char c) {
        return switch (c) {
            case '[' -> State.CSI;
            case ']', 'P', 'X', '^', '_' -> State.STRING;
            default -> c >= 0x20 && c <= 0x2f ? State.ESCAPE_INTERMEDIATE : State.TEXT;
        };
    }
}
