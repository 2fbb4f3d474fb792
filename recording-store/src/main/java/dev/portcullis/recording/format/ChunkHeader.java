package dev.portcullis.recording.format;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.portcullis.recording.RecordingId;

import java.util.Objects;

/**
 * First line of a chunk. It binds the body to its place: which recording, which position, which
 * predecessor, how long the body is (so a cut-off body is noticed even in the last chunk of a
 * recording without a manifest), and the time span, so readers can seek without parsing bodies.
 *
 * @param previousSha256 SHA-256 of the previous chunk file, or of {@code header.json} for chunk 0
 */
public record ChunkHeader(
        RecordingId recording,
        int index,
        String previousSha256,
        int lines,
        long bodyBytes,
        long fromMicros,
        long toMicros) {

    public ChunkHeader {
        Objects.requireNonNull(recording, "recording");
        Objects.requireNonNull(previousSha256, "previousSha256");
        if (index < 0 || lines < 0 || bodyBytes < 0) {
            throw new IllegalArgumentException("negative chunk header field");
        }
    }

    byte[] encode() {
        ObjectNode node = RecordingJson.MAPPER.createObjectNode();
        node.put("recording", recording.value());
        node.put("chunk", index);
        node.put("previous", previousSha256);
        node.put("lines", lines);
        node.put("bodyBytes", bodyBytes);
        node.put("from", RecordingJson.seconds(fromMicros));
        node.put("to", RecordingJson.seconds(toMicros));
        return RecordingJson.bytes(node);
    }

    static ChunkHeader decode(byte[] line) throws MalformedRecordingException {
        JsonNode node = RecordingJson.parse(line, "chunk header");
        try {
            return new ChunkHeader(
                    RecordingId.of(RecordingJson.text(node, "recording")),
                    RecordingJson.requiredInt(node, "chunk"),
                    RecordingJson.text(node, "previous"),
                    RecordingJson.requiredInt(node, "lines"),
                    RecordingJson.requiredLong(node, "bodyBytes"),
                    RecordingJson.micros(node.get("from")),
                    RecordingJson.micros(node.get("to")));
        } catch (IllegalArgumentException e) {
            throw new MalformedRecordingException("invalid chunk header: " + e.getMessage(), e);
        }
    }
}
