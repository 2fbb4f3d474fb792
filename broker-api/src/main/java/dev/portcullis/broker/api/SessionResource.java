package dev.portcullis.broker.api;

import dev.portcullis.broker.identity.Caller;
import dev.portcullis.broker.persistence.IndexedSession;
import dev.portcullis.broker.persistence.JpaSessionIndex;
import dev.portcullis.broker.persistence.LegalHolds;
import dev.portcullis.broker.persistence.RetentionLedger;
import dev.portcullis.broker.recordings.RecordingArchive;
import dev.portcullis.recording.RecordingVerifier;
import dev.portcullis.workflow.AccessWorkflow;
import dev.portcullis.workflow.port.AuditEvent;
import dev.portcullis.workflow.port.AuditSink;
import dev.portcullis.workflow.request.Actor;
import dev.portcullis.workflow.request.Refusal;
import io.quarkus.security.Authenticated;
import jakarta.inject.Inject;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.NoSuchFileException;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * Sessions that went through the bastions, and their recordings. Auditors and admins see every session;
 * everyone else sees their own. A session someone may not see does not exist for them (404). Service accounts
 * (bastions, scripts) see none: a bastion registers sessions, it must not read back what the broker can open.
 *
 * <p>A recording is exported only after it verifies, and only the bytes that verified: a TAMPERED one is refused
 * (409, with the problem, audited); an INCOMPLETE one (still open, or its bastion stopped) is exported with the
 * header {@code X-Recording-Status: INCOMPLETE} and the problem in {@code X-Recording-Problem}; one whose payload
 * was deleted when its retention expired is 404 {@code recording_deleted_by_policy}, saying when and under which rule.
 */
@Path("/api/v1/sessions")
@Authenticated
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Sessions")
public class SessionResource {

    public static final String ASCIICAST = "application/x-asciicast";
    public static final String JSONL = "application/jsonl";
    /** VALID or INCOMPLETE: how much of what an export holds is proven (a TAMPERED recording is not exported). */
    public static final String STATUS_HEADER = "X-Recording-Status";

    public static final String PROBLEM_HEADER = "X-Recording-Problem";

    @Inject
    BastionGuard bastion;

    @Inject
    JpaSessionIndex sessions;

    @Inject
    RecordingArchive recordings;

    @Inject
    Caller caller;

    @Inject
    RecordingReads reads;

    @Inject
    EvidenceDownloads evidence;

    @Inject
    AuditSink audit;

    @Inject
    Clock clock;

    @Inject
    LegalHolds holds;

    @Inject
    RetentionLedger retention;

    @GET
    @Operation(summary = "Sessions, newest first: everyone's for auditors and admins, otherwise your own")
    public List<Dtos.SessionView> list(
            @QueryParam("user") String user,
            @QueryParam("target") String target,
            @QueryParam("status") String status,
            @QueryParam("limit") @DefaultValue("100") int limit) {
        requirePerson(null);
        if (limit < 1 || limit > 1000) {
            throw new RefusedException(Refusal.invalid("bad_limit", "limit", "limit must be between 1 and 1000"));
        }
        Actor viewer = caller.asTokenSays();
        String username = blankToNull(user);
        if (!AccessWorkflow.isAuditor(viewer)) {
            if (username != null && !username.equals(viewer.username())) {
                throw new RefusedException(
                        Refusal.forbidden("missing_group", "other people's sessions are for auditors and admins"));
            }
            username = viewer.username();
        }
        String wanted = blankToNull(status);
        if (wanted != null) {
            wanted = wanted.toUpperCase(Locale.ROOT);
            if (!JpaSessionIndex.STATUSES.contains(wanted)) {
                throw new RefusedException(
                        Refusal.invalid("bad_status", "status", "status must be one of " + JpaSessionIndex.STATUSES));
            }
        }
        return views(sessions.list(username, blankToNull(target), wanted, limit));
    }

    /** The sessions with whether a legal hold covers each and when its recording's payload was deleted. */
    private List<Dtos.SessionView> views(List<IndexedSession> found) {
        List<UUID> ids = found.stream().map(IndexedSession::id).toList();
        Set<UUID> held = holds.held(ids);
        Map<UUID, Instant> deleted = retention.deletedAt(ids);
        return found.stream()
                .map(s -> Dtos.SessionView.of(s, held.contains(s.id()), deleted.get(s.id())))
                .toList();
    }

    @GET
    @Path("/{id}")
    @Operation(summary = "One session, if it is yours or you audit")
    public Dtos.SessionView get(@PathParam("id") UUID id) {
        return views(List.of(visible(id))).get(0);
    }

    @GET
    @Path("/{id}/recording.cast")
    @Produces(ASCIICAST)
    @Operation(summary = "The terminal recording as asciicast v2, for asciinema and asciinema-player")
    public Response cast(@PathParam("id") UUID id) throws IOException {
        IndexedSession session = visible(id);
        RecordingArchive.VerifiedRecording recording = recording(session, "cast");
        exported(session, "cast");
        StreamingOutput body = (OutputStream out) -> recording.reader().exportCast(out);
        return marked(Response.ok(body, ASCIICAST), recording)
                .header("Content-Disposition", "attachment; filename=\"session-" + id + ".cast\"")
                .build();
    }

    @GET
    @Path("/{id}/events.jsonl")
    @Produces(JSONL)
    @Operation(summary = "The session's structured events (exec, file transfers, queries) as JSON Lines")
    public Response events(@PathParam("id") UUID id) throws IOException {
        IndexedSession session = visible(id);
        RecordingArchive.VerifiedRecording recording = recording(session, "events.jsonl");
        exported(session, "events.jsonl");
        StreamingOutput body = (OutputStream out) -> recording.reader().exportEvents(out);
        return marked(Response.ok(body, JSONL), recording)
                .header("Content-Disposition", "attachment; filename=\"session-" + id + ".events.jsonl\"")
                .build();
    }

    @GET
    @Path("/{id}/recording.bin")
    @Produces({RecordingReads.BYTES, MediaType.APPLICATION_JSON})
    @Operation(summary = "The exact bytes of the terminal output (stream=output) or the keystrokes (stream=input)")
    public Response bytes(@PathParam("id") UUID id, @QueryParam("stream") String stream) throws IOException {
        IndexedSession session = visible(id);
        var type = RecordingReads.stream(stream, RefusedException::new);
        String format = type.name().toLowerCase(Locale.ROOT) + ".bin";
        return reads.bytes(session, recording(session, format), type, caller.username(), RefusedException::new);
    }

    @GET
    @Path("/{id}/replay")
    @Operation(
            summary = "Replay by time range: the recording's duration and its ranges, as asciinema-player's "
                    + "segmented recording index")
    public Response replayIndex(@PathParam("id") UUID id) throws IOException {
        IndexedSession session = visible(id);
        return reads.index(
                session,
                recording(session, "range"),
                "/api/v1/sessions/" + id + "/replay/range",
                caller.username(),
                "api",
                RefusedException::new);
    }

    @GET
    @Path("/{id}/replay/range.cast")
    @Produces({ASCIICAST, MediaType.APPLICATION_JSON})
    @Operation(
            summary = "The terminal events of [from, to) (seconds) as an asciicast v2 file: the screen at from "
                    + "rebuilt from the output just before it at 0, then the events, timed from from")
    public Response replayRangeCast(
            @PathParam("id") UUID id, @QueryParam("from") String from, @QueryParam("to") String to) throws IOException {
        IndexedSession session = visible(id);
        return reads.range(
                session,
                recording(session, "range"),
                from,
                to,
                false,
                true,
                caller.username(),
                "api",
                RefusedException::new);
    }

    @GET
    @Path("/{id}/replay/range")
    @Operation(
            summary = "The terminal events of [from, to) (seconds), as asciicast v2 event arrays, and the "
                    + "screen at from rebuilt from the output just before it")
    public Response replayRange(
            @PathParam("id") UUID id,
            @QueryParam("from") String from,
            @QueryParam("to") String to,
            @QueryParam("last") boolean last)
            throws IOException {
        IndexedSession session = visible(id);
        return reads.range(
                session, recording(session, "range"), from, to, last, caller.username(), "api", RefusedException::new);
    }

    @GET
    @Path("/{id}/evidence")
    @Produces({EvidenceDownloads.TAR, MediaType.APPLICATION_JSON})
    @Operation(
            summary = "The session's evidence bundle (tar): the recording as stored, its bastion's public key, "
                    + "the exports, an offline player, VERIFY.md and verify.sh to check it with stock tools")
    public Response evidence(@PathParam("id") UUID id) throws IOException {
        requirePerson(id);
        Actor viewer = caller.asTokenSays();
        IndexedSession session = sessions.find(id)
                .filter(s -> AccessWorkflow.isAuditor(viewer) || s.username().equals(viewer.username()))
                .orElseThrow(() -> evidence.refused(
                        caller.username(),
                        id,
                        "not the session's user, nor an auditor or admin",
                        new RefusedException(Refusal.notFound(
                                "no_such_session", "there is no session " + id + " that you may see"))));
        return evidence.download(session, caller.username(), AccessWorkflow.isAuditor(viewer), RefusedException::new);
    }

    /** Says in the response when what is exported is not the whole, signed recording. */
    public static Response.ResponseBuilder marked(
            Response.ResponseBuilder response, RecordingArchive.VerifiedRecording recording) {
        RecordingVerifier.Verification v = recording.verification();
        response.header(STATUS_HEADER, v.status().name());
        if (v.problem() != null) {
            response.header(PROBLEM_HEADER, v.problem().replaceAll("[^\\x20-\\x7e]", "?"));
        }
        return response;
    }

    @GET
    @Path("/{id}/verification")
    @Operation(
            summary = "Check the recording's hash chain and its bastion's signature: VALID, INCOMPLETE, TAMPERED "
                    + "or DELETED_BY_POLICY")
    public Dtos.RecordingVerification verification(@PathParam("id") UUID id) throws IOException {
        IndexedSession session = visible(id);
        if (session.recordingId() == null) {
            throw noRecording(id);
        }
        RecordingVerifier.Verification result = recordings.verify(session);
        return new Dtos.RecordingVerification(result.status().name(), result.problem());
    }

    private IndexedSession visible(UUID id) {
        requirePerson(id);
        Actor viewer = caller.asTokenSays();
        return sessions.find(id)
                .filter(s -> AccessWorkflow.isAuditor(viewer) || s.username().equals(viewer.username()))
                .orElseThrow(() -> new RefusedException(
                        Refusal.notFound("no_such_session", "there is no session " + id + " that you may see")));
    }

    /** Refuses service accounts, with an audit row: a client has no sessions of its own to read. */
    private void requirePerson(UUID session) {
        if (caller.isServiceAccount() || bastion.isBastion()) {
            audit.append(new AuditEvent(
                    clock.instant(),
                    caller.username(),
                    "session.read.refused",
                    "session",
                    session == null ? "*" : session.toString(),
                    Map.of("reason", "service account")));
            throw new RefusedException(Refusal.forbidden(
                    "not_a_person",
                    "sessions and recordings are for people; a service account (a bastion, a script) cannot read "
                            + "them"));
        }
    }

    private RecordingArchive.VerifiedRecording recording(IndexedSession session, String format) throws IOException {
        if (session.recordingId() == null) {
            throw noRecording(session.id());
        }
        try {
            return recordings.openVerified(session, !"range".equals(format));
        } catch (NoSuchFileException e) {
            throw new RefusedException(Refusal.notFound(
                    "recording_missing",
                    "the recording of session " + session.id() + " is not in the recording store"));
        } catch (RecordingArchive.DeletedRecordingException e) {
            throw deleted(session, e);
        } catch (RecordingArchive.TamperedRecordingException e) {
            audit.append(new AuditEvent(
                    clock.instant(),
                    caller.username(),
                    "recording.export.refused",
                    "session",
                    session.id().toString(),
                    Map.of("recording", session.recordingId(), "format", format, "problem", e.getMessage())));
            throw new RefusedException(Refusal.conflict(
                    "recording_tampered",
                    "the recording of session " + session.id() + " did not verify, so it is not exported: "
                            + e.getMessage()));
        }
    }

    /** 404 with its own code: the recording existed, and its retention ended it (the tombstone says when and why). */
    static RefusedException deleted(IndexedSession session, RecordingArchive.DeletedRecordingException e) {
        return new RefusedException(Refusal.notFound(
                "recording_deleted_by_policy",
                "the recording of session " + session.id() + " is no longer kept: " + e.getMessage()));
    }

    private void exported(IndexedSession session, String format) {
        audit.append(new AuditEvent(
                clock.instant(),
                caller.username(),
                "recording.exported",
                "session",
                session.id().toString(),
                Map.of(
                        "recording",
                        session.recordingId(),
                        "format",
                        format,
                        "user",
                        session.username(),
                        "target",
                        session.target())));
    }

    private static RefusedException noRecording(UUID id) {
        return new RefusedException(Refusal.notFound("no_recording", "session " + id + " has no recording"));
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }
}
