package dev.portcullis.recording;

import java.util.Objects;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Names one recording. Restricted to characters that are safe both as a directory name and as an
 * S3 object key segment, so a backend never has to escape it.
 */
public record RecordingId(String value) implements Comparable<RecordingId> {

    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");

    public RecordingId {
        Objects.requireNonNull(value, "value");
        if (!SAFE.matcher(value).matches() || value.contains("..")) {
            throw new IllegalArgumentException("not a valid recording id: " + value);
        }
    }

    public static RecordingId of(String value) {
        return new RecordingId(value);
    }

    public static RecordingId random() {
        return new RecordingId(UUID.randomUUID().toString());
    }

    public static boolean isValid(String value) {
        return value != null && SAFE.matcher(value).matches() && !value.contains("..");
    }

    @Override
    public int compareTo(RecordingId other) {
        return value.compareTo(other.value);
    }

    @Override
    public String toString() {
        return value;
    }
}
