package dev.portcullis.recording;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.time.Instant;
import java.util.List;

/**
 * What a closed recording consists of, signed at close: every chunk's hash and size, the chain's last
 * hash, and the key that signed it. The signature covers the manifest's exact bytes.
 */
public record RecordingManifest(
        int version,
        String recording,
        String headerSha256,
        List<Chunk> chunks,
        String finalSha256,
        long payloadBytes,
        Instant closedAt,
        String signerKeySha256) {

    private static final ObjectMapper JSON = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

    /**
     * One chunk as stored. From format 3 the manifest also carries each chunk's time span (copied from its header
     * line), so a reader seeks a closed recording with the manifest alone; absent (null) before.
     */
    public record Chunk(
            long index,
            String sha256,
            long bytes,
            @JsonInclude(JsonInclude.Include.NON_NULL) Long firstMicros,
            @JsonInclude(JsonInclude.Include.NON_NULL) Long lastMicros) {

        public Chunk(long index, String sha256, long bytes) {
            this(index, sha256, bytes, null, null);
        }
    }

    public byte[] toJson() {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(this);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static RecordingManifest parse(byte[] json) throws IOException {
        return JSON.readValue(json, RecordingManifest.class);
    }
}
