package dev.portcullis.bastion.health;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import dev.portcullis.recording.RecordingSigner;

/** The readiness checks of the recording side: the store takes a write, the signing key signs. */
public final class RecordingProbe {

    private static final byte[] PROBE = "portcullis readiness probe".getBytes(StandardCharsets.UTF_8);

    private RecordingProbe() {
    }

    /** Writes, syncs and removes a small file in the recordings directory: what every chunk needs to succeed. */
    public static Readiness.Check writable(Path recordingsDir) {
        Path probe = recordingsDir.resolve(".readiness-probe-" + ProcessHandle.current().pid());
        try {
            Files.createDirectories(recordingsDir);
            Files.write(probe, PROBE);
            Files.delete(probe);
            return Readiness.up("recording-storage", "writable: " + recordingsDir);
        } catch (IOException e) {
            return Readiness.down("recording-storage", "cannot write to " + recordingsDir + ": " + e.getMessage());
        }
    }

    /** Signs a probe with the recording key and checks the signature with its public half. */
    public static Readiness.Check signs(RecordingSigner signer) {
        if (signer == null) {
            return Readiness.down("signing-key", "no recording signing key loaded");
        }
        byte[] signature = signer.sign(PROBE);
        return RecordingSigner.verify(signer.publicKey(), PROBE, signature)
                ? Readiness.up("signing-key", "loaded, signs")
                : Readiness.down("signing-key", "the recording signing key does not verify its own signature");
    }
}
