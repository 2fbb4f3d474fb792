package dev.portcullis.recording;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.portcullis.recording.format.ChunkCodec;
import dev.portcullis.recording.format.RecordingJson;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The chunk format and its hash chain. A chunk is one JSON line naming its recording, its index and the
 * SHA-256 of the chunk before it (of the header, for chunk 1), followed by the payload bytes. A chunk's
 * own hash is the SHA-256 of all its bytes, so a flipped byte anywhere breaks the link to the next chunk,
 * and a chunk stored under another index says so in its first line.
 *
 * <p>From format 3 the line also says how the payload is stored (its codec and its size once decoded) and the times
 * of its first and last record, so a reader can find a moment by reading chunk headers (or the manifest), never
 * the whole recording.
 */
public final class ChunkChain {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ChunkChain() {}

    public static String sha256(byte[] bytes) {
        return sha256(bytes, bytes.length);
    }

    /** The SHA-256 of {@code bytes[0, length)}, in hex. */
    public static String sha256(byte[] bytes, int length) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(bytes, 0, length);
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    public static byte[] encode(String recordingId, long index, String previousHash, byte[] payload) {
        return encode(recordingId, index, previousHash, payload, payload.length);
    }

    /** The chunk for the first {@code length} bytes of {@code payload}. */
    public static byte[] encode(String recordingId, long index, String previousHash, byte[] payload, int length) {
        String line;
        try {
            line = JSON.writeValueAsString(new LinkLine(recordingId, index, previousHash)) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        byte[] head = line.getBytes(StandardCharsets.UTF_8);
        byte[] chunk = Arrays.copyOf(head, head.length + length);
        System.arraycopy(payload, 0, chunk, head.length, length);
        return chunk;
    }

    /** A format-3 chunk: the link line with the payload's codec, decoded size and time span, then the stored payload. */
    public static byte[] encode(
            String recordingId,
            long index,
            String previousHash,
            ChunkCodec.Stored stored,
            long rawBytes,
            long firstMicros,
            long lastMicros) {
        byte[] head = headLine(recordingId, index, previousHash, stored.codec(), rawBytes, firstMicros, lastMicros);
        byte[] chunk = Arrays.copyOf(head, head.length + stored.length());
        System.arraycopy(stored.bytes(), 0, chunk, head.length, stored.length());
        return chunk;
    }

    /**
     * The format-3 chunk of the records in {@code raw[0, length)}, the same bytes as {@link #encode(String, long,
     * String, ChunkCodec.Stored, long, long, long)} of {@link ChunkCodec#encode}, built in a pooled buffer.
     *
     * @param probe see {@link ChunkCodec#build}
     */
    public static ChunkCodec.Built encodeRecords(
            String recordingId,
            long index,
            String previousHash,
            byte[] raw,
            int length,
            long firstMicros,
            long lastMicros,
            boolean probe) {
        return ChunkCodec.build(
                raw,
                length,
                probe,
                codec -> headLine(recordingId, index, previousHash, codec, length, firstMicros, lastMicros));
    }

    private static byte[] headLine(
            String recordingId,
            long index,
            String previousHash,
            String codec,
            long rawBytes,
            long firstMicros,
            long lastMicros) {
        ObjectNode node = RecordingJson.MAPPER.createObjectNode();
        node.put("recording", recordingId);
        node.put("index", index);
        node.put("prev", previousHash);
        node.put("codec", codec);
        node.put("rawBytes", rawBytes);
        node.put("firstMicros", firstMicros);
        node.put("lastMicros", lastMicros);
        byte[] json = RecordingJson.bytes(node);
        byte[] line = Arrays.copyOf(json, json.length + 1);
        line[json.length] = '\n';
        return line;
    }

    /** The first line of a chunk, or null when it is not one. */
    public static Link link(byte[] chunk) {
        int newline = -1;
        for (int i = 0; i < chunk.length && i < 4096; i++) {
            if (chunk[i] == '\n') {
                newline = i;
                break;
            }
        }
        if (newline < 0) {
            return null;
        }
        try {
            JsonNode node = JSON.readTree(new String(chunk, 0, newline, StandardCharsets.UTF_8));
            if (node == null
                    || !node.hasNonNull("recording")
                    || !node.hasNonNull("index")
                    || !node.hasNonNull("prev")) {
                return null;
            }
            if (!node.hasNonNull("codec")) {
                return new Link(
                        node.get("recording").asText(),
                        node.get("index").asLong(),
                        node.get("prev").asText(),
                        null,
                        -1,
                        -1,
                        -1,
                        newline + 1);
            }
            if (!node.path("rawBytes").canConvertToExactIntegral()
                    || !node.path("firstMicros").canConvertToExactIntegral()
                    || !node.path("lastMicros").canConvertToExactIntegral()) {
                return null;
            }
            return new Link(
                    node.get("recording").asText(),
                    node.get("index").asLong(),
                    node.get("prev").asText(),
                    node.get("codec").asText(),
                    node.get("rawBytes").asLong(),
                    node.get("firstMicros").asLong(),
                    node.get("lastMicros").asLong(),
                    newline + 1);
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    /** The payload of a well-formed chunk. */
    public static byte[] payload(byte[] chunk) {
        for (int i = 0; i < chunk.length; i++) {
            if (chunk[i] == '\n') {
                return Arrays.copyOfRange(chunk, i + 1, chunk.length);
            }
        }
        return new byte[0];
    }

    /** The first line of a chunk before format 3, written by reflection as it always was. */
    private record LinkLine(String recording, long index, String prev) {}

    /**
     * A chunk's first line. {@code codec} is null before format 3 (the payload is stored as it is, without the
     * fields after it).
     *
     * @param rawBytes      the payload's size once decoded
     * @param firstMicros   time of the chunk's first record, microseconds since the recording started
     * @param lastMicros    time of its last record
     * @param payloadOffset where the stored payload starts in the chunk
     */
    public record Link(
            String recording,
            long index,
            String prev,
            String codec,
            long rawBytes,
            long firstMicros,
            long lastMicros,
            int payloadOffset) {}
}
