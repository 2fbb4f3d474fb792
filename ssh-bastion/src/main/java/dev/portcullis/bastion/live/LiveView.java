package dev.portcullis.bastion.live;

import dev.portcullis.bastion.session.LiveSession;
import dev.portcullis.recording.RecordingFailedException;
import dev.portcullis.recording.SessionRecording;
import dev.portcullis.recording.Utf8StreamDecoder;
import dev.portcullis.recording.event.WatchEvent;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.logging.Logger;

/**
 * One live session as its watchers see it: while nobody watches, output costs one volatile read; while someone does,
 * output is decoded to text and queued for {@link LiveViews} to send to the broker. Each watcher's start and stop is
 * recorded in the session's own recording.
 */
public final class LiveView {

    /** One piece of what the watchers see: {@code o} output text, {@code r} a terminal size {@code COLSxROWS}. */
    public record Frame(Instant at, String kind, String data) {}

    /** Queued text beyond this is dropped (a stalled broker must not grow the bastion's heap); the viewer sees a gap. */
    static final int MAX_QUEUED_CHARS = 1 << 20;

    private static final Logger LOG = Logger.getLogger(LiveView.class.getName());

    final UUID session;
    final LiveSession owner;
    private final SessionRecording recording;
    private final Clock clock;
    private final Set<String> watchers = new TreeSet<>();
    private final List<Frame> queued = new ArrayList<>();
    private volatile boolean watched;
    private int queuedChars;
    private boolean dropped;
    private Utf8StreamDecoder decoder;
    private String size;

    LiveView(UUID session, LiveSession owner, SessionRecording recording, Clock clock, int columns, int rows) {
        this.session = session;
        this.owner = owner;
        this.recording = recording;
        this.clock = clock;
        this.size = columns + "x" + rows;
    }

    public boolean watched() {
        return watched;
    }

    /** Bytes the user's terminal showed (stdout or stderr). */
    public void output(byte[] data, int offset, int length) {
        if (!watched) {
            return;
        }
        synchronized (this) {
            if (decoder == null) {
                return;
            }
            if (queuedChars + length > MAX_QUEUED_CHARS) {
                // dropped anyway (see queue): a bulk transfer a viewer cannot keep up with is not decoded at all
                dropped = true;
                return;
            }
            queue("o", new String(decoder.decode(data, offset, length), StandardCharsets.UTF_8));
        }
    }

    /** Text to show as it is (a database session's statements). */
    public void text(String text) {
        if (watched) {
            synchronized (this) {
                queue("o", text);
            }
        }
    }

    public synchronized void resized(int columns, int rows) {
        size = columns + "x" + rows;
        if (watched) {
            queue("r", size);
        }
    }

    /** A viewer begins watching: recorded, and the stream starts with the terminal's size. */
    synchronized void watch(String viewer) {
        if (!watchers.add(viewer)) {
            return;
        }
        record(new WatchEvent(WatchEvent.Action.STARTED, viewer));
        if (!watched) {
            decoder = new Utf8StreamDecoder();
            queue("r", size);
            watched = true;
        }
    }

    /** The broker says who watches now: those gone are recorded as stopped, those new as started. */
    synchronized void watchersNow(Collection<String> now) {
        for (String gone : List.copyOf(watchers)) {
            if (!now.contains(gone)) {
                watchers.remove(gone);
                record(new WatchEvent(WatchEvent.Action.STOPPED, gone));
            }
        }
        for (String viewer : now) {
            watch(viewer);
        }
        if (watchers.isEmpty()) {
            watched = false;
            decoder = null;
            queued.clear();
            queuedChars = 0;
        }
    }

    /** The session ended while watched: every watcher's watch stops with it. */
    synchronized void ended() {
        watchersNow(List.of());
    }

    synchronized List<Frame> drain() {
        List<Frame> out = List.copyOf(queued);
        queued.clear();
        queuedChars = 0;
        if (dropped) {
            dropped = false;
            LOG.warning("live view of session " + session + ": output dropped, the broker took it too slowly");
        }
        return out;
    }

    private void queue(String kind, String data) {
        if (data.isEmpty()) {
            return;
        }
        if (queuedChars + data.length() > MAX_QUEUED_CHARS) {
            dropped = true;
            return;
        }
        queuedChars += data.length();
        queued.add(new Frame(clock.instant(), kind, data));
    }

    private void record(WatchEvent event) {
        try {
            recording.events().record(event);
        } catch (RecordingFailedException | RuntimeException e) {
            // the recording's own failure listener ends the session; nothing more to do here
            LOG.warning("watch event not recorded for session " + session + ": " + e.getMessage());
        }
    }
}
