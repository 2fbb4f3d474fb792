package dev.portcullis.broker.recordings;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import io.quarkus.runtime.Startup;

import dev.portcullis.recording.ChunkChain;
import dev.portcullis.recording.FileSystemRecordingStorage;
import dev.portcullis.recording.RecordingKeys;
import dev.portcullis.recording.RecordingManifest;
import dev.portcullis.recording.RecordingSigner;
import dev.portcullis.recording.RecordingStorage;
import dev.portcullis.recording.RecordingVerifier;
import dev.portcullis.recording.read.RecordingReader;

/**
 * The recordings bastions wrote, as auditors read them: exported for replay and checked against the bastions'
 * signing keys. Read-only; the broker never writes or deletes a recording. A manifest is verified with the
 * trusted key it names (by SHA-256), so several bastions, each with its own key, can share one store.
 */
@ApplicationScoped
@Startup
public class RecordingArchive {

    private static final Logger LOG = Logger.getLogger(RecordingArchive.class);

    private final RecordingStorage storage;
    /** SHA-256 of each trusted key's X.509 encoding, as manifests name their signer, to the key. */
    private final Map<String, PublicKey> trustedKeys = new LinkedHashMap<>();

    public RecordingArchive(@ConfigProperty(name = "portcullis.recordings.dir") String dir,
                            @ConfigProperty(name = "portcullis.recordings.trusted-keys") Optional<List<String>> trustedKeyFiles) {
        this.storage = new FileSystemRecordingStorage(Path.of(dir).toAbsolutePath());
        for (String file : trustedKeyFiles.orElse(List.of())) {
            if (file.isBlank()) {
                continue;
            }
            Path path = Path.of(file.strip()).toAbsolutePath();
            try {
                PublicKey key = RecordingKeys.readPublicKey(path);
                trustedKeys.put(ChunkChain.sha256(key.getEncoded()), key);
            } catch (IOException e) {
                throw new IllegalStateException("cannot read the trusted recording key " + path
                        + " (portcullis.recordings.trusted-keys lists the bastions' Ed25519 public key PEM files): " + e.getMessage(), e);
            }
        }
        if (trustedKeys.isEmpty()) {
            LOG.warn("no trusted recording keys (portcullis.recordings.trusted-keys): no recording can verify as VALID");
        }
    }

    /** @throws NoSuchFileException when the store has no such recording */
    public RecordingReader open(String recordingId) throws IOException {
        return RecordingReader.open(storage, recordingId);
    }

    public RecordingVerifier.Verification verify(String recordingId) throws IOException {
        Optional<RecordingStorage.SignedManifest> signed;
        try {
            signed = storage.manifest(recordingId);
        } catch (NoSuchFileException e) {
            return new RecordingVerifier.Verification(RecordingVerifier.Status.TAMPERED, 0,
                    "recording " + recordingId + " is missing from the recording store");
        }
        PublicKey key;
        if (signed.isPresent()) {
            String signer;
            try {
                signer = RecordingManifest.parse(signed.get().manifest()).signerKeySha256();
            } catch (IOException e) {
                return new RecordingVerifier.Verification(RecordingVerifier.Status.TAMPERED, 0, "the manifest cannot be read");
            }
            key = signer == null ? null : trustedKeys.get(signer);
            if (key == null) {
                return new RecordingVerifier.Verification(RecordingVerifier.Status.TAMPERED, 0,
                        "the manifest is signed by a key this broker does not trust (signer key SHA-256 "
                                + (signer != null && signer.matches("[0-9a-f]{64}") ? signer : "unreadable")
                                + "); a bastion's key must be listed in portcullis.recordings.trusted-keys");
            }
        } else {
            // Unsigned yet (the session is still open, or its bastion stopped): the verifier checks the chain
            // and reports INCOMPLETE without using a key.
            key = trustedKeys.isEmpty() ? RecordingSigner.generate().publicKey() : trustedKeys.values().iterator().next();
        }
        return RecordingVerifier.verify(storage, recordingId, key);
    }
}
