package dev.portcullis.broker.recordings;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import io.quarkus.runtime.Startup;

import com.fasterxml.jackson.databind.JsonNode;

import dev.portcullis.broker.persistence.JpaSessionIndex;
import dev.portcullis.recording.ChunkChain;
import dev.portcullis.recording.FileSystemRecordingStorage;
import dev.portcullis.recording.RecordingKeys;
import dev.portcullis.recording.RecordingManifest;
import dev.portcullis.recording.RecordingSigner;
import dev.portcullis.recording.RecordingStorage;
import dev.portcullis.recording.RecordingVerifier;
import dev.portcullis.recording.UnsafeRecordingObjectException;
import dev.portcullis.recording.format.MalformedRecordingException;
import dev.portcullis.recording.format.RecordingJson;
import dev.portcullis.recording.read.RecordingReader;

/**
 * The recordings bastions wrote, as auditors read them: checked against the bastions' signing keys and what the
 * session index knows, and exported only when they verify. Read-only; the broker never writes or deletes a
 * recording. A session registered with its bastion's key (by SHA-256) verifies only with that key, so one bastion's
 * key cannot vouch for a recording put in place of another's; older sessions verify with the trusted key their
 * manifest names, as before.
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

    /** Whether recordings signed with the key of this SHA-256 (of its X.509 encoding) can verify here. */
    public boolean trusts(String keySha256) {
        return keySha256 != null && trustedKeys.containsKey(keySha256);
    }

    /**
     * Checks what a bastion registers against the recording it names, when the recording is in the store already
     * (the bastion creates it, header and first signed checkpoint, before it registers the session): the header
     * must name this session, person, target, login and grant, and the checkpoint must be signed with the key the
     * bastion declares. A recording that is not there yet is checked whenever it is read.
     *
     * @return why the registration must be refused, or empty
     */
    public Optional<String> registrationProblem(String recordingId, String keySha256,
            Map<String, String> attributes) throws IOException {
        PublicKey key = trustedKeys.get(keySha256);
        if (key == null) {
            return Optional.of("the recording key " + keySha256 + " is not one this broker trusts");
        }
        try {
            storage.header(recordingId);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        RecordingVerifier.Verification v = RecordingVerifier.verify(storage, recordingId, key,
                new RecordingVerifier.Expected(true, false, attributes));
        return v.status() == RecordingVerifier.Status.TAMPERED ? Optional.of(v.problem()) : Optional.empty();
    }

    /** What the index knows that the recording of {@code session} must agree with. */
    private static RecordingVerifier.Expected expected(JpaSessionIndex.IndexedSession session) {
        boolean bound = session.recordingKey() != null;
        return new RecordingVerifier.Expected(bound, session.endedWithClosedRecording(), bound ? attributes(session)
                : Map.of());
    }

    /** The header attributes a bastion writes for a session (see the bastion's recording start). */
    public static Map<String, String> attributes(UUID session, String username, String target, String login,
            UUID grant) {
        return Map.of("session", session.toString(), "user", username, "target", target, "login", login, "grant",
                grant.toString());
    }

    private static Map<String, String> attributes(JpaSessionIndex.IndexedSession s) {
        return s.requestId() == null
                ? Map.of("session", s.id().toString(), "user", s.username(), "target", s.target(), "login", s.login())
                : attributes(s.id(), s.username(), s.target(), s.login(), s.requestId());
    }

    /** Verifies the recording of an indexed session (which must have one) against what the index knows of it. */
    public RecordingVerifier.Verification verify(JpaSessionIndex.IndexedSession session) throws IOException {
        return check(session).verification();
    }

    /**
     * A reader of exactly what verified, for export.
     *
     * @throws NoSuchFileException     when the store has no such recording
     * @throws TamperedRecordingException when the recording does not verify: it is not exported
     */
    public VerifiedRecording openVerified(JpaSessionIndex.IndexedSession session) throws IOException {
        try {
            // NoSuchFileException: missing, not tampered, for the caller's answer
            storage.header(session.recordingId());
        } catch (UnsafeRecordingObjectException e) {
            throw new TamperedRecordingException(e.getMessage());
        }
        RecordingVerifier.Checked checked = check(session);
        if (checked.verification().status() == RecordingVerifier.Status.TAMPERED) {
            throw new TamperedRecordingException(checked.verification().problem());
        }
        try {
            return new VerifiedRecording(RecordingReader.openVerified(storage, session.recordingId(), checked),
                    checked.verification());
        } catch (MalformedRecordingException e) {
            throw new TamperedRecordingException(e.getMessage());
        }
    }

    /** A reader limited to verified bytes, and the verification that says how complete they are. */
    public record VerifiedRecording(RecordingReader reader, RecordingVerifier.Verification verification) {
    }

    /** The recording did not verify, so it is not handed out. */
    public static final class TamperedRecordingException extends IOException {
        public TamperedRecordingException(String problem) {
            super(problem);
        }
    }

    private RecordingVerifier.Checked check(JpaSessionIndex.IndexedSession session) throws IOException {
        RecordingVerifier.Checked checked = checkRecording(session);
        RecordingVerifier.Verification v = checked.verification();
        if (session.isAborted() && v.status() == RecordingVerifier.Status.INCOMPLETE && session.detail() != null) {
            // the index knows why the recording was never closed; say so before what the recording itself shows
            return new RecordingVerifier.Checked(new RecordingVerifier.Verification(v.status(), v.intactChunks(),
                    session.detail() + " (at " + session.endedAt() + "); " + v.problem()), checked.headerSha256(),
                    checked.chunkHashes());
        }
        return checked;
    }

    private RecordingVerifier.Checked checkRecording(JpaSessionIndex.IndexedSession session) throws IOException {
        String recordingId = session.recordingId();
        RecordingVerifier.Expected expected = expected(session);
        if (session.recordingKey() != null) {
            PublicKey bound = trustedKeys.get(session.recordingKey());
            if (bound == null) {
                return tampered("the key of the bastion that opened this session (SHA-256 " + session.recordingKey()
                        + ") is no longer listed in portcullis.recordings.trusted-keys");
            }
            return checkStored(recordingId, bound, expected);
        }
        // Registered before bastions named their key: any trusted key the manifest (or checkpoint) names, as before.
        Optional<RecordingStorage.SignedManifest> signed;
        try {
            signed = storage.manifest(recordingId);
        } catch (NoSuchFileException e) {
            return tampered("recording " + recordingId + " is missing from the recording store");
        } catch (UnsafeRecordingObjectException e) {
            return tampered(e.getMessage());
        }
        String signer;
        if (signed.isPresent()) {
            try {
                signer = RecordingManifest.parse(signed.get().manifest()).signerKeySha256();
            } catch (IOException e) {
                return tampered("the manifest cannot be read");
            }
        } else {
            signer = latestCheckpointSigner(recordingId);
        }
        PublicKey key = signer == null ? null : trustedKeys.get(signer);
        if (key == null && (signed.isPresent() || signer != null)) {
            String named = signer != null && signer.matches("[0-9a-f]{64}") ? signer : "unreadable";
            return tampered("the " + (signed.isPresent() ? "manifest" : "latest checkpoint")
                    + " is signed by a key this broker does not trust (signer key SHA-256 " + named
                    + "); a bastion's key must be listed in portcullis.recordings.trusted-keys");
        }
        if (key == null) {
            // format 1, unsigned yet: the verifier checks the chain and reports INCOMPLETE without using a key
            key = trustedKeys.isEmpty() ? RecordingSigner.generate().publicKey() : trustedKeys.values().iterator().next();
        }
        return checkStored(recordingId, key, expected);
    }

    private RecordingVerifier.Checked checkStored(String recordingId, PublicKey key,
            RecordingVerifier.Expected expected)
            throws IOException {
        try {
            return RecordingVerifier.check(storage, recordingId, key, expected);
        } catch (NoSuchFileException e) {
            return tampered("recording " + recordingId + " is missing from the recording store");
        }
    }

    /** The signer a stored checkpoint names (not verified here: the verifier checks its signature). */
    private String latestCheckpointSigner(String recordingId) throws IOException {
        List<Long> checkpoints = storage.checkpointIndexes(recordingId);
        if (checkpoints.isEmpty()) {
            return null;
        }
        byte[] object = storage.checkpoint(recordingId, checkpoints.get(checkpoints.size() - 1));
        try {
            int newline = new String(object, StandardCharsets.UTF_8).indexOf('\n');
            JsonNode node = RecordingJson.parse(newline < 0 ? object : Arrays.copyOf(object, newline), "checkpoint");
            return node.path("signerKeySha256").asText(null);
        } catch (MalformedRecordingException e) {
            return "unreadable";
        }
    }

    private static RecordingVerifier.Checked tampered(String problem) {
        RecordingVerifier.Verification v =
                new RecordingVerifier.Verification(RecordingVerifier.Status.TAMPERED, 0, problem);
        return new RecordingVerifier.Checked(v, null,
                List.of());
    }
}
