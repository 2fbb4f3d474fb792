package dev.portcullis.recording.event;

import java.util.Objects;

/**
 * One asciicast v2 event line: {@code [time, code, data]}.
 *
 * @param time seconds since the recording started
 */
public record TerminalEvent(double time, Type type, String data) {

    public enum Type {
        OUTPUT("o"),
        INPUT("i"),
        RESIZE("r"),
        /**
         * An exec channel's stderr, as a byte stream of its own ({@code RecordingReader.exportBytes}). Terminal
         * event streams and {@code .cast} files show it as OUTPUT, interleaved as the user's terminal showed it.
         */
        ERROR("e");

        private final String code;

        Type(String code) {
            this.code = code;
        }

        public String code() {
            return code;
        }

        public static Type ofCode(String code) {
            for (Type type : values()) {
                if (type.code.equals(code)) {
                    return type;
                }
            }
            throw new IllegalArgumentException("unknown asciicast event code: " + code);
        }
    }

    public TerminalEvent {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(data, "data");
    }
}
