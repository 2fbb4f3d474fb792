package dev.portcullis.broker.api;

import dev.portcullis.broker.events.EventCursor;
import dev.portcullis.broker.events.GrantEvent;
import dev.portcullis.broker.events.GrantEventLog;
import dev.portcullis.broker.events.GrantEventWakeups;
import dev.portcullis.workflow.request.Refusal;
import io.quarkus.security.Authenticated;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.infrastructure.Infrastructure;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * The API bastions use. Callers authenticate with a client-credentials token of the bastion service
 * client; there is no static shared secret.
 */
@Path("/internal/v1")
@Authenticated
@Tag(name = "Internal (bastions)")
public class InternalResource {

    private static final int BATCH = 500;
    /** How long a gap in the outbox ids may stay open before the resume point steps over it. */
    static final long SETTLE_MILLIS = 60_000;

    public static final String POSITION = "position";

    @Inject
    GrantEventLog events;

    @Inject
    GrantEventWakeups wakeups;

    @Inject
    BastionGuard bastion;

    @ConfigProperty(name = "portcullis.grant-events.poll", defaultValue = "PT0.1S")
    Duration poll;

    /**
     * Server-sent events, one per grant start or end. A bastion that reconnects sends the last SSE id it saw (the
     * standard {@code Last-Event-ID} header, or {@code ?after=}) and gets everything after it, so an event published
     * while it was away is not lost. Without either it starts from now.
     * <p>
     * The SSE {@code id} is a resume point, not the event's own id (that is in the data): outbox ids come from a
     * sequence and transactions commit out of id order, so an event is sent as soon as it is visible, but the id it
     * carries never passes a hole that may still fill (see {@link EventCursor}). A bastion that resumes from it gets
     * again whatever came after the hole (a repeated event is harmless: a grant ends once) and never misses the
     * late one. The first thing on every stream is a {@code position} event with the point the stream starts
     * from, and a {@code position} follows whenever the resume point moves without an event, so a bastion that has
     * seen no grant event yet still resumes from where it was, not from "now". A hole open longer than
     * {@link #SETTLE_MILLIS} is taken for a rolled-back insert; the bastions' periodic re-check of live grants
     * covers anything that could still slip through.
     */
    @GET
    @Path("/grant-events")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @Blocking
    @Operation(summary = "Stream of grant-started and grant-ended events for bastions")
    public Multi<OutboundSseEvent> grantEvents(
            @HeaderParam("Last-Event-ID") String lastEventId, @QueryParam("after") String after, @Context Sse sse) {
        bastion.require("read grant events");
        String resumeFrom = lastEventId != null ? lastEventId : after;
        long start;
        if (resumeFrom == null || resumeFrom.isBlank()) {
            start = events.newestId();
        } else {
            try {
                start = Long.parseLong(resumeFrom.trim());
            } catch (NumberFormatException e) {
                throw new RefusedException(
                        Refusal.invalid("bad_event_id", "after", "the last event id must be a number"));
            }
        }
        EventCursor cursor = new EventCursor(start, SETTLE_MILLIS, System::currentTimeMillis);
        AtomicLong announced = new AtomicLong(-1);
        long heartbeatEvery = Math.max(1, Duration.ofSeconds(15).toMillis() / poll.toMillis());
        // a read at every poll, and at once when an event committed on any replica (GrantEventWakeups); a wake-up
        // is -1, so only the polls count toward the keep-alive
        Multi<Long> reads = Multi.createBy()
                .merging()
                .streams(
                        Multi.createFrom().ticks().every(poll),
                        wakeups.stream().onOverflow().drop().map(w -> -1L));
        return reads.onOverflow()
                .drop()
                .emitOn(Infrastructure.getDefaultWorkerPool())
                .onItem()
                .transformToIterable(tick -> {
                    List<OutboundSseEvent> out = new ArrayList<>();
                    if (announced.get() < 0) {
                        out.add(position(sse, start));
                        announced.set(start);
                    }
                    List<GrantEvent> fresh = cursor.accept(events.after(cursor.readAfter(), BATCH));
                    long visible = cursor.readAfter();
                    for (GrantEvent event : fresh) {
                        long resume = Math.min(event.id(), visible);
                        out.add(sse.newEventBuilder()
                                .id(String.valueOf(resume))
                                .name(event.kind())
                                .mediaType(MediaType.APPLICATION_JSON_TYPE)
                                .data(GrantEvent.class, event)
                                .build());
                        announced.set(resume);
                    }
                    if (visible > announced.get()) {
                        out.add(position(sse, visible));
                        announced.set(visible);
                    }
                    if (out.isEmpty() && tick >= 0 && tick % heartbeatEvery == heartbeatEvery - 1) {
                        out.add(sse.newEventBuilder().comment("keep-alive").build());
                    }
                    return out;
                });
    }

    private static OutboundSseEvent position(Sse sse, long resumeFrom) {
        return sse.newEventBuilder()
                .id(String.valueOf(resumeFrom))
                .name(POSITION)
                .mediaType(MediaType.APPLICATION_JSON_TYPE)
                .data(Position.class, new Position(resumeFrom))
                .build();
    }

    /** The data of a {@code position} event: where a bastion resumes from (the same as its SSE id). */
    public record Position(long position) {}
}
