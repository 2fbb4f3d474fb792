package dev.portcullis.bastion.session;

import dev.portcullis.bastion.live.LiveViews;
import dev.portcullis.workflow.grant.ActiveGrant;
import dev.portcullis.workflow.port.SessionStatus;
import java.time.Clock;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Every live session on this bastion, by the grant it runs under. A grant's sessions end when the broker says the
 * grant ended, and, whatever the broker says or fails to say, when the bastion's own timer reaches the grant's end:
 * a session never outlives its grant because the broker was unreachable.
 */
public final class LiveSessions implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(LiveSessions.class.getName());
    private static final int REMEMBERED_ENDS = 10_000;

    private final Clock clock;
    private final LiveViews views;
    private final ScheduledExecutorService timers;
    private final Map<UUID, Set<LiveSession>> byGrant = new ConcurrentHashMap<>();
    private final Map<UUID, ScheduledFuture<?>> timerByGrant = new ConcurrentHashMap<>();
    /** Sessions registered and not yet fully closed (recording sealed, end entered in the index). */
    private final Set<LiveSession> unsettled = ConcurrentHashMap.newKeySet();
    /** Grants the broker said ended, in case a session registers after the event (bounded, oldest forgotten). */
    private final Map<UUID, String> ended = Collections.synchronizedMap(new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<UUID, String> eldest) {
            return size() > REMEMBERED_ENDS;
        }
    });

    public LiveSessions(Clock clock) {
        this.clock = clock;
        this.views = new LiveViews(clock, Duration.ofMillis(50));
        this.timers = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "grant-end-timers");
            t.setDaemon(true);
            return t;
        });
    }

    /** Adds a session; ends it at once when its grant has already ended. */
    public void register(ActiveGrant grant, LiveSession session) {
        unsettled.add(session);
        byGrant.computeIfAbsent(grant.requestId(), id -> ConcurrentHashMap.newKeySet())
                .add(session);
        String endedWhy = ended.get(grant.requestId());
        if (endedWhy != null) {
            end(grant.requestId(), endedWhy);
            return;
        }
        timerByGrant.computeIfAbsent(grant.requestId(), id -> {
            long delay = Math.max(
                    0, Duration.between(clock.instant(), grant.endsAt()).toMillis());
            String message =
                    "your grant for " + grant.login() + "@" + grant.target().name() + " ended at " + grant.endsAt();
            return timers.schedule(() -> end(id, message), delay, TimeUnit.MILLISECONDS);
        });
    }

    public void unregister(UUID grant, LiveSession session) {
        Set<LiveSession> sessions = byGrant.get(grant);
        if (sessions != null) {
            sessions.remove(session);
        }
    }

    /** The session is closed for good: its recording is sealed and its end entered in the index (or given up on). */
    public void settled(LiveSession session) {
        unsettled.remove(session);
    }

    /**
     * A normal stop: ends every live session with {@code CLOSED} and the reason, and waits (at most {@code patience})
     * until each has sealed its recording and reported its end, so that none is left for the broker to call lost.
     * Returns how many were still unsettled when patience ran out.
     */
    public int endAllAndSettle(String message, Duration patience) {
        endAll(SessionStatus.CLOSED, message);
        long deadline = System.nanoTime() + patience.toNanos();
        while (!unsettled.isEmpty() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return unsettled.size();
    }

    /** The broker says the grant ended (expired, released, revoked). */
    public void grantEnded(UUID grant, String message) {
        ended.put(grant, message);
        end(grant, message);
    }

    /** Ends every live session (the bastion can no longer vouch for them), telling each user why. */
    public void endAll(SessionStatus status, String message) {
        for (UUID grant : Set.copyOf(byGrant.keySet())) {
            ScheduledFuture<?> timer = timerByGrant.remove(grant);
            if (timer != null) {
                timer.cancel(false);
            }
            Set<LiveSession> sessions = byGrant.remove(grant);
            for (LiveSession s : sessions == null ? Set.<LiveSession>of() : sessions) {
                try {
                    s.end(status, message);
                } catch (RuntimeException e) {
                    LOG.warning("could not end a session of grant " + grant + ": " + e);
                }
            }
        }
    }

    public int count() {
        return byGrant.values().stream().mapToInt(Set::size).sum();
    }

    /** The grants with at least one live session, for the periodic re-check with the broker. */
    public Set<UUID> grants() {
        Set<UUID> live = new java.util.HashSet<>();
        byGrant.forEach((grant, sessions) -> {
            if (!sessions.isEmpty()) {
                live.add(grant);
            }
        });
        return live;
    }

    public List<LiveSession> sessionsOf(UUID grant) {
        return List.copyOf(byGrant.getOrDefault(grant, Set.of()));
    }

    private void end(UUID grant, String message) {
        ScheduledFuture<?> timer = timerByGrant.remove(grant);
        if (timer != null) {
            timer.cancel(false);
        }
        Set<LiveSession> sessions = byGrant.remove(grant);
        if (sessions == null || sessions.isEmpty()) {
            return;
        }
        LOG.info(() -> "grant " + grant + " ended (" + message + "): closing " + sessions.size() + " session(s)");
        for (LiveSession s : sessions) {
            try {
                s.end(SessionStatus.GRANT_ENDED, message);
            } catch (RuntimeException e) {
                LOG.warning("could not end a session of grant " + grant + ": " + e);
            }
        }
    }

    /** The same sessions by id, for watching one and ending one. */
    public LiveViews views() {
        return views;
    }

    @Override
    public void close() {
        views.close();
        timers.shutdownNow();
    }
}
