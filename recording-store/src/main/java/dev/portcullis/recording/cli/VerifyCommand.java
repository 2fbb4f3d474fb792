package dev.portcullis.recording.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.Base64;

import dev.portcullis.recording.FileSystemRecordingStorage;
import dev.portcullis.recording.RecordingKeys;
import dev.portcullis.recording.RecordingSigner;
import dev.portcullis.recording.RecordingVerifier;

/**
 * {@code verify <recordings-dir> <recording-id> <public-key-file>}: checks one recording; exit code 0 valid,
 * 1 tampered, 2 incomplete, 64 usage or unreadable input. The key file holds the Ed25519 public key in its
 * X.509 encoding, raw, base64, or PEM as {@link RecordingKeys} writes it.
 */
public final class VerifyCommand {

    private VerifyCommand() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    public static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length != 3) {
            err.println("usage: verify <recordings-dir> <recording-id> <public-key-file>");
            return 64;
        }
        try {
            PublicKey key = readKey(Path.of(args[2]));
            RecordingVerifier.Verification v = RecordingVerifier.verify(new FileSystemRecordingStorage(Path.of(args[0])), args[1], key);
            out.println(args[1] + ": " + v.status() + " (" + v.intactChunks() + " chunks intact)" + (v.problem() == null ? "" : ": " + v.problem()));
            return switch (v.status()) {
                case VALID -> 0;
                // offline there is no record of a deletion by policy, so a deleted payload reads as TAMPERED here
                case TAMPERED, DELETED_BY_POLICY -> 1;
                case INCOMPLETE -> 2;
            };
        } catch (IOException | IllegalArgumentException e) {
            err.println("cannot verify " + args[1] + ": " + e.getMessage());
            return 64;
        }
    }

    static PublicKey readKey(Path file) throws IOException {
        byte[] raw = Files.readAllBytes(file);
        if (new String(raw, java.nio.charset.StandardCharsets.US_ASCII).contains("-----BEGIN PUBLIC KEY-----")) {
            return RecordingKeys.readPublicKey(file);
        }
        try {
            return RecordingSigner.publicKey(raw);
        } catch (IllegalArgumentException notDer) {
            return RecordingSigner.publicKey(Base64.getMimeDecoder().decode(new String(raw, java.nio.charset.StandardCharsets.US_ASCII).trim()));
        }
    }
}
