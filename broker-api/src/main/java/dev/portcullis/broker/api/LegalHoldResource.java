package dev.portcullis.broker.api;

import dev.portcullis.broker.identity.Caller;
import dev.portcullis.broker.persistence.LegalHolds;
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
import java.util.List;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * Legal holds: while one is live, no recording it covers is deleted, whatever its retention. Auditors and admins
 * place them on a session or on a ticket (every session under a grant requested with that ticket) and release them,
 * always with a reason; both are audited.
 */
@Path("/api/v1/holds")
@Authenticated
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Legal holds")
public class LegalHoldResource {

    @Inject
    HoldDecisions decisions;

    @Inject
    LegalHolds holds;

    @Inject
    Caller caller;

    @GET
    @Operation(summary = "Live legal holds, newest first; with session=ID every hold, live or released, covering it")
    public List<Dtos.HoldView> list(@QueryParam("session") UUID session) {
        decisions.requireReader(caller, RefusedException::new);
        return (session == null ? holds.live(1000) : holds.covering(session))
                .stream().map(Dtos.HoldView::of).toList();
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Place a legal hold on a session or a ticket: {session | ticket, reason}")
    public Response place(Dtos.HoldRequest body) {
        Dtos.HoldRequest b = body == null ? new Dtos.HoldRequest(null, null, null) : body;
        LegalHolds.Hold hold = decisions.place(caller, b.session(), b.ticket(), b.reason(), RefusedException::new);
        return Response.status(201)
                .header("Location", "/api/v1/holds/" + hold.id())
                .entity(Dtos.HoldView.of(hold))
                .build();
    }

    @POST
    @Path("/{id}/release")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Release a legal hold: {reason}; the recordings it covered may then be deleted when due")
    public Dtos.HoldView release(@PathParam("id") UUID id, Dtos.Decision body) {
        String reason = body == null ? null : body.reason() != null ? body.reason() : body.comment();
        return Dtos.HoldView.of(decisions.release(caller, id, reason, RefusedException::new));
    }
}
