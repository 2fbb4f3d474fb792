package dev.portcullis.broker.api;

import dev.portcullis.broker.identity.Caller;
import dev.portcullis.broker.live.LiveWatching;
import dev.portcullis.broker.live.SessionEnding;
import dev.portcullis.broker.persistence.IndexedSession;
import dev.portcullis.workflow.port.AuditEvent;
import dev.portcullis.workflow.port.AuditSink;
import dev.portcullis.workflow.request.Refusal;
import io.quarkus.security.Authenticated;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import java.util.Map;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * Live sessions: auditors and admins watch one as it happens; admins end one, its grant and the person's other
 * sessions staying. Service accounts and bastions do neither.
 */
@Path("/api/v1/sessions")
@Authenticated
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Sessions")
public class LiveSessionResource {

    /** Why an admin ends the session; the user is shown it. */
    public record EndRequest(String reason) {}

    @Inject
    Caller caller;

    @Inject
    BastionGuard bastion;

    @Inject
    LiveWatching watching;

    @Inject
    SessionEnding ending;

    @Inject
    AuditSink audit;

    @Inject
    java.time.Clock clock;

    @GET
    @Path("/{id}/live")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @Blocking
    @Operation(
            summary = "Watch a live session as server-sent events in asciinema-player's eventsource form "
                    + "(auditors and admins; the watch is recorded in the session's recording and audited)")
    public Multi<OutboundSseEvent> watch(@PathParam("id") UUID id, @Context Sse sse) {
        requirePerson(id, "session.watch.refused");
        String viewer = caller.username(); // read now: the request scope is gone once the stream runs on
        IndexedSession session = watching.check(id, viewer, RefusedException::new);
        return watching.stream(session, viewer, sse);
    }

    @POST
    @Path("/{id}/end")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "End one live session with a reason the user is shown (admins); the grant stays")
    public Response end(@PathParam("id") UUID id, EndRequest body) {
        requirePerson(id, "session.end.refused");
        IndexedSession after =
                ending.end(id, caller.username(), body == null ? null : body.reason(), RefusedException::new);
        return Response.status(after.isOpen() ? 202 : 200)
                .entity(Dtos.SessionView.of(after))
                .build();
    }

    private void requirePerson(UUID id, String action) {
        if (caller.isServiceAccount() || bastion.isBastion()) {
            audit.append(new AuditEvent(
                    clock.instant(),
                    caller.username(),
                    action,
                    "session",
                    id.toString(),
                    Map.of("reason", "service account")));
            throw new RefusedException(Refusal.forbidden(
                    "not_a_person", "live sessions are watched and ended by people; a service account cannot"));
        }
    }
}
