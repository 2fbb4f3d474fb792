package dev.portcullis.recording.format;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.portcullis.recording.RecordingMetadata;

import java.nio.charset.StandardCharsets;

/**
 * {@code header.json}: the recording's metadata, written once when the recording is created. Its
 * SHA-256 is the root of the chunk chain (see {@link dev.portcullis.recording.ChunkChain}), and the
 * signed manifest names that hash, so the metadata is covered by the signature.
 */
public final class RecordingHeader {

    public static final String FORMAT = "portcullis-recording/1";

    private RecordingHeader() {
    }

    public static String encode(RecordingMetadata metadata) {
        ObjectNode node = RecordingJson.MAPPER.createObjectNode();
        node.put("format", FORMAT);
        node.setAll(RecordingJson.metadataNode(metadata));
        return new String(RecordingJson.bytes(node), StandardCharsets.UTF_8);
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
