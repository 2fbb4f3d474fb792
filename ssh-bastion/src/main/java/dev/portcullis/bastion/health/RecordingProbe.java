package dev.portcullis.bastion.health;

import dev.portcullis.recording.RecordingSigner;
import dev.portcullis.recording.s3.S3RecordingStorage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** The readiness checks of the recording side: the store takes a write, the signing key signs. */
public final class RecordingProbe {

    private static final byte[] PROBE = "portcullis readiness probe".getBytes(StandardCharsets.UTF_8);

    private RecordingProbe() {}

    /** Writes, syncs and removes a small file in the recordings directory: what every chunk needs to succeed. */
    public static Readiness.Check writable(Path recordingsDir) {
        Path probe = recordingsDir.resolve(
                ".readiness-probe-" + ProcessHandle.current().pid());
        try {
            Files.createDirectories(recordingsDir);
            Files.write(probe, PROBE);
            Files.delete(probe);
            return Readiness.up("recording-storage", "writable: " + recordingsDir);
        } catch (IOException e) {
            return Readiness.down("recording-storage", "cannot write to " + recordingsDir + ": " + e.getMessage());
        }
    }

    /**
     * Lists one key under the bastion's S3 prefix: the bucket answers and the credentials are accepted. A store
     * that takes reads but refuses writes fails the first session's recording instead, and RecordingHealth then
     * refuses new sessions for a while (no probe object is written: recording keys are written once, and a probe
     * put on every check would pile up object versions under Object Lock).
     */
    public static Readiness.Check reachable(S3RecordingStorage storage) {
        try {
            storage.probe();
            return Readiness.up("recording-storage", "reachable: " + storage.describe());
        } catch (IOException e) {
            return Readiness.down("recording-storage", e.getMessage());
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
