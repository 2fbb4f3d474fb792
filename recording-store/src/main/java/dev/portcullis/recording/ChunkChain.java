package dev.portcullis.recording;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The chunk format and its hash chain. A chunk is one JSON line naming its recording, its index and the
 * SHA-256 of the chunk before it (of the header, for chunk 1), followed by the payload bytes. A chunk's
 * own hash is the SHA-256 of all its bytes, so a flipped byte anywhere breaks the link to the next chunk,
 * and a chunk stored under another index says so in its first line.
 */
public final class ChunkChain {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ChunkChain() {
    }

    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
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
            line = JSON.writeValueAsString(new Link(recordingId, index, previousHash)) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        byte[] head = line.getBytes(StandardCharsets.UTF_8);
        byte[] chunk = Arrays.copyOf(head, head.length + length);
        System.arraycopy(payload, 0, chunk, head.length, length);
        return chunk;
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
            if (node == null || !node.hasNonNull("recording") || !node.hasNonNull("index") || !node.hasNonNull("prev")) {
                return null;
            }
            return new Link(node.get("recording").asText(), node.get("index").asLong(), node.get("prev").asText());
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

    public record Link(String recording, long index, String prev) {
    }
}
