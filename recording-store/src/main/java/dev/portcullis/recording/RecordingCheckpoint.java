package dev.portcullis.recording;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.portcullis.recording.format.MalformedRecordingException;
import dev.portcullis.recording.format.RecordingJson;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.Base64;

/**
 * A signed statement of an open recording's chain so far: "recording R with header H has N chunks, the last of
 * which hashes to X", signed by the bastion's key. The writer stores one soon after each new chunk (see
 * {@link WriterOptions#checkpointInterval()}), so a recording that never got its manifest (its bastion stopped, or
 * someone deleted it) is still proven up to its latest checkpoint, and whoever lacks the key can change at most
 * what came after it.
 *
 * <p>Stored as one object of two lines: the statement's JSON, then the Ed25519 signature over exactly those bytes
 * in base64.
 *
 * @param chunks     how many chunks the statement covers (0: only the header)
 * @param headSha256 SHA-256 of chunk {@code chunks}, or of the header when it is 0
 */
public record RecordingCheckpoint(
        String recording, long chunks, String headSha256, String headerSha256, Instant at, String signerKeySha256) {

    /** The stored object: statement, newline, signature. */
    public byte[] sign(RecordingSigner signer) {
        byte[] statement = statement();
        byte[] signature = Base64.getEncoder().encode(signer.sign(statement));
        byte[] object = Arrays.copyOf(statement, statement.length + 1 + signature.length + 1);
        object[statement.length] = '\n';
        System.arraycopy(signature, 0, object, statement.length + 1, signature.length);
        object[object.length - 1] = '\n';
        return object;
    }

    private byte[] statement() {
        ObjectNode node = RecordingJson.MAPPER.createObjectNode();
        node.put("version", 1);
        node.put("recording", recording);
        node.put("chunks", chunks);
        node.put("headSha256", headSha256);
        node.put("headerSha256", headerSha256);
        node.put("at", at.toString());
        node.put("signerKeySha256", signerKeySha256);
        return RecordingJson.bytes(node);
    }

    /**
     * Reads a stored checkpoint whose signature verifies with {@code key}.
     *
     * @throws MalformedRecordingException when it does not parse or its signature does not verify
     */
    public static RecordingCheckpoint verified(byte[] object, PublicKey key) throws MalformedRecordingException {
        int newline = indexOf(object, 0);
        int end = newline < 0 ? -1 : indexOf(object, newline + 1);
        if (newline < 0 || end != object.length - 1) {
            throw new MalformedRecordingException("the checkpoint is not a statement and a signature");
        }
        byte[] statement = Arrays.copyOf(object, newline);
        byte[] signature;
        try {
            signature = Base64.getDecoder().decode(Arrays.copyOfRange(object, newline + 1, end));
        } catch (IllegalArgumentException e) {
            throw new MalformedRecordingException("the checkpoint's signature is not base64");
        }
        if (!RecordingSigner.verify(key, statement, signature)) {
            throw new MalformedRecordingException(
                    "the checkpoint's signature does not verify (edited, or another key signed it)");
        }
        JsonNode node = RecordingJson.parse(statement, "checkpoint");
        try {
            if (node.path("version").asInt() != 1 || !node.path("chunks").canConvertToExactIntegral()) {
                throw new MalformedRecordingException(
                        "unsupported checkpoint: " + new String(statement, StandardCharsets.UTF_8));
            }
            return new RecordingCheckpoint(
                    node.path("recording").asText(),
                    node.path("chunks").asLong(),
                    node.path("headSha256").asText(),
                    node.path("headerSha256").asText(),
                    Instant.parse(node.path("at").asText()),
                    node.path("signerKeySha256").asText());
        } catch (DateTimeParseException e) {
            throw new MalformedRecordingException("the checkpoint's time cannot be read", e);
        }
    }

    private static int indexOf(byte[] bytes, int from) {
        for (int i = from; i < bytes.length; i++) {
            if (bytes[i] == '\n') {
                return i;
            }
        }
        return -1;
    }

    static RecordingCheckpoint of(
            String recording, long chunks, String head, String header, Instant at, PublicKey key) {
        return new RecordingCheckpoint(recording, chunks, head, header, at, ChunkChain.sha256(key.getEncoded()));
    }
}
