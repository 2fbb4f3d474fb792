package dev.portcullis.broker.web;

import dev.portcullis.broker.api.EvidenceDownloads;
import dev.portcullis.broker.api.HoldDecisions;
import dev.portcullis.broker.api.RecordingReads;
import dev.portcullis.broker.api.SessionResource;
import dev.portcullis.broker.identity.Caller;
import dev.portcullis.broker.persistence.IndexedSession;
import dev.portcullis.broker.persistence.IndexedSessions;
import dev.portcullis.broker.persistence.LegalHolds;
import dev.portcullis.broker.persistence.RetentionLedger;
import dev.portcullis.broker.recordings.RecordingArchive;
import dev.portcullis.broker.recordings.ReplayAudit;
import dev.portcullis.recording.RecordingVerifier;
import dev.portcullis.recording.event.ExecEvent;
import dev.portcullis.recording.event.FileOperationEvent;
import dev.portcullis.recording.event.FileTransferEvent;
import dev.portcullis.recording.event.ForwardEvent;
import dev.portcullis.recording.event.QueryEvent;
import dev.portcullis.recording.event.RecordedEvent;
import dev.portcullis.recording.event.SessionEvent;
import dev.portcullis.recording.event.WatchEvent;
import dev.portcullis.recording.format.MalformedRecordingException;
import dev.portcullis.workflow.AccessWorkflow;
import dev.portcullis.workflow.port.AuditEvent;
import dev.portcullis.workflow.port.AuditSink;
import dev.portcullis.workflow.request.Refusal;
import dev.portcullis.workflow.request.Transition;
import io.quarkus.qute.Location;
import io.quarkus.qute.Template;
import io.quarkus.security.Authenticated;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
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
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.jboss.resteasy.reactive.RestForm;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * Sessions and their replay, for auditors and admins. Reads the same session index and recording store as
 * {@code /api/v1/sessions}; every download is audited the same way, and every replay is audited too.
 */
@Path("/ui/sessions")
@Authenticated
@Produces(MediaType.TEXT_HTML)
public class SessionPages {

    @Inject
    IndexedSessions sessions;

    @Inject
    RecordingArchive recordings;

    @Inject
    AccessWorkflow workflow;

    @Inject
    AuditSink audit;

    @Inject
    Caller caller;

    @Inject
    Viewers viewers;

    @Inject
    Flashes flashes;

    @Inject
    ErrorPages errorPages;

    @Inject
    RecordingReads reads;

    @Inject
    ReplayAudit replays;

    @Inject
    EvidenceDownloads evidence;

    @Inject
    LegalHolds holds;

    @Inject
    RetentionLedger retention;

    @Inject
    HoldDecisions decisions;

    @Inject
    @Location("web/sessions.html")
    Template sessionsPage;

    @Inject
    @Location("web/replay.html")
    Template replayPage;

    @GET
    @Operation(hidden = true)
    public Response list(
            @QueryParam("user") String user,
            @QueryParam("target") String target,
            @QueryParam("status") String status,
            @QueryParam("from") String from,
            @QueryParam("to") String to,
            @QueryParam("done") String done,
            @QueryParam("request") String request) {
        viewers.requireAuditor(caller, "The sessions pages");
        Views.SessionFilter filter = new Views.SessionFilter(
                Formats.blankToEmpty(user),
                Formats.blankToEmpty(target),
                Formats.blankToEmpty(status).toUpperCase(Locale.ROOT),
                Formats.blankToEmpty(from),
                Formats.blankToEmpty(to),
                sessions.statuses());
        if (!filter.status().isEmpty() && !sessions.statuses().contains(filter.status())) {
            throw new RefusedPage(
                    Refusal.invalid("bad_status", "status", "status must be one of " + sessions.statuses()));
        }
        Instant fromInstant = day(filter.from(), "from", 0);
        Instant toInstant = day(filter.to(), "to", 1);
        List<Views.SessionRow> rows;
        List<IndexedSession> found = sessions
                .list(
                        Formats.emptyToNull(filter.user()),
                        Formats.emptyToNull(filter.target()),
                        Formats.emptyToNull(filter.status()),
                        1000)
                .stream()
                .filter(s -> fromInstant == null || !s.startedAt().isBefore(fromInstant))
                .filter(s -> toInstant == null || s.startedAt().isBefore(toInstant))
                .limit(200)
                .toList();
        rows = rowsOf(found);
        String html = sessionsPage
                .data("me", viewers.me(caller))
                .data("nav", "sessions")
                .data("filter", filter)
                .data("sessions", rows)
                .data("flash", flashes.flash(done, request, caller.asTokenSays()))
                .render();
        return RequestPages.ok(html);
    }

    /** A date (yyyy-mm-dd, UTC) as the start of that day, or of the next one for an inclusive "to". */
    private static Instant day(String value, String field, int plusDays) {
        if (value.isEmpty()) {
            return null;
        }
        try {
            return LocalDate.parse(value)
                    .plusDays(plusDays)
                    .atStartOfDay(ZoneOffset.UTC)
                    .toInstant();
        } catch (DateTimeParseException e) {
            throw new RefusedPage(
                    Refusal.invalid("bad_date", field, "give the date as yyyy-mm-dd, for example 2026-01-31"));
        }
    }

    private List<Views.SessionRow> rowsOf(List<IndexedSession> found) {
        List<UUID> ids = found.stream().map(IndexedSession::id).toList();
        Set<UUID> held = holds.held(ids);
        Map<UUID, Instant> deleted = retention.deletedAt(ids);
        return found.stream()
                .map(s -> row(s, held.contains(s.id()), deleted.get(s.id())))
                .toList();
    }

    /** What retention does to a session's recording, in a few words. */
    static String retention(IndexedSession s, boolean held, Instant deletedAt) {
        if (s.recordingId() == null) {
            return "";
        }
        if (deletedAt != null) {
            return "recording deleted by policy " + Formats.time(deletedAt) + " (rule " + s.retentionRule() + ")";
        }
        String kept = s.retainUntil() == null
                ? "recording kept for ever"
                : "recording kept until at least " + Formats.time(s.retainUntil()) + " (rule " + s.retentionRule()
                        + ", " + s.retentionDays() + "d)";
        return held ? kept + "; under legal hold, not deleted while held" : kept;
    }

    static Views.SessionRow row(IndexedSession s, boolean held, Instant deletedAt) {
        Instant end = s.endedAt() == null ? Instant.now() : s.endedAt();
        return new Views.SessionRow(
                s.id().toString(),
                s.requestId() == null ? "" : s.requestId().toString(),
                s.username(),
                s.target(),
                s.login(),
                s.protocol(),
                Formats.time(s.startedAt()),
                s.endedAt() == null ? "still open" : Formats.time(s.endedAt()),
                Formats.duration(Duration.between(s.startedAt(), end)),
                Formats.bytes(s.bytesIn()) + " in, " + Formats.bytes(s.bytesOut()) + " out",
                s.status(),
                Formats.nz(s.detail()),
                s.isOpen(),
                s.recordingId() != null,
                retention(s, held, deletedAt),
                held,
                deletedAt != null);
    }

    @GET
    @Path("/{id}")
    @Operation(hidden = true)
    public Response replay(@PathParam("id") UUID id, @QueryParam("t") String t, @QueryParam("hold") String holdDone)
            throws IOException {
        IndexedSession session = visible(id);
        Views.Badge badge;
        List<Views.EventLine> events = List.of();
        boolean cut = false;
        boolean notText = false;
        boolean inputRecorded = false;
        if (session.recordingId() == null) {
            badge = new Views.Badge("NONE", "no recording", "badge-none");
        } else {
            RecordingVerifier.Verification v;
            RecordingArchive.ReplayFacts facts = null;
            try {
                RecordingArchive.VerifiedRecording verified = recordings.openVerified(session);
                v = verified.verification();
                facts = verified.facts();
                inputRecorded = verified.reader().metadata().inputRecorded();
            } catch (RecordingArchive.DeletedRecordingException e) {
                v = new RecordingVerifier.Verification(RecordingVerifier.Status.DELETED_BY_POLICY, 0, e.getMessage());
            } catch (RecordingArchive.TamperedRecordingException e) {
                v = new RecordingVerifier.Verification(RecordingVerifier.Status.TAMPERED, 0, e.getMessage());
            } catch (NoSuchFileException e) {
                throw missing(session);
            } catch (MalformedRecordingException e) {
                // a chunk changed since the cached verdict: not shown, and verified afresh next time
                recordings.forget(session);
                v = new RecordingVerifier.Verification(RecordingVerifier.Status.TAMPERED, 0, e.getMessage());
            }
            badge = switch (v.status()) {
                case VALID ->
                    new Views.Badge(
                            "VALID",
                            "Verified: hash chain intact, signed by the bastion that opened the session",
                            "badge-valid");
                case INCOMPLETE -> new Views.Badge("INCOMPLETE", "Incomplete: " + v.problem(), "badge-incomplete");
                case DELETED_BY_POLICY ->
                    new Views.Badge("DELETED_BY_POLICY", "Deleted by policy: " + v.problem(), "badge-deleted");
                case TAMPERED ->
                    new Views.Badge("TAMPERED", "Tampered: " + v.problem() + " (not shown)", "badge-tampered");
            };
            if (facts != null) { // a recording that does not verify is not shown as if it were fine
                events = facts.events().stream().map(SessionPages::line).toList();
                notText = !facts.textFaithful();
            }
            if (events.size() > RecordingArchive.MAX_LISTED_EVENTS) {
                cut = true;
                events = events.subList(0, RecordingArchive.MAX_LISTED_EVENTS);
            }
            replays.replayed(caller.username(), session);
        }
        boolean playable = session.recordingId() != null
                && !"TAMPERED".equals(badge.status())
                && !"DELETED_BY_POLICY".equals(badge.status());
        List<LegalHolds.Hold> covering = holds.covering(session.id());
        boolean held = covering.stream().anyMatch(LegalHolds.Hold::live);
        Instant deletedAt = retention.deletedAt(List.of(session.id())).get(session.id());
        List<Views.HoldLine> holdLines =
                covering.stream().map(SessionPages::holdLine).toList();
        String html = replayPage
                .data("me", viewers.me(caller))
                .data("nav", "sessions")
                .data("session", row(session, held, deletedAt))
                .data("holds", holdLines)
                .data("holdDone", Formats.blankToEmpty(holdDone))
                .data("badge", badge)
                .data("events", events)
                .data("cut", cut)
                .data("maxEvents", RecordingArchive.MAX_LISTED_EVENTS)
                .data("playable", playable)
                .data("notText", notText)
                .data("inputRecorded", inputRecorded)
                .data("start", startSecond(t))
                .render();
        return RequestPages.ok(html);
    }

    /** Where the player starts: ?t=SECONDS from a search hit; anything else starts at 0. */
    static long startSecond(String t) {
        if (t == null || !t.matches("[0-9]{1,9}")) {
            return 0;
        }
        return Long.parseLong(t);
    }

    private static Views.HoldLine holdLine(LegalHolds.Hold h) {
        String what = h.session() != null ? "this session" : "every session under ticket " + h.ticket();
        String released = h.live()
                ? ""
                : "released " + Formats.time(h.releasedAt()) + " by " + h.releasedBy() + ": " + h.releaseReason();
        return new Views.HoldLine(
                h.id().toString(), what, h.reason(), h.placedBy(), Formats.time(h.placedAt()), h.live(), released);
    }

    @POST
    @Path("/{id}/hold")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    @Operation(hidden = true)
    public Response placeHold(@PathParam("id") UUID id, @RestForm String reason) {
        IndexedSession session = visible(id);
        decisions.place(caller, session.id(), null, reason, RefusedPage::new);
        return Response.seeOther(java.net.URI.create("/ui/sessions/" + id + "?hold=placed"))
                .build();
    }

    @POST
    @Path("/{id}/holds/{hold}/release")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    @Operation(hidden = true)
    public Response releaseHold(@PathParam("id") UUID id, @PathParam("hold") UUID hold, @RestForm String reason) {
        visible(id);
        decisions.release(caller, hold, reason, RefusedPage::new);
        return Response.seeOther(java.net.URI.create("/ui/sessions/" + id + "?hold=released"))
                .build();
    }

    static Views.EventLine line(RecordedEvent e) {
        String time = String.format(Locale.ROOT, "%d:%02d", (long) e.time() / 60, (long) e.time() % 60);
        Object event = e.event();
        if (event instanceof ExecEvent x) {
            return new Views.EventLine(time, e.time(), "exec", Formats.nz(x.command()));
        }
        if (event instanceof FileTransferEvent x) {
            return new Views.EventLine(
                    time,
                    e.time(),
                    "file",
                    lower(x.protocol()) + " " + lower(x.direction()) + " " + x.path() + " (" + Formats.bytes(x.bytes())
                            + ")");
        }
        if (event instanceof FileOperationEvent x) {
            return new Views.EventLine(
                    time,
                    e.time(),
                    "file",
                    lower(x.protocol()) + " " + lower(x.operation()) + " " + x.path()
                            + (x.targetPath() == null ? "" : " -> " + x.targetPath()));
        }
        if (event instanceof QueryEvent x) {
            return new Views.EventLine(
                    time,
                    e.time(),
                    "query",
                    x.query()
                            + (x.error() != null
                                    ? "  [error: " + x.error() + "]"
                                    : x.rows() != null ? "  [" + x.rows() + " rows]" : ""));
        }
        if (event instanceof ForwardEvent x) {
            return new Views.EventLine(
                    time,
                    e.time(),
                    "forward",
                    x.origin() + " -> " + x.host() + ":" + x.port() + " (" + Formats.bytes(x.bytesToTarget())
                            + " to target, " + Formats.bytes(x.bytesFromTarget()) + " back)");
        }
        if (event instanceof WatchEvent x) {
            return new Views.EventLine(
                    time, e.time(), "watch", x.viewer() + " " + lower(x.action()) + " watching live");
        }
        SessionEvent x = (SessionEvent) event;
        return new Views.EventLine(
                time, e.time(), "session", lower(x.phase()) + (x.reason() == null ? "" : " " + x.reason()));
    }

    private static String lower(Enum<?> value) {
        return value == null ? "" : value.name().toLowerCase(Locale.ROOT).replace('_', ' ');
    }

    @GET
    @Path("/{id}/recording.cast")
    @Produces(SessionResource.ASCIICAST)
    @Operation(hidden = true)
    public Response cast(@PathParam("id") UUID id, @QueryParam("download") boolean download) throws IOException {
        IndexedSession session = visible(id);
        RecordingArchive.VerifiedRecording recording = reader(session, "cast");
        exported(session, "cast");
        StreamingOutput body = (OutputStream out) -> recording.reader().exportCast(out);
        Response.ResponseBuilder response =
                SessionResource.marked(Response.ok(body, SessionResource.ASCIICAST), recording);
        if (download) {
            response.header("Content-Disposition", "attachment; filename=\"session-" + id + ".cast\"");
        }
        return response.build();
    }

    @GET
    @Path("/{id}/recording.bin")
    @Produces(RecordingReads.BYTES)
    @Operation(hidden = true)
    public Response bytes(@PathParam("id") UUID id, @QueryParam("stream") String stream) throws IOException {
        IndexedSession session = visible(id);
        var type = RecordingReads.stream(stream, RefusedPage::new);
        RecordingArchive.VerifiedRecording recording =
                reader(session, type.name().toLowerCase(Locale.ROOT) + ".bin");
        return reads.bytes(session, recording, type, caller.username(), RefusedPage::new);
    }

    @GET
    @Path("/{id}/replay")
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(hidden = true)
    public Response replayIndex(@PathParam("id") UUID id) throws IOException {
        IndexedSession session = visible(id);
        return reads.index(
                session,
                reader(session, "range"),
                "/ui/sessions/" + id + "/replay/range",
                caller.username(),
                "page",
                RefusedPage::new);
    }

    @GET
    @Path("/{id}/replay/range")
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(hidden = true)
    public Response replayRange(
            @PathParam("id") UUID id,
            @QueryParam("from") String from,
            @QueryParam("to") String to,
            @QueryParam("last") boolean last)
            throws IOException {
        IndexedSession session = visible(id);
        return reads.range(
                session, reader(session, "range"), from, to, last, caller.username(), "page", RefusedPage::new);
    }

    @GET
    @Path("/{id}/events.jsonl")
    @Produces(SessionResource.JSONL)
    @Operation(hidden = true)
    public Response events(@PathParam("id") UUID id) throws IOException {
        IndexedSession session = visible(id);
        RecordingArchive.VerifiedRecording recording = reader(session, "events.jsonl");
        exported(session, "events.jsonl");
        StreamingOutput body = (OutputStream out) -> recording.reader().exportEvents(out);
        return SessionResource.marked(Response.ok(body, SessionResource.JSONL), recording)
                .header("Content-Disposition", "attachment; filename=\"session-" + id + ".events.jsonl\"")
                .build();
    }

    @GET
    @Path("/{id}/evidence")
    @Produces(EvidenceDownloads.TAR)
    @Operation(hidden = true)
    public Response evidence(@PathParam("id") UUID id) throws IOException {
        try {
            viewers.requireAuditor(caller, "Evidence bundles");
        } catch (RefusedPage e) {
            throw evidence.refused(caller.username(), id, "not an auditor or admin", e);
        }
        IndexedSession session = visible(id);
        return evidence.download(session, caller.username(), true, RefusedPage::new);
    }

    /**
     * The bastions have no per-session kill switch: they close every session of a grant when the grant ends. So an
     * admin ends a live session by revoking its grant, which cuts all of that grant's sessions at once.
     */
    @POST
    @Path("/{id}/terminate")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    @Operation(hidden = true)
    public Response terminate(@PathParam("id") UUID id, @RestForm String reason) {
        viewers.requireAdmin(caller, "Ending a live session");
        IndexedSession session = visible(id);
        if (session.requestId() == null) {
            throw new RefusedPage(Refusal.conflict("no_grant", "session " + id + " has no grant to revoke"));
        }
        String why = Formats.emptyToNull(reason) == null
                ? "live session " + id + " ended by an admin from the web UI"
                : reason.strip();
        Transition result = workflow.revoke(session.requestId(), caller.username(), why);
        if (result instanceof Transition.Refused refused) {
            throw new RefusedPage(refused.refusal());
        }
        return Flashes.seeOther("/ui/sessions", "revoked", session.requestId());
    }

    private IndexedSession visible(UUID id) {
        viewers.requireAuditor(caller, "The sessions pages");
        return sessions.find(id)
                .orElseThrow(() -> new RefusedPage(Refusal.notFound("no_such_session", "there is no session " + id)));
    }

    /** The verified recording for export; one that does not verify is refused and the refusal audited. */
    private RecordingArchive.VerifiedRecording reader(IndexedSession session, String format) throws IOException {
        if (session.recordingId() == null) {
            throw new RefusedPage(Refusal.notFound("no_recording", "session " + session.id() + " has no recording"));
        }
        try {
            return recordings.openVerified(session, !"range".equals(format));
        } catch (NoSuchFileException e) {
            throw missing(session);
        } catch (RecordingArchive.DeletedRecordingException e) {
            throw new RefusedPage(Refusal.notFound(
                    "recording_deleted_by_policy",
                    "the recording of session " + session.id() + " is no longer kept: " + e.getMessage()));
        } catch (RecordingArchive.TamperedRecordingException e) {
            audit.append(new AuditEvent(
                    Instant.now(),
                    caller.username(),
                    "recording.export.refused",
                    "session",
                    session.id().toString(),
                    Map.of("recording", session.recordingId(), "format", format, "problem", e.getMessage())));
            throw new RefusedPage(Refusal.conflict(
                    "recording_tampered",
                    "the recording of session " + session.id() + " did not verify, so it is not exported: "
                            + e.getMessage()));
        }
    }

    private static RefusedPage missing(IndexedSession session) {
        return new RefusedPage(Refusal.notFound(
                "recording_missing", "the recording of session " + session.id() + " is not in the recording store"));
    }

    private void exported(IndexedSession session, String format) {
        audit.append(new AuditEvent(
                Instant.now(),
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

    @ServerExceptionMapper
    public Response failed(Exception e) {
        return errorPages.unexpected(e, caller);
    }
}
