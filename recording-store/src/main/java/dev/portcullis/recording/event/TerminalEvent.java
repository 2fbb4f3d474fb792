package dev.portcullis.recording.event;

import java.util.Objects;

/**
 * One asciicast v2 event line: {@code [time, code, data]}.
 *
 * @param time seconds since the recording started
 */
public record TerminalEvent(double time, Type type, String data) {

    public enum Type {
        OUTPUT("o"), INPUT("i"), RESIZE("r");

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
