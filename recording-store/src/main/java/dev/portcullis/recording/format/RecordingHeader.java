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

    /**
     * Chunks of framed records (exact bytes, structured events as JSON), compressed when that pays, each with its time
     * span; signed checkpoints as in format 2. Written by this code.
     */
    public static final String FORMAT = "portcullis-recording/3";
    /** Chunks of asciicast and JSON lines, plus signed checkpoints while the recording is open; still read. */
    public static final String FORMAT_2 = "portcullis-recording/2";
    /** Written before checkpoints existed; still read and verified. */
    public static final String FORMAT_1 = "portcullis-recording/1";

    private RecordingHeader() {}

    public static String encode(RecordingMetadata metadata) {
        ObjectNode node = RecordingJson.MAPPER.createObjectNode();
        node.put("format", FORMAT);
        node.setAll(RecordingJson.metadataNode(metadata));
        return new String(RecordingJson.bytes(node), StandardCharsets.UTF_8);
    }

    public static RecordingMetadata decode(byte[] header) throws MalformedRecordingException {
        JsonNode node = RecordingJson.parse(header, "recording header");
        String format = node.path("format").asText();
        if (!FORMAT.equals(format) && !FORMAT_2.equals(format) && !FORMAT_1.equals(format)) {
            throw new MalformedRecordingException("unsupported recording format: " + format);
        }
        return RecordingJson.metadata(node);
    }

    /** Whether a header says its recording carries checkpoints (false for format 1 and for what does not parse). */
    public static boolean promisesCheckpoints(byte[] header) {
        String format = formatOf(header);
        return FORMAT.equals(format) || FORMAT_2.equals(format);
    }

    /** Whether a header says its chunks hold framed records (format 3) rather than lines. */
    public static boolean framesRecords(byte[] header) {
        return FORMAT.equals(formatOf(header));
    }

    /** The format a header declares, or null when it does not parse. */
    public static String formatOf(byte[] header) {
        try {
            return RecordingJson.parse(header, "recording header")
                    .path("format")
                    .asText(null);
        } catch (MalformedRecordingException e) {
            return null;
        }
    }
}
