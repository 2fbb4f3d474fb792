package dev.portcullis.broker.api;

import dev.portcullis.broker.persistence.BastionLeases;
import dev.portcullis.broker.persistence.JpaSessionIndex;
import dev.portcullis.broker.recordings.RecordingArchive;
import dev.portcullis.contract.BastionApi;
import dev.portcullis.workflow.port.AccessRequestRepository;
import dev.portcullis.workflow.port.AuditEvent;
import dev.portcullis.workflow.port.AuditSink;
import dev.portcullis.workflow.port.SessionIndex;
import dev.portcullis.workflow.request.AccessRequest;
import dev.portcullis.workflow.request.Refusal;
import io.quarkus.security.Authenticated;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.time.Clock;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * Bastions report each session's start and end here; the index is what users and auditors search. A bastion is
 * trusted to report, not to invent: a session must belong to a live grant of the person it names, for that grant's
 * target and login, and its recording (when the store has it already) must name this session in its header and be
 * signed with the key the bastion declares, which must be one the broker trusts. That key is stored with the
 * session; its recording verifies with no other. Every refusal is audited.
 */
@Path("/internal/v1/sessions")
@Authenticated
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "Internal (bastions)")
public class BastionSessionResource {

    /** What the recording store accepts as a recording id. */
    private static final Pattern RECORDING_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    private static final Set<String> PROTOCOLS = Set.of("ssh", "postgres");
    private static final Pattern KEY_SHA256 = Pattern.compile("[0-9a-f]{64}");

    @Inject
    BastionGuard bastion;

    @Inject
    JpaSessionIndex sessions;

    @Inject
    AccessRequestRepository requests;

    @Inject
    RecordingArchive recordings;

    @Inject
    BastionLeases leases;

    @Inject
    AuditSink audit;

    @Inject
    Clock clock;

    @POST
    @Operation(summary = "A session is opening (before its first byte reaches the target)")
    public Response opened(BastionApi.SessionOpened body) {
        bastion.require("report sessions");
        if (body == null) {
            throw new RefusedException(Refusal.invalid(
                    "body_required",
                    null,
                    "send {sessionId, requestId, username, target, login, protocol, recordingId, recordingKey, "
                            + "bastion, clientAddress, startedAt}"));
        }
        String protocol = Input.required(body.protocol(), "protocol");
        if (!PROTOCOLS.contains(protocol)) {
            throw new RefusedException(Refusal.invalid("bad_protocol", "protocol", "protocol must be ssh or postgres"));
        }
        String recordingId = Input.optional(body.recordingId(), "recordingId", 128);
        if (recordingId != null && !RECORDING_ID.matcher(recordingId).matches()) {
            throw new RefusedException(Refusal.invalid(
                    "bad_recording_id",
                    "recordingId",
                    "recordingId must be a recording store id (letters, digits, '.', '_', '-')"));
        }
        SessionIndex.Opened opened = new SessionIndex.Opened(
                Input.required(body.sessionId(), "sessionId"),
                body.requestId(),
                Input.limited(Input.required(body.username(), "username"), "username", 255),
                Input.limited(Input.required(body.target(), "target"), "target", 63),
                Input.limited(Input.required(body.login(), "login"), "login", 63),
                protocol,
                recordingId,
                Input.optional(body.bastion(), "bastion", 255),
                Input.optional(body.clientAddress(), "clientAddress", 255),
                Input.required(body.startedAt(), "startedAt"));
        Input.required(body.requestId(), "requestId");
        String recordingKey = Input.optional(body.recordingKey(), "recordingKey", 64);
        if (recordingId != null && recordingKey == null) {
            throw new RefusedException(Refusal.invalid(
                    "recording_key_required",
                    "recordingKey",
                    "a session with a recording names the key that signs it: recordingKey, the SHA-256 (hex) of its "
                            + "X.509 encoding"));
        }
        if (recordingKey != null && !KEY_SHA256.matcher(recordingKey).matches()) {
            throw new RefusedException(Refusal.invalid(
                    "bad_recording_key",
                    "recordingKey",
                    "recordingKey must be a SHA-256 in lower-case hex (64 characters)"));
        }
        AccessRequest grant = requests.find(opened.requestId()).orElse(null);
        if (grant == null) {
            throw new RefusedException(Refusal.invalid(
                    "no_such_request", "requestId", "there is no access request " + opened.requestId()));
        }
        requireGrantCovers(grant, opened);
        if (recordingKey != null) {
            requireRecordingMatches(opened, recordingKey, bastion.clientId());
        }
        if (body.bastionInstance() != null && !leases.isLive(body.bastionInstance(), bastion.clientId())) {
            throw refused(
                    opened,
                    "no_live_lease",
                    "bastion instance " + body.bastionInstance() + " holds no live lease "
                            + "of this client; a bastion registers sessions only under its own lease (POST "
                            + "/internal/v1/bastion-leases)");
        }
        return switch (sessions.open(opened, recordingKey, bastion.clientId(), body.bastionInstance())) {
            case OPENED ->
                Response.status(201)
                        .header("Location", "/api/v1/sessions/" + opened.sessionId())
                        .entity(Dtos.SessionView.of(
                                sessions.find(opened.sessionId()).orElseThrow()))
                        .build();
            case DUPLICATE ->
                throw new RefusedException(
                        Refusal.conflict("session_exists", "session " + opened.sessionId() + " is indexed already"));
            case UNKNOWN_REQUEST ->
                throw new RefusedException(Refusal.invalid(
                        "no_such_request", "requestId", "there is no access request " + opened.requestId()));
        };
    }

    /** The session must use a grant that is live now, of the person it names, for its target and login. */
    private void requireGrantCovers(AccessRequest grant, SessionIndex.Opened s) {
        if (!grant.requester().equals(s.username())
                || !grant.target().equals(s.target())
                || !grant.login().equals(s.login())) {
            throw refused(
                    s,
                    "grant_mismatch",
                    "grant " + grant.id() + " is not " + s.username() + "'s grant for "
                            + s.login() + "@" + s.target()
                            + "; a bastion registers only sessions of the person, target "
                            + "and login a live grant names");
        }
        if (!grant.isLiveAt(clock.instant())) {
            throw refused(
                    s,
                    "grant_not_live",
                    "grant " + grant.id() + " is not live ("
                            + grant.state().name().toLowerCase(Locale.ROOT)
                            + "); a session can only be opened under a live grant");
        }
    }

    /** The key must be trusted, and a recording already in the store must be this session's, signed with it. */
    private void requireRecordingMatches(SessionIndex.Opened s, String recordingKey, String segment) {
        if (!recordings.trusts(recordingKey)) {
            throw refused(
                    s,
                    "untrusted_recording_key",
                    "the recording key " + recordingKey
                            + " is not listed in the broker's "
                            + "portcullis.recordings.trusted-keys");
        }
        Optional<String> problem;
        try {
            problem = recordings.registrationProblem(
                    segment,
                    s.recordingId(),
                    recordingKey,
                    RecordingArchive.attributes(s.sessionId(), s.username(), s.target(), s.login(), s.requestId()));
        } catch (IOException e) {
            throw refused(
                    s,
                    "recording_unreadable",
                    "the recording " + s.recordingId() + " cannot be read: " + e.getMessage());
        }
        if (problem.isPresent()) {
            throw refused(
                    s,
                    "recording_mismatch",
                    "the recording " + s.recordingId() + " is not this session's: " + problem.get());
        }
    }

    private RefusedException refused(SessionIndex.Opened s, String code, String message) {
        Map<String, String> details = new HashMap<>();
        details.put("code", code);
        details.put("user", s.username());
        details.put("target", s.target());
        details.put("login", s.login());
        details.put("request", s.requestId().toString());
        if (s.recordingId() != null) {
            details.put("recording", s.recordingId());
        }
        audit.append(new AuditEvent(
                clock.instant(),
                bastion.clientId(),
                "session.registration.refused",
                "session",
                s.sessionId().toString(),
                details));
        return new RefusedException(Refusal.forbidden(code, message));
    }

    @POST
    @Path("/{id}/end")
    @Operation(summary = "A session ended; repeating the call changes nothing")
    public Dtos.SessionView ended(@PathParam("id") UUID id, BastionApi.SessionEnded body) {
        bastion.require("report sessions");
        if (body == null) {
            throw new RefusedException(
                    Refusal.invalid("body_required", null, "send {endedAt, bytesIn, bytesOut, status, detail}"));
        }
        String status = Input.required(body.status(), "status");
        if (!JpaSessionIndex.END_STATUSES.contains(status)) {
            throw new RefusedException(
                    Refusal.invalid("bad_status", "status", "status must be one of " + JpaSessionIndex.END_STATUSES));
        }
        long bytesIn = body.bytesIn() == null ? 0 : body.bytesIn();
        long bytesOut = body.bytesOut() == null ? 0 : body.bytesOut();
        if (bytesIn < 0 || bytesOut < 0) {
            throw new RefusedException(Refusal.invalid(
                    "bad_byte_count", bytesIn < 0 ? "bytesIn" : "bytesOut", "byte counts cannot be negative"));
        }
        SessionIndex.Closed closed = new SessionIndex.Closed(
                id,
                Input.required(body.endedAt(), "endedAt"),
                bytesIn,
                bytesOut,
                status,
                body.detail() == null || body.detail().isBlank()
                        ? null
                        : body.detail().strip());
        if (sessions.close(closed) == JpaSessionIndex.CloseResult.UNKNOWN) {
            throw new RefusedException(Refusal.notFound("no_such_session", "there is no session " + id));
        }
        return Dtos.SessionView.of(sessions.find(id).orElseThrow());
    }
}
