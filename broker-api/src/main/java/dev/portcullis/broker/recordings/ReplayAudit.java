package dev.portcullis.broker.recordings;

import dev.portcullis.broker.persistence.IndexedSession;
import dev.portcullis.workflow.port.AuditEvent;
import dev.portcullis.workflow.port.AuditSink;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Audits replays: every opening of the replay page, and reads by time range. A replay reads a recording in many
 * ranges, so range reads are audited once per person, session and {@link #WINDOW}: the audit log says who watched
 * which session when, without a row for each range the player fetched. Kept per broker replica, bounded.
 */
@ApplicationScoped
public class ReplayAudit {

    static final Duration WINDOW = Duration.ofMinutes(15);
    private static final int REMEMBERED = 10_000;

    @Inject
    AuditSink audit;

    @Inject
    Clock clock;

    private final Map<String, Instant> lastAudited = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Instant> eldest) {
            return size() > REMEMBERED;
        }
    };

    /** The replay page was opened: always a row. */
    public void replayed(String viewer, IndexedSession session) {
        append(viewer, session, "page");
    }

    /** Part of the recording was read by time range: a row unless this person replayed it within the window. */
    public void rangeRead(String viewer, IndexedSession session, String via) {
        Instant now = clock.instant();
        synchronized (lastAudited) {
            Instant last = lastAudited.get(key(viewer, session));
            if (last != null && last.plus(WINDOW).isAfter(now)) {
                return;
            }
        }
        append(viewer, session, via);
    }

    private void append(String viewer, IndexedSession session, String via) {
        Instant now = clock.instant();
        audit.append(new AuditEvent(
                now,
                viewer,
                "recording.replayed",
                "session",
                session.id().toString(),
                Map.of(
                        "recording",
                        session.recordingId(),
                        "user",
                        session.username(),
                        "target",
                        session.target(),
                        "via",
                        via)));
        synchronized (lastAudited) {
            lastAudited.put(key(viewer, session), now);
        }
    }

    private static String key(String viewer, IndexedSession session) {
        return viewer + "\n" + session.id();
    }
}
