package dev.portcullis.broker.api;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import io.quarkus.security.Authenticated;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.infrastructure.Infrastructure;

import dev.portcullis.broker.events.EventCursor;
import dev.portcullis.broker.events.GrantEvent;
import dev.portcullis.broker.events.GrantEventLog;
import dev.portcullis.workflow.request.Refusal;

/**
 * The API bastions use. Callers authenticate with a client-credentials token of the bastion service
 * client; there is no static shared secret.
 */
@Path("/internal/v1")
@Authenticated
@Tag(name = "Internal (bastions)")
public class InternalResource {

    private static final int BATCH = 500;

    @Inject
    GrantEventLog events;

    @Inject
    BastionGuard bastion;

    @ConfigProperty(name = "portcullis.grant-events.poll", defaultValue = "PT0.1S")
    Duration poll;

    /**
     * Server-sent events, one per grant start or end, each with its id. A bastion that reconnects sends the
     * last id it saw (the standard {@code Last-Event-ID} header, or {@code ?after=}) and gets everything
     * after it, so an event published while it was away is not lost. Without either it starts from now.
     */
    @GET
    @Path("/grant-events")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @Blocking
    @Operation(summary = "Stream of grant-started and grant-ended events for bastions")
    public Multi<OutboundSseEvent> grantEvents(@HeaderParam("Last-Event-ID") String lastEventId, @QueryParam("after") String after,
                                               @Context Sse sse) {
        bastion.require("read grant events");
        String resumeFrom = lastEventId != null ? lastEventId : after;
        long start;
        if (resumeFrom == null || resumeFrom.isBlank()) {
            start = events.newestId();
        } else {
            try {
                start = Long.parseLong(resumeFrom.trim());
            } catch (NumberFormatException e) {
                throw new RefusedException(Refusal.invalid("bad_event_id", "after", "the last event id must be a number"));
            }
        }
        EventCursor cursor = new EventCursor(start, 10_000, System::currentTimeMillis);
        long heartbeatEvery = Math.max(1, Duration.ofSeconds(15).toMillis() / poll.toMillis());
        return Multi.createFrom().ticks().every(poll)
                .onOverflow().drop()
                .emitOn(Infrastructure.getDefaultWorkerPool())
                .onItem().transformToIterable(tick -> {
                    List<OutboundSseEvent> out = new ArrayList<>();
                    for (GrantEvent event : cursor.accept(events.after(cursor.readAfter(), BATCH))) {
                        out.add(sse.newEventBuilder().id(String.valueOf(event.id())).name(event.kind())
                                .mediaType(MediaType.APPLICATION_JSON_TYPE).data(GrantEvent.class, event).build());
                    }
                    if (out.isEmpty() && tick % heartbeatEvery == heartbeatEvery - 1) {
                        out.add(sse.newEventBuilder().comment("keep-alive").build());
                    }
                    return out;
                });
    }
}
