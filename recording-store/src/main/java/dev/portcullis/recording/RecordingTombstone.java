package dev.portcullis.recording;

import dev.portcullis.recording.format.MalformedRecordingException;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.Objects;
import java.util.UUID;

/**
 * The broker's signed record that retention deleted a recording's payload: which session and recording, under which
 * rule and retention, when, and the SHA-256 of the manifest left behind ({@code none} for a recording never closed).
 * The broker signs {@link #statement()} with its audit head key and appends it to the audit chain; outside the broker
 * it travels as {@link #signedFile(byte[])}: the seven lines of the statement, then the base64 Ed25519 signature over
 * exactly those lines (newlines included), so {@code openssl pkeyutl -verify} checks it with the audit head public
 * key ({@code audit_head.pub.pem}). Only a tombstone that verifies turns missing chunks into DELETED_BY_POLICY.
 */
public record RecordingTombstone(
        UUID session, String recording, String rule, String retention, Instant deletedAt, String manifestSha256) {

    /** The signed file's name in an evidence bundle. */
    public static final String FILE = "tombstone.txt";

    static final String MAGIC = "portcullis-recording-tombstone";
    static final String NO_MANIFEST = "none";
    private static final int STATEMENT_LINES = 7;
    private static final int MAX_FILE_BYTES = 8192;

    public RecordingTombstone {
        Objects.requireNonNull(session, "session");
        Objects.requireNonNull(deletedAt, "deletedAt");
        for (String field : new String[] {recording, rule, retention}) {
            if (field == null || field.isEmpty() || field.contains("\n")) {
                throw new IllegalArgumentException("a tombstone's recording, rule and retention are one line each");
            }
        }
        if (manifestSha256 != null && !manifestSha256.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("a tombstone's manifestSha256 is 64 hex digits or none");
        }
    }

    /** The exact bytes the audit head key signs. */
    public byte[] statement() {
        return (MAGIC + "\n" + session + "\n" + recording + "\n" + rule + "\n" + retention + "\n" + deletedAt + "\n"
                        + (manifestSha256 == null ? NO_MANIFEST : manifestSha256) + "\n")
                .getBytes(StandardCharsets.UTF_8);
    }

    /** The statement followed by its signature, base64 on one line: what the broker exports. */
    public byte[] signedFile(byte[] signature) {
        return (new String(statement(), StandardCharsets.UTF_8)
                        + Base64.getEncoder().encodeToString(signature) + "\n")
                .getBytes(StandardCharsets.UTF_8);
    }

    /** What the verifier needs to know of the deletion. */
    public RecordingVerifier.Deletion deletion() {
        return new RecordingVerifier.Deletion(deletedAt, rule, retention, manifestSha256);
    }

    /**
     * Reads a signed tombstone file and checks its signature with the audit head public key.
     *
     * @throws MalformedRecordingException with a one-line reason when the file is not a tombstone or its signature
     *                                     does not verify with {@code auditKey}
     */
    public static RecordingTombstone verified(byte[] file, PublicKey auditKey) throws MalformedRecordingException {
        if (file.length > MAX_FILE_BYTES) {
            throw new MalformedRecordingException("a tombstone is at most " + MAX_FILE_BYTES + " bytes");
        }
        String text = new String(file, StandardCharsets.UTF_8);
        String[] lines = text.split("\n", -1);
        if (lines.length != STATEMENT_LINES + 2 || !lines[STATEMENT_LINES + 1].isEmpty() || !MAGIC.equals(lines[0])) {
            throw new MalformedRecordingException("not a signed recording tombstone (the line " + MAGIC
                    + ", six more lines, then the base64 signature)");
        }
        RecordingTombstone tombstone;
        byte[] signature;
        try {
            tombstone = new RecordingTombstone(
                    UUID.fromString(lines[1]),
                    lines[2],
                    lines[3],
                    lines[4],
                    Instant.parse(lines[5]),
                    NO_MANIFEST.equals(lines[6]) ? null : lines[6]);
            signature = Base64.getDecoder().decode(lines[STATEMENT_LINES]);
        } catch (IllegalArgumentException | DateTimeParseException e) {
            throw new MalformedRecordingException("the tombstone cannot be read: " + e.getMessage());
        }
        if (!RecordingSigner.verify(auditKey, tombstone.statement(), signature)) {
            throw new MalformedRecordingException("the tombstone's signature does not verify with the audit head key");
        }
        return tombstone;
    }
}
