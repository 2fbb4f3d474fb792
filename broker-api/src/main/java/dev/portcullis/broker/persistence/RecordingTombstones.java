package dev.portcullis.broker.persistence;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portcullis.recording.RecordingTombstone;
import dev.portcullis.recording.RecordingVerifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * The signed tombstone the retention job appends to the audit chain when it deletes a recording's payload: which
 * session and recording, under which rule and retention, when, and the SHA-256 of the manifest left behind, signed
 * with the audit head key. Verification trusts a tombstone only when its signature verifies, so whoever can append
 * rows to the audit trail through the database (every broker login) cannot make a deleted payload look legitimate,
 * and whoever can delete from the recording store cannot either: without a tombstone, missing chunks are TAMPERED.
 */
@ApplicationScoped
public class RecordingTombstones {

    public static final String ACTION = "recording.deleted_by_policy";
    public static final String ACTOR = "portcullis-retention";
    private static final Logger LOG = Logger.getLogger(RecordingTombstones.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String NO_MANIFEST = "none";

    @Inject
    EntityManager em;

    @Inject
    SignedAuditHeads signer;

    /** What a tombstone says; {@code manifestSha256} is null for a recording never closed. */
    public record Tombstone(
            UUID session, String recording, String rule, String retention, Instant deletedAt, String manifestSha256) {
        RecordingVerifier.Deletion deletion() {
            return shared().deletion();
        }

        RecordingTombstone shared() {
            return new RecordingTombstone(session, recording, rule, retention, deletedAt, manifestSha256);
        }
    }

    /** The signed statement: the recording store's format, so the offline verifier reads what the broker signs. */
    static byte[] statement(Tombstone t) {
        return t.shared().statement();
    }

    /** The audit row's details: the tombstone and its signature. */
    Map<String, String> details(Tombstone t) {
        Map<String, String> details = new HashMap<>();
        details.put("recording", t.recording());
        details.put("rule", t.rule());
        details.put("retention", t.retention());
        details.put("deletedAt", t.deletedAt().toString());
        details.put("manifestSha256", t.manifestSha256() == null ? NO_MANIFEST : t.manifestSha256());
        details.put("signature", Base64.getEncoder().encodeToString(signer.signStatement(statement(t))));
        return details;
    }

    /**
     * The session's tombstone as a deletion the verifier accepts, when the audit chain holds one whose signature
     * verifies; empty otherwise (then a recording with chunks missing is TAMPERED).
     */
    @Transactional
    public Optional<RecordingVerifier.Deletion> find(UUID session) {
        return findSigned(session).map(signed -> signed.tombstone().deletion());
    }

    /**
     * The session's tombstone as the signed file the offline verifier and evidence bundles take
     * ({@link RecordingTombstone#signedFile}), when the audit chain holds one whose signature verifies.
     */
    @Transactional
    public Optional<byte[]> signedFile(UUID session) {
        return findSigned(session).map(signed -> signed.tombstone().shared().signedFile(signed.signature()));
    }

    /** The audit head public key that tombstones verify with, PEM ({@code audit_head.pub.pem}). */
    public String publicKeyPem() {
        return signer.publicKeyPem();
    }

    private record Signed(Tombstone tombstone, byte[] signature) {}

    private Optional<Signed> findSigned(UUID session) {
        List<?> rows = em.createNativeQuery("select details from audit_log where subject_type = 'session' "
                        + "and subject_id = ?1 and action = ?2 order by id limit 10")
                .setParameter(1, session.toString())
                .setParameter(2, ACTION)
                .getResultList();
        for (Object row : rows) {
            Optional<Signed> t = parse(session, (String) row);
            if (t.isPresent()) {
                return t;
            }
            LOG.errorf(
                    "a tombstone of session %s in the audit chain does not verify against the audit head key: "
                            + "ignored, so its recording verifies as TAMPERED",
                    session);
        }
        return Optional.empty();
    }

    private Optional<Signed> parse(UUID session, String details) {
        try {
            Map<String, String> d = JSON.readValue(details, new TypeReference<Map<String, String>>() {});
            String manifest = d.get("manifestSha256");
            Tombstone t = new Tombstone(
                    session,
                    d.get("recording"),
                    d.get("rule"),
                    d.get("retention"),
                    Instant.parse(d.get("deletedAt")),
                    NO_MANIFEST.equals(manifest) ? null : manifest);
            if (t.recording() == null || t.rule() == null || t.retention() == null || manifest == null) {
                return Optional.empty();
            }
            byte[] signature = Base64.getDecoder().decode(d.get("signature"));
            return signer.verifiesStatement(statement(t), signature)
                    ? Optional.of(new Signed(t, signature))
                    : Optional.empty();
        } catch (java.io.IOException | RuntimeException e) { // anything unreadable is not a tombstone
            return Optional.empty();
        }
    }
}
