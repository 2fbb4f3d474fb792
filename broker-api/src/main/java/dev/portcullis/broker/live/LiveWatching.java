package dev.portcullis.broker.live;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portcullis.broker.events.GrantEvent;
import dev.portcullis.broker.events.GrantEventLog;
import dev.portcullis.broker.persistence.IndexedSession;
import dev.portcullis.broker.persistence.JpaSessionIndex;
import dev.portcullis.workflow.port.AuditEvent;
import dev.portcullis.workflow.port.AuditSink;
import dev.portcullis.workflow.request.Refusal;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Watching a live session: who may (an auditor or admin, asked of Keycloak now, not the token), and the stream a
 * viewer gets, in the shape asciinema-player's {@code eventsource} driver reads: a reset with the terminal size
 * (again at each resize), then {@code [seconds, "o", text]} output timed from the session's start, and a
 * {@code done} event when the session ends. Opening the stream enters the viewer in {@code live_watch}
 * and tells the bastions through the grant-event stream; the bastion records the start in the session's recording
 * and streams until it sees no viewer left. Starts and stops are audited here.
 */
@ApplicationScoped
public class LiveWatching {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int BATCH = 500;

    @Inject
    JpaSessionIndex sessions;

    @Inject
    LiveFrames frames;

    @Inject
    GrantEventLog events;

    @Inject
    PeopleInCharge people;

    @Inject
    AuditSink audit;

    @Inject
    Clock clock;

    @ConfigProperty(name = "portcullis.live.poll", defaultValue = "PT0.1S")
    Duration poll;

    /**
     * The session, when {@code viewer} may watch it now: an enabled auditor or admin, a session that exists and is
     * open. Every refusal is audited.
     */
    public IndexedSession check(UUID id, String viewer, Function<Refusal, RuntimeException> refuse) {
        if (!people.isAuditor(viewer)) {
            refused(id, viewer, "not an auditor or admin");
            throw refuse.apply(Refusal.forbidden(
                    "missing_group",
                    "watching live sessions is for members of /auditors or /admins; " + viewer + " is neither"));
        }
        IndexedSession session = sessions.find(id).orElse(null);
        if (session == null) {
            throw refuse.apply(Refusal.notFound("no_such_session", "there is no session " + id));
        }
        if (!session.isOpen() || session.requestId() == null) {
            throw refuse.apply(Refusal.conflict(
                    "session_not_live",
                    "session " + id + " is not live (" + session.status() + "); replay its recording instead"));
        }
        return session;
    }

    private void refused(UUID id, String viewer, String why) {
        audit.append(new AuditEvent(
                clock.instant(), viewer, "session.watch.refused", "session", id.toString(), Map.of("reason", why)));
    }

    /**
     * Starts the watch now (call it on a worker thread: it writes the database) and returns the viewer's stream,
     * which stops the watch when it ends, however it ends.
     */
    public Multi<OutboundSseEvent> stream(IndexedSession session, String viewer, Sse sse) {
        LiveFrames.Start start = frames.start(session.id());
        UUID watch = frames.startWatch(session.id(), viewer);
        audit.append(new AuditEvent(
                clock.instant(),
                viewer,
                "session.watch.started",
                "session",
                session.id().toString(),
                Map.of("user", session.username(), "target", session.target())));
        events.instruct(
                GrantEvent.WATCH,
                session.id(),
                session.requestId(),
                session.username(),
                session.target(),
                session.login(),
                viewer);
        return Multi.createFrom().deferred(() -> {
            AtomicBoolean stopped = new AtomicBoolean();
            AtomicLong cursor = new AtomicLong(start.afterId());
            long renewEvery =
                    Math.max(1, Duration.ofSeconds(LiveFrames.WATCH_SECONDS / 4).toMillis() / poll.toMillis());
            long checkEvery = Math.max(1, Duration.ofSeconds(1).toMillis() / poll.toMillis());
            OutboundSseEvent done =
                    sse.newEventBuilder().name("done").data("{}").build();
            // never sent: it ends the stream right after done
            OutboundSseEvent end = sse.newEventBuilder().comment("end").build();
            int[] size = size(start.size());
            OutboundSseEvent reset = message(
                    sse,
                    Map.of("cols", size[0], "rows", size[1], "time", seconds(session.startedAt(), clock.instant())));
            return Multi.createFrom()
                    .ticks()
                    .every(poll)
                    .onOverflow()
                    .drop()
                    .emitOn(Infrastructure.getDefaultWorkerPool())
                    .onItem()
                    .transformToIterable(tick -> {
                        List<OutboundSseEvent> out = new ArrayList<>();
                        if (tick == 0) {
                            out.add(reset);
                        }
                        for (LiveFrames.Frame f : frames.after(session.id(), cursor.get(), BATCH)) {
                            cursor.set(f.id());
                            double at = seconds(session.startedAt(), f.at());
                            if ("r".equals(f.kind())) {
                                // the eventsource driver takes a size only as a reset (which clears the screen;
                                // a program redraws on a resize anyway)
                                int[] s = size(f.data());
                                out.add(message(sse, Map.of("cols", s[0], "rows", s[1], "time", at)));
                            } else {
                                out.add(message(sse, List.of(at, f.kind(), f.data())));
                            }
                        }
                        if (tick % renewEvery == renewEvery - 1) {
                            frames.renewWatch(watch);
                        }
                        if (tick % checkEvery == checkEvery - 1
                                && sessions.find(session.id())
                                        .map(s -> !s.isOpen())
                                        .orElse(true)) {
                            out.add(done);
                            out.add(end);
                        } else if (out.isEmpty() && tick % (15 * checkEvery) == 15 * checkEvery - 1) {
                            out.add(sse.newEventBuilder().comment("keep-alive").build());
                        }
                        return out;
                    })
                    .select()
                    .first(event -> event != end)
                    .onTermination()
                    .invoke(() -> {
                        if (stopped.compareAndSet(false, true)) {
                            stop(session, viewer, watch);
                        }
                    });
        });
    }

    private void stop(IndexedSession session, String viewer, UUID watch) {
        // on a worker thread: the termination may come on an I/O thread, which must not block on the database
        Infrastructure.getDefaultWorkerPool().execute(() -> {
            frames.stopWatch(watch);
            audit.append(new AuditEvent(
                    clock.instant(),
                    viewer,
                    "session.watch.stopped",
                    "session",
                    session.id().toString(),
                    Map.of("user", session.username(), "target", session.target())));
        });
    }

    private static OutboundSseEvent message(Sse sse, Object data) {
        try {
            return sse.newEventBuilder().data(JSON.writeValueAsString(data)).build();
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static double seconds(Instant from, Instant to) {
        return Math.max(0, Duration.between(from, to).toNanos() / 1_000_000) / 1000.0;
    }

    /** {@code COLSxROWS} as two numbers; 80x24 when there is none yet. */
    static int[] size(String text) {
        if (text != null) {
            int x = text.indexOf('x');
            try {
                return new int[] {Integer.parseInt(text.substring(0, x)), Integer.parseInt(text.substring(x + 1))};
            } catch (RuntimeException e) {
                // fall through: the bastion sent an odd size, the default serves
            }
        }
        return new int[] {80, 24};
    }
}
