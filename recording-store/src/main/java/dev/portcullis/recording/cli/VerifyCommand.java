package dev.portcullis.recording.cli;

import dev.portcullis.recording.FileSystemRecordingStorage;
import dev.portcullis.recording.RecordingKeys;
import dev.portcullis.recording.RecordingSigner;
import dev.portcullis.recording.RecordingTombstone;
import dev.portcullis.recording.RecordingVerifier;
import dev.portcullis.recording.format.MalformedRecordingException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.Base64;
import java.util.Map;

/**
 * {@code verify <recordings-dir> <recording-id> <public-key-file> [<tombstone-file> <audit-head-public-key-file>]}:
 * checks one recording; exit code 0 valid, 1 tampered, 2 incomplete, 3 deleted by policy, 64 usage or unreadable
 * input. Key files hold an Ed25519 public key in its X.509 encoding, raw, base64, or PEM as {@link RecordingKeys}
 * writes it.
 *
 * <p>A recording whose payload retention deleted is DELETED_BY_POLICY (when, which rule) only with the broker's
 * signed tombstone ({@link RecordingTombstone}, {@code tombstone.txt} in its evidence bundle) and the audit head
 * public key it verifies with ({@code audit_head.pub.pem}); the tombstone must name this recording, and the session
 * the header names. A tombstone that does not verify is ignored (said on stderr), so missing chunks stay TAMPERED.
 */
public final class VerifyCommand {

    private VerifyCommand() {}

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    public static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length != 3 && args.length != 5) {
            err.println("usage: verify <recordings-dir> <recording-id> <public-key-file> "
                    + "[<tombstone-file> <audit-head-public-key-file>]");
            return 64;
        }
        try {
            PublicKey key = readKey(Path.of(args[2]));
            RecordingVerifier.Expected expected = RecordingVerifier.Expected.NOTHING;
            if (args.length == 5) {
                RecordingTombstone tombstone = tombstone(Path.of(args[3]), readKey(Path.of(args[4])), args[1], err);
                if (tombstone != null) {
                    expected = new RecordingVerifier.Expected(
                            false, true, Map.of("session", tombstone.session().toString()), tombstone.deletion());
                }
            }
            RecordingVerifier.Verification v =
                    RecordingVerifier.verify(new FileSystemRecordingStorage(Path.of(args[0])), args[1], key, expected);
            out.println(args[1] + ": " + v.status() + " (" + v.intactChunks() + " chunks intact)"
                    + (v.problem() == null ? "" : ": " + v.problem()));
            return switch (v.status()) {
                case VALID -> 0;
                case TAMPERED -> 1;
                case INCOMPLETE -> 2;
                case DELETED_BY_POLICY -> 3;
            };
        } catch (IOException | IllegalArgumentException e) {
            err.println("cannot verify " + args[1] + ": " + e.getMessage());
            return 64;
        }
    }

    /** The tombstone when it verifies and names {@code recording}; null (said on {@code err}) otherwise. */
    private static RecordingTombstone tombstone(Path file, PublicKey auditKey, String recording, PrintStream err)
            throws IOException {
        try {
            RecordingTombstone tombstone = RecordingTombstone.verified(Files.readAllBytes(file), auditKey);
            if (tombstone.recording().equals(recording)) {
                return tombstone;
            }
            err.println("tombstone ignored: it names recording " + tombstone.recording() + ", not " + recording);
        } catch (MalformedRecordingException e) {
            err.println("tombstone ignored: " + e.getMessage());
        }
        return null;
    }

    static PublicKey readKey(Path file) throws IOException {
        byte[] raw = Files.readAllBytes(file);
        if (new String(raw, java.nio.charset.StandardCharsets.US_ASCII).contains("-----BEGIN PUBLIC KEY-----")) {
            return RecordingKeys.readPublicKey(file);
        }
        try {
            return RecordingSigner.publicKey(raw);
        } catch (IllegalArgumentException notDer) {
            return RecordingSigner.publicKey(
                    Base64.getMimeDecoder().decode(new String(raw, java.nio.charset.StandardCharsets.US_ASCII).trim()));
        }
    }
}
