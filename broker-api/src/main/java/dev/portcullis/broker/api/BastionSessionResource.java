package dev.portcullis.broker.api;

import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import io.quarkus.security.Authenticated;

import dev.portcullis.broker.persistence.JpaSessionIndex;
import dev.portcullis.workflow.port.SessionIndex;
import dev.portcullis.workflow.request.Refusal;

/** Bastions report each session's start and end here; the index is what users and auditors search. */
@Path("/internal/v1/sessions")
@Authenticated
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "Internal (bastions)")
public class BastionSessionResource {

    /** What the recording store accepts as a recording id. */
    private static final Pattern RECORDING_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    private static final Set<String> PROTOCOLS = Set.of("ssh", "postgres");

    @Inject
    BastionGuard bastion;

    @Inject
    JpaSessionIndex sessions;

    @POST
    @Operation(summary = "A session is opening (before its first byte reaches the target)")
    public Response opened(Dtos.SessionOpened body) {
        bastion.require("report sessions");
        if (body == null) {
            throw new RefusedException(Refusal.invalid("body_required", null,
                    "send {sessionId, requestId, username, target, login, protocol, recordingId, bastion, clientAddress, startedAt}"));
        }
        String protocol = Input.required(body.protocol(), "protocol");
        if (!PROTOCOLS.contains(protocol)) {
            throw new RefusedException(Refusal.invalid("bad_protocol", "protocol", "protocol must be ssh or postgres"));
        }
        String recordingId = Input.optional(body.recordingId(), "recordingId", 128);
        if (recordingId != null && !RECORDING_ID.matcher(recordingId).matches()) {
            throw new RefusedException(Refusal.invalid("bad_recording_id", "recordingId",
                    "recordingId must be a recording store id (letters, digits, '.', '_', '-')"));
        }
        SessionIndex.Opened opened = new SessionIndex.Opened(Input.required(body.sessionId(), "sessionId"), body.requestId(),
                Input.limited(Input.required(body.username(), "username"), "username", 255),
                Input.limited(Input.required(body.target(), "target"), "target", 63),
                Input.limited(Input.required(body.login(), "login"), "login", 63), protocol, recordingId,
                Input.optional(body.bastion(), "bastion", 255), Input.optional(body.clientAddress(), "clientAddress", 255),
                Input.required(body.startedAt(), "startedAt"));
        return switch (sessions.open(opened)) {
            case OPENED -> Response.status(201).header("Location", "/api/v1/sessions/" + opened.sessionId())
                    .entity(Dtos.SessionView.of(sessions.find(opened.sessionId()).orElseThrow())).build();
            case DUPLICATE -> throw new RefusedException(Refusal.conflict("session_exists", "session " + opened.sessionId() + " is indexed already"));
            case UNKNOWN_REQUEST -> throw new RefusedException(Refusal.invalid("no_such_request", "requestId",
                    "there is no access request " + opened.requestId()));
        };
    }

    @POST
    @Path("/{id}/end")
    @Operation(summary = "A session ended; repeating the call changes nothing")
    public Dtos.SessionView ended(@PathParam("id") UUID id, Dtos.SessionEnded body) {
        bastion.require("report sessions");
        if (body == null) {
            throw new RefusedException(Refusal.invalid("body_required", null, "send {endedAt, bytesIn, bytesOut, status, detail}"));
        }
        String status = Input.required(body.status(), "status");
        if (!JpaSessionIndex.END_STATUSES.contains(status)) {
            throw new RefusedException(Refusal.invalid("bad_status", "status", "status must be one of " + JpaSessionIndex.END_STATUSES));
        }
        long bytesIn = body.bytesIn() == null ? 0 : body.bytesIn();
        long bytesOut = body.bytesOut() == null ? 0 : body.bytesOut();
        if (bytesIn < 0 || bytesOut < 0) {
            throw new RefusedException(Refusal.invalid("bad_byte_count", bytesIn < 0 ? "bytesIn" : "bytesOut", "byte counts cannot be negative"));
        }
        SessionIndex.Closed closed = new SessionIndex.Closed(id, Input.required(body.endedAt(), "endedAt"), bytesIn, bytesOut, status,
                body.detail() == null || body.detail().isBlank() ? null : body.detail().strip());
        if (sessions.close(closed) == JpaSessionIndex.CloseResult.UNKNOWN) {
            throw new RefusedException(Refusal.notFound("no_such_session", "there is no session " + id));
        }
        return Dtos.SessionView.of(sessions.find(id).orElseThrow());
    }
}
