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

    /** Chunks as in format 1, plus signed checkpoints while the recording is open. */
    public static final String FORMAT = "portcullis-recording/2";
    /** Written before checkpoints existed; still read and verified. */
    public static final String FORMAT_1 = "portcullis-recording/1";

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
        if (!FORMAT.equals(format) && !FORMAT_1.equals(format)) {
            throw new MalformedRecordingException("unsupported recording format: " + format);
        }
        return RecordingJson.metadata(node);
    }

    /** Whether a header says its recording carries checkpoints (false for format 1 and for what does not parse). */
    public static boolean promisesCheckpoints(byte[] header) {
        try {
            return FORMAT.equals(RecordingJson.parse(header, "recording header").path("format").asText());
        } catch (MalformedRecordingException e) {
            return false;
        }
    }
}
