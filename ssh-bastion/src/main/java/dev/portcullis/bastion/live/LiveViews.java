package dev.portcullis.bastion.live;

import dev.portcullis.bastion.session.LiveSession;
import dev.portcullis.recording.SessionRecording;
import dev.portcullis.workflow.port.SessionStatus;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The live sessions of this bastion by session id, for what the broker asks about one session: stream it to its
 * watchers ({@link #watch}), end it alone ({@link #end}). A watched session's frames go to the broker every
 * {@code flushEvery}; with nothing to send, an empty batch still goes every second, because the broker's answer
 * (who watches now) is how the bastion learns that a watcher left.
 */
public final class LiveViews implements AutoCloseable {

    /** Sends one session's frames to the broker and returns who watches it now. */
    public interface Sink {
        List<String> send(UUID session, List<LiveView.Frame> frames) throws IOException;
    }

    private static final Logger LOG = Logger.getLogger(LiveViews.class.getName());
    private static final long HEARTBEAT_NANOS = Duration.ofSeconds(1).toNanos();

    private final Map<UUID, LiveView> views = new ConcurrentHashMap<>();
    private final Map<UUID, Long> lastSent = new ConcurrentHashMap<>();
    private final Clock clock;
    private volatile Sink sink;
    private final ScheduledExecutorService flusher;

    public LiveViews(Clock clock, Duration flushEvery) {
        this.clock = clock;
        this.flusher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "live-views");
            t.setDaemon(true);
            return t;
        });
        flusher.scheduleWithFixedDelay(
                this::flush, flushEvery.toMillis(), flushEvery.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Where frames go; without one (a bastion with no broker) nothing is streamed and watches are not honoured. */
    public LiveViews sendTo(Sink sink) {
        this.sink = sink;
        return this;
    }

    /** A session opened; it can now be watched and ended by id. */
    public LiveView opened(UUID session, LiveSession owner, SessionRecording recording, int columns, int rows) {
        LiveView view = new LiveView(session, owner, recording, clock, columns, rows);
        views.put(session, view);
        return view;
    }

    /** The session is closing: its watchers' stops are recorded before its recording closes. */
    public void closed(UUID session) {
        LiveView view = views.remove(session);
        lastSent.remove(session);
        if (view != null && view.watched()) {
            view.ended();
        }
    }

    /** The broker says {@code viewer} watches the session; ignored when it is not on this bastion. */
    public void watch(UUID session, String viewer) {
        LiveView view = views.get(session);
        if (view != null && sink != null) {
            LOG.info(() -> viewer + " watches session " + session);
            view.watch(viewer);
        }
    }

    /**
     * The broker says an admin ended the session: it closes, alone, telling the user {@code message}.
     *
     * @return whether the session is on this bastion
     */
    public boolean end(UUID session, String message) {
        LiveView view = views.get(session);
        if (view == null) {
            return false;
        }
        LOG.info(() -> "session " + session + " ended by an admin: " + message);
        view.owner.end(SessionStatus.TERMINATED, message);
        return true;
    }

    public int count() {
        return views.size();
    }

    private void flush() {
        Sink s = sink;
        if (s == null) {
            return;
        }
        for (LiveView view : views.values()) {
            if (!view.watched()) {
                continue;
            }
            List<LiveView.Frame> frames = view.drain();
            long now = System.nanoTime();
            Long last = lastSent.get(view.session);
            if (frames.isEmpty() && last != null && now - last < HEARTBEAT_NANOS) {
                continue;
            }
            try {
                List<String> watchers = s.send(view.session, frames);
                lastSent.put(view.session, now);
                if (views.containsKey(view.session)) {
                    view.watchersNow(watchers);
                }
            } catch (IOException | RuntimeException e) {
                // the frames are lost to the viewers (the recording has them); the next batch tries again
                LOG.warning("live frames of session " + view.session + " not sent: " + e.getMessage());
                lastSent.put(view.session, now);
            }
        }
    }

    @Override
    public void close() {
        flusher.shutdownNow();
    }
}
