package dev.portcullis.broker.persistence;

import dev.portcullis.workflow.port.AuditEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * Legal holds in PostgreSQL ({@code legal_hold}, V14), each placed and released with its audit row in the same
 * transaction. A hold names one session or a ticket: a ticket hold covers every session under a grant requested with
 * that ticket, those recorded later too. Placing a hold and the retention job's tombstone take the same advisory lock,
 * so a recording is never deleted by a job that started before a hold on it committed.
 */
@ApplicationScoped
public class LegalHolds {

    /** The advisory lock that orders hold placements against tombstones ({@link RetentionLedger}). */
    static final long LOCK = 0x706f7274686f6c64L; // "porthold"

    public static final String SESSION = "session";
    public static final String TICKET = "ticket";

    @Inject
    EntityManager em;

    @Inject
    HashChainedAuditLog auditLog;

    @Inject
    Clock clock;

    /** One hold; {@code session} or {@code ticket} is set, never both; released ones keep who released them and why. */
    public record Hold(
            UUID id,
            UUID session,
            String ticket,
            String reason,
            String placedBy,
            Instant placedAt,
            String releasedBy,
            Instant releasedAt,
            String releaseReason) {
        public boolean live() {
            return releasedAt == null;
        }
    }

    public enum Released {
        RELEASED,
        ALREADY_RELEASED,
        UNKNOWN
    }

    /**
     * Places a hold on a session (which must exist) or a ticket.
     *
     * @return the new hold, or empty when the same session or ticket is held already
     */
    @Transactional
    public Optional<Hold> place(UUID session, String ticket, String reason, String by) {
        em.createNativeQuery("select pg_advisory_xact_lock(?1)")
                .setParameter(1, LOCK)
                .getSingleResult();
        UUID id = UUID.randomUUID();
        Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
        int inserted = em.createNativeQuery(
                        "insert into legal_hold (id, session_id, ticket, reason, placed_by, placed_at) "
                                + "select ?1, cast(?2 as uuid), ?3, ?4, ?5, cast(?6 as timestamptz) where not exists (select 1 "
                                + "from legal_hold where released_at is null and (session_id = cast(?2 as uuid) or ticket = ?3))")
                .setParameter(1, id)
                .setParameter(2, session == null ? null : session.toString())
                .setParameter(3, ticket)
                .setParameter(4, reason)
                .setParameter(5, by)
                .setParameter(6, now.toString())
                .executeUpdate();
        if (inserted == 0) {
            return Optional.empty();
        }
        Map<String, String> details = new HashMap<>();
        details.put("hold", id.toString());
        details.put("reason", reason);
        auditLog.append(new AuditEvent(
                now,
                by,
                "legal_hold.placed",
                session != null ? SESSION : TICKET,
                session != null ? session.toString() : ticket,
                details));
        return Optional.of(new Hold(id, session, ticket, reason, by, now, null, null, null));
    }

    @Transactional
    public Released release(UUID id, String reason, String by) {
        List<?> rows = em.createNativeQuery(
                        "select session_id, ticket, released_at from legal_hold where id = ?1 " + "for update")
                .setParameter(1, id)
                .getResultList();
        if (rows.isEmpty()) {
            return Released.UNKNOWN;
        }
        Object[] row = (Object[]) rows.get(0);
        if (row[2] != null) {
            return Released.ALREADY_RELEASED;
        }
        Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
        em.createNativeQuery("update legal_hold set released_by = ?2, released_at = cast(?3 as timestamptz), "
                        + "release_reason = ?4 where id = ?1")
                .setParameter(1, id)
                .setParameter(2, by)
                .setParameter(3, now.toString())
                .setParameter(4, reason)
                .executeUpdate();
        Map<String, String> details = new HashMap<>();
        details.put("hold", id.toString());
        details.put("reason", reason);
        boolean onSession = row[0] != null;
        auditLog.append(new AuditEvent(
                now,
                by,
                "legal_hold.released",
                onSession ? SESSION : TICKET,
                onSession ? row[0].toString() : (String) row[1],
                details));
        return Released.RELEASED;
    }

    @Transactional
    public Optional<Hold> find(UUID id) {
        return holds("where id = ?1", id).stream().findFirst();
    }

    /** Live holds, newest first. */
    @Transactional
    public List<Hold> live(int limit) {
        return holds("where released_at is null order by placed_at desc limit " + Math.max(1, limit), null);
    }

    /** Every hold, live or released, on this session or on its grant's ticket; newest first. */
    @Transactional
    public List<Hold> covering(UUID session) {
        return holds(
                "where session_id = ?1 or ticket = (select r.ticket from bastion_session s join access_request r "
                        + "on r.id = s.request_id where s.id = ?1) order by placed_at desc",
                session);
    }

    /** Which of these sessions a live hold covers. */
    @Transactional
    public Set<UUID> held(Collection<UUID> sessions) {
        if (sessions.isEmpty()) {
            return Set.of();
        }
        List<?> rows = em.createNativeQuery("select s.id from bastion_session s left join access_request r "
                        + "on r.id = s.request_id where s.id in (?1) and exists (select 1 from legal_hold h "
                        + "where h.released_at is null and (h.session_id = s.id or h.ticket = r.ticket))")
                .setParameter(1, sessions)
                .getResultList();
        Set<UUID> held = new HashSet<>();
        rows.forEach(r -> held.add((UUID) r));
        return held;
    }

    private List<Hold> holds(String where, Object parameter) {
        var query = em.createNativeQuery("select id, session_id, ticket, reason, placed_by, placed_at, released_by, "
                + "released_at, release_reason from legal_hold " + where);
        if (parameter != null) {
            query.setParameter(1, parameter);
        }
        return ((List<?>) query.getResultList())
                .stream()
                        .map(o -> (Object[]) o)
                        .map(r -> new Hold(
                                (UUID) r[0],
                                (UUID) r[1],
                                (String) r[2],
                                (String) r[3],
                                (String) r[4],
                                instant(r[5]),
                                (String) r[6],
                                instant(r[7]),
                                (String) r[8]))
                        .toList();
    }

    static Instant instant(Object value) {
        if (value == null) {
            return null;
        }
        if (value instanceof Instant i) {
            return i;
        }
        if (value instanceof java.time.OffsetDateTime o) {
            return o.toInstant();
        }
        if (value instanceof java.sql.Timestamp t) {
            return t.toInstant();
        }
        throw new IllegalStateException("not a time: " + value.getClass());
    }
}
