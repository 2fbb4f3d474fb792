package dev.portcullis.recording;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What is known about a recording when it starts. It becomes the recording's {@code header.json},
 * the root of the hash chain, so it is immutable once the recording exists.
 *
 * @param id            the recording id (letters, digits, '.', '_', '-'; checked by the storage)
 * @param width         terminal columns at start (asciicast header)
 * @param height        terminal rows at start (asciicast header)
 * @param title         asciicast title, may be null
 * @param env           asciicast env (for example TERM, SHELL)
 * @param inputRecorded whether keystrokes are recorded; off for sessions where input may carry secrets
 * @param attributes    who, what and under which grant (user, target, protocol, grant, client address...)
 */
public record RecordingMetadata(
        String id,
        Instant startedAt,
        int width,
        int height,
        String title,
        Map<String, String> env,
        boolean inputRecorded,
        Map<String, String> attributes) {

    public RecordingMetadata {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(startedAt, "startedAt");
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("terminal size must be positive: " + width + "x" + height);
        }
        // Sorted copies so the header bytes (and therefore the chain root) do not depend on map order.
        env = Map.copyOf(env == null ? Map.of() : env);
        attributes = Map.copyOf(attributes == null ? Map.of() : attributes);
    }

    public Map<String, String> sortedEnv() {
        return new TreeMap<>(env);
    }

    public Map<String, String> sortedAttributes() {
        return new TreeMap<>(attributes);
    }

    public static Builder builder(String id, Instant startedAt) {
        return new Builder(id, startedAt);
    }

    public static final class Builder {
        private final String id;
        private final Instant startedAt;
        private int width = 80;
        private int height = 24;
        private String title;
        private final Map<String, String> env = new LinkedHashMap<>();
        private boolean inputRecorded = true;
        private final Map<String, String> attributes = new LinkedHashMap<>();

        private Builder(String id, Instant startedAt) {
            this.id = id;
            this.startedAt = startedAt;
        }

        public Builder terminalSize(int width, int height) {
            this.width = width;
            this.height = height;
            return this;
        }

        public Builder title(String title) {
            this.title = title;
            return this;
        }

        public Builder env(String name, String value) {
            env.put(name, value);
            return this;
        }

        public Builder recordInput(boolean inputRecorded) {
            this.inputRecorded = inputRecorded;
            return this;
        }

        public Builder attribute(String name, String value) {
            attributes.put(name, value);
            return this;
        }

        public RecordingMetadata build() {
            return new RecordingMetadata(id, startedAt, width, height, title, env, inputRecorded, attributes);
        }
    }
}
