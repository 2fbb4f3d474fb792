package dev.portcullis.broker.live;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;

/**
 * The wire between a bastion and the viewers of its live sessions, in the database every broker replica shares: who
 * watches ({@code live_watch}, rows renewed while a viewer's stream is open) and what the bastion sent
 * ({@code live_frame}, deleted after {@link #KEPT_MINUTES} minutes). A viewer on one replica sees what a bastion
 * posted to another.
 */
@ApplicationScoped
public class LiveFrames {

    /** How long a watch counts without being renewed: a viewer whose replica died stops counting after this. */
    public static final int WATCH_SECONDS = 20;

    static final int KEPT_MINUTES = 5;

    /** One frame: {@code o} terminal output (or statements), {@code r} a terminal size {@code COLSxROWS}. */
    public record Frame(long id, Instant at, String kind, String data) {}

    @Inject
    EntityManager em;

    /** Enters a viewer; old frames and lapsed watches of every session go at the same time. */
    @Transactional
    public UUID startWatch(UUID session, String viewer) {
        em.createNativeQuery("delete from live_frame where created_at < now() - make_interval(mins => ?1)")
                .setParameter(1, KEPT_MINUTES)
                .executeUpdate();
        em.createNativeQuery("delete from live_watch where expires_at < now()").executeUpdate();
        UUID id = UUID.randomUUID();
        em.createNativeQuery("insert into live_watch (id, session_id, viewer, expires_at)"
                        + " values (?1, ?2, ?3, now() + make_interval(secs => ?4))")
                .setParameter(1, id)
                .setParameter(2, session)
                .setParameter(3, viewer)
                .setParameter(4, WATCH_SECONDS)
                .executeUpdate();
        return id;
    }

    @Transactional
    public void renewWatch(UUID watch) {
        em.createNativeQuery("update live_watch set expires_at = now() + make_interval(secs => ?2) where id = ?1")
                .setParameter(1, watch)
                .setParameter(2, WATCH_SECONDS)
                .executeUpdate();
    }

    @Transactional
    public void stopWatch(UUID watch) {
        em.createNativeQuery("delete from live_watch where id = ?1")
                .setParameter(1, watch)
                .executeUpdate();
    }

    /** Who watches the session now, each name once. */
    @Transactional
    @SuppressWarnings("unchecked")
    public List<String> watchers(UUID session) {
        return em.createNativeQuery(
                        "select distinct viewer from live_watch where session_id = ?1 and expires_at > now()"
                                + " order by viewer")
                .setParameter(1, session)
                .getResultList();
    }

    @Transactional
    public void append(UUID session, List<Frame> frames) {
        for (Frame f : frames) {
            em.createNativeQuery("insert into live_frame (session_id, at, kind, data) values (?1, ?2, ?3, ?4)")
                    .setParameter(1, session)
                    .setParameter(2, OffsetDateTime.ofInstant(f.at(), ZoneOffset.UTC))
                    .setParameter(3, f.kind())
                    .setParameter(4, f.data())
                    .executeUpdate();
        }
    }

    /** The session's frames after {@code afterId}, oldest first. */
    @Transactional
    @SuppressWarnings("unchecked")
    public List<Frame> after(UUID session, long afterId, int limit) {
        List<Object[]> rows = em.createNativeQuery("select id, at, kind, data from live_frame where session_id = ?1"
                        + " and id > ?2 order by id limit ?3")
                .setParameter(1, session)
                .setParameter(2, afterId)
                .setParameter(3, limit)
                .getResultList();
        return rows.stream()
                .map(r -> new Frame(
                        ((Number) r[0]).longValue(),
                        instant(r[1]),
                        String.valueOf(r[2]).trim(),
                        (String) r[3]))
                .toList();
    }

    /** Where a new viewer starts reading: after every frame there is, and the last terminal size sent, if any. */
    @Transactional
    @SuppressWarnings("unchecked")
    public Start start(UUID session) {
        long newest = ((Number)
                        em.createNativeQuery("select coalesce(max(id), 0) from live_frame where session_id = ?1")
                                .setParameter(1, session)
                                .getSingleResult())
                .longValue();
        List<String> size = em.createNativeQuery("select data from live_frame where session_id = ?1 and kind = 'r'"
                        + " order by id desc limit 1")
                .setParameter(1, session)
                .getResultList();
        return new Start(newest, size.isEmpty() ? null : size.get(0));
    }

    public record Start(long afterId, String size) {}

    private static Instant instant(Object value) {
        if (value instanceof Instant i) return i;
        if (value instanceof OffsetDateTime o) return o.toInstant();
        if (value instanceof java.sql.Timestamp t) return t.toInstant();
        throw new IllegalStateException("unexpected timestamp type " + value.getClass());
    }
}
