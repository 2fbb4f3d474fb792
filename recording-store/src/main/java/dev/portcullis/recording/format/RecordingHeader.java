package dev.portcullis.recording.format;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.portcullis.recording.RecordingMetadata;

/**
 * {@code header.json}: the recording's metadata, written once when the recording is created. Its
 * SHA-256 is the root of the chunk chain, so chunk 0 is bound to this exact header.
 */
public final class RecordingHeader {

    public static final String FORMAT = "portcullis-recording/1";

    private RecordingHeader() {
    }

    public static byte[] encode(RecordingMetadata metadata) {
        ObjectNode node = RecordingJson.MAPPER.createObjectNode();
        node.put("format", FORMAT);
        node.setAll(RecordingJson.metadataNode(metadata));
        return RecordingJson.bytes(node);
    }

    public static RecordingMetadata decode(byte[] header) throws MalformedRecordingException {
        JsonNode node = RecordingJson.parse(header, "recording header");
        String format = node.path("format").asText();
        if (!FORMAT.equals(format)) {
            throw new MalformedRecordingException("unsupported recording format: " + format);
        }
        return RecordingJson.metadata(node);
    }
}
