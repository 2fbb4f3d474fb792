package dev.portcullis.broker.web;

import dev.portcullis.broker.identity.Caller;
import dev.portcullis.broker.live.LiveWatching;
import dev.portcullis.broker.live.SessionEnding;
import dev.portcullis.broker.persistence.IndexedSession;
import io.quarkus.qute.Location;
import io.quarkus.qute.Template;
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
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.jboss.resteasy.reactive.RestForm;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * Watching a live session in the browser (the same player as replay, fed by the broker, never by a bastion) and
 * ending one session, for the web UI. The checks are {@link LiveWatching}'s and {@link SessionEnding}'s, as for the
 * API.
 */
@Path("/ui/sessions")
@Authenticated
@Produces(MediaType.TEXT_HTML)
public class LivePages {

    @Inject
    Caller caller;

    @Inject
    Viewers viewers;

    @Inject
    ErrorPages errorPages;

    @Inject
    LiveWatching watching;

    @Inject
    SessionEnding ending;

    @Inject
    @Location("web/live.html")
    Template livePage;

    @GET
    @Path("/{id}/live")
    @Operation(hidden = true)
    public Response live(@PathParam("id") UUID id) {
        IndexedSession session = watching.check(id, caller.username(), RefusedPage::new);
        String html = livePage.data("me", viewers.me(caller))
                .data("nav", "sessions")
                .data("session", SessionPages.row(session, false, null))
                .render(); // a live session: no hold or deletion to show
        return RequestPages.ok(html);
    }

    @GET
    @Path("/{id}/live/stream")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @Blocking
    @Operation(hidden = true)
    public Multi<OutboundSseEvent> stream(@PathParam("id") UUID id, @Context Sse sse) {
        String viewer = caller.username();
        IndexedSession session = watching.check(id, viewer, RefusedPage::new);
        return watching.stream(session, viewer, sse);
    }

    @POST
    @Path("/{id}/end")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    @Operation(hidden = true)
    public Response end(@PathParam("id") UUID id, @RestForm String reason) {
        IndexedSession after = ending.end(id, caller.username(), reason, RefusedPage::new);
        return Flashes.seeOther("/ui/sessions", after.isOpen() ? "ending" : "ended", after.requestId());
    }

    @ServerExceptionMapper
    public Response failed(Exception e) {
        return errorPages.unexpected(e, caller);
    }
}
