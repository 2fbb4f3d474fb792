package dev.portcullis.broker.api;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portcullis.broker.persistence.HashChainedAuditLog;
import dev.portcullis.broker.persistence.IndexedSession;
import dev.portcullis.broker.recordings.EvidenceBundle;
import dev.portcullis.broker.recordings.RecordingArchive;
import dev.portcullis.workflow.port.AuditEvent;
import dev.portcullis.workflow.port.AuditSink;
import dev.portcullis.workflow.request.Refusal;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.NoSuchFileException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;

/**
 * A session's evidence bundle as a download, for the API and the web UI alike, each after its own visibility check.
 * The bundle is built (copied, verified, exported) before the answer starts, so a recording that does not verify is
 * refused with a problem, not cut off mid-archive. The download's audit row keeps the SHA-256 of the bundle's
 * SHA256SUMS, so the audit chain says which bundle was handed to whom.
 */
@ApplicationScoped
public class EvidenceDownloads {

    public static final String TAR = "application/x-tar";
    /** The grant's and the session's audit rows a bundle carries, each at most. */
    static final int MAX_AUDIT_ROWS = 1000;

    @Inject
    RecordingArchive recordings;

    @Inject
    HashChainedAuditLog auditLog;

    @Inject
    AuditSink audit;

    @Inject
    ObjectMapper json;

    @Inject
    Clock clock;

    /** Audits a refused request for a bundle (someone who may not see the session) and gives the refusal to throw. */
    public RuntimeException refused(String viewer, UUID session, String reason, RuntimeException refusal) {
        audit.append(new AuditEvent(
                clock.instant(),
                viewer,
                "session.read.refused",
                "session",
                session.toString(),
                Map.of("format", "evidence", "reason", reason)));
        return refusal;
    }

    /**
     * The bundle of a session the viewer may see.
     *
     * @param withAudit whether to include the audit rows of the session and its grant (auditors and admins)
     */
    public Response download(
            IndexedSession session, String viewer, boolean withAudit, Function<Refusal, RuntimeException> refuse)
            throws IOException {
        if (session.recordingId() == null) {
            throw refuse.apply(Refusal.notFound("no_recording", "session " + session.id() + " has no recording"));
        }
        EvidenceBundle bundle;
        try {
            bundle = EvidenceBundle.build(
                    recordings, session, view(session), withAudit ? auditRows(session) : null, json, clock.instant());
        } catch (NoSuchFileException e) {
            throw refuse.apply(Refusal.notFound(
                    "recording_missing",
                    "the recording of session " + session.id() + " is not in the recording store"));
        } catch (RecordingArchive.TamperedRecordingException e) {
            audit.append(new AuditEvent(
                    clock.instant(),
                    viewer,
                    "recording.export.refused",
                    "session",
                    session.id().toString(),
                    Map.of("recording", session.recordingId(), "format", "evidence", "problem", e.getMessage())));
            throw refuse.apply(Refusal.conflict(
                    "recording_tampered",
                    "the recording of session " + session.id()
                            + " did not verify, so no evidence bundle is made of it: " + e.getMessage()));
        }
        audit.append(new AuditEvent(
                clock.instant(),
                viewer,
                "recording.exported",
                "session",
                session.id().toString(),
                Map.of(
                        "recording",
                        session.recordingId(),
                        "format",
                        "evidence",
                        "user",
                        session.username(),
                        "target",
                        session.target(),
                        "status",
                        bundle.verification().status().name(),
                        "sha256sums",
                        bundle.sumsSha256())));
        StreamingOutput body = (OutputStream out) -> {
            try (bundle) {
                bundle.writeTar(out);
            }
        };
        return Response.ok(body, TAR)
                .header("Content-Disposition", "attachment; filename=\"" + bundle.root() + "-evidence.tar\"")
                .header(
                        SessionResource.STATUS_HEADER,
                        bundle.verification().status().name())
                .build();
    }

    private Map<String, Object> view(IndexedSession session) {
        return json.convertValue(Dtos.SessionView.of(session), new TypeReference<Map<String, Object>>() {});
    }

    /** The rows about the session and about its grant (request, reviews, end), oldest first. */
    private List<HashChainedAuditLog.AuditRecord> auditRows(IndexedSession session) {
        List<HashChainedAuditLog.AuditRecord> rows =
                new ArrayList<>(auditLog.list(null, null, null, session.id().toString(), MAX_AUDIT_ROWS));
        if (session.requestId() != null) {
            rows.addAll(auditLog.list(null, null, null, session.requestId().toString(), MAX_AUDIT_ROWS));
        }
        rows.sort(Comparator.comparingLong(HashChainedAuditLog.AuditRecord::id));
        return rows;
    }
}
