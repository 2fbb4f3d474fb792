package dev.portcullis.broker.persistence;

import dev.portcullis.workflow.port.AuditEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * What the retention job reads and writes in PostgreSQL: the sessions whose recorded retention has run out, the signed
 * tombstone (audit row and {@code recording_purge} row in one transaction, under the legal-hold lock, so a hold that
 * committed first always wins), and the end of each deletion.
 */
@ApplicationScoped
public class RetentionLedger {

    @Inject
    EntityManager em;

    @Inject
    HashChainedAuditLog auditLog;

    @Inject
    RecordingTombstones tombstones;

    /**
     * A session whose recording the recorded retention allows to delete.
     *
     * @param registeredAt when the broker registered the session (its retention counts from then)
     */
    public record Due(
            UUID session,
            String recordingId,
            String rule,
            int retentionDays,
            Instant retainUntil,
            Instant registeredAt) {}

    /** A recording tombstoned whose chunks are not yet known to be deleted. */
    public record Unfinished(UUID session, String recordingId) {}

    /** A session that is no longer open, has a recording, is past its retention (and as long past its end), is not held
     * and has no tombstone; the next after {@code (afterUntil, afterId)}, oldest retention first. */
    private static final String DUE = "select s.id, s.recording_id, s.retention_rule, s.retention_days, s.retain_until "
            + "from bastion_session s left join access_request r on r.id = s.request_id "
            + "where s.retain_until <= cast(?1 as timestamptz) and s.status <> 'OPEN' and s.recording_id is not null "
            + "and (s.ended_at is null or s.ended_at + make_interval(days => s.retention_days) <= cast(?1 as timestamptz)) "
            + "and not exists (select 1 from recording_purge p where p.session_id = s.id) "
            + "and not exists (select 1 from legal_hold h where h.released_at is null "
            + "    and (h.session_id = s.id or h.ticket = r.ticket)) "
            + "and (s.retain_until, s.id) > (cast(?2 as timestamptz), cast(?3 as uuid)) "
            + "order by s.retain_until, s.id limit ?4";

    @Transactional
    public List<Due> due(Instant now, Instant afterUntil, UUID afterId, int limit) {
        List<?> rows = em.createNativeQuery(DUE)
                .setParameter(1, now.toString())
                .setParameter(2, afterUntil.toString())
                .setParameter(3, afterId.toString())
                .setParameter(4, limit)
                .getResultList();
        return rows.stream()
                .map(o -> (Object[]) o)
                .map(r -> {
                    int days = ((Number) r[3]).intValue();
                    Instant until = LegalHolds.instant(r[4]);
                    return new Due(
                            (UUID) r[0], (String) r[1], (String) r[2], days, until, until.minus(days, ChronoUnit.DAYS));
                })
                .toList();
    }

    /**
     * Appends the signed tombstone and the bookkeeping row, unless a legal hold covers the session now or another
     * broker tombstoned it first.
     *
     * @return whether this call tombstoned it (then, and only then, the caller deletes the chunks)
     */
    @Transactional
    public boolean tombstone(Due due, RecordingTombstones.Tombstone tombstone, int retentionDays) {
        em.createNativeQuery("select pg_advisory_xact_lock(?1)")
                .setParameter(1, LegalHolds.LOCK)
                .getSingleResult();
        int inserted = em.createNativeQuery("insert into recording_purge (session_id, recording_id, rule, "
                        + "retention_days, tombstoned_at) select s.id, s.recording_id, ?2, ?3, cast(?4 as timestamptz) "
                        + "from bastion_session s left join access_request r on r.id = s.request_id where s.id = ?1 "
                        + "and not exists (select 1 from legal_hold h where h.released_at is null "
                        + "    and (h.session_id = s.id or h.ticket = r.ticket)) "
                        + "on conflict (session_id) do nothing")
                .setParameter(1, due.session())
                .setParameter(2, due.rule())
                .setParameter(3, retentionDays)
                .setParameter(4, tombstone.deletedAt().toString())
                .executeUpdate();
        if (inserted == 0) {
            return false;
        }
        auditLog.append(new AuditEvent(
                tombstone.deletedAt(),
                RecordingTombstones.ACTOR,
                RecordingTombstones.ACTION,
                "session",
                due.session().toString(),
                tombstones.details(tombstone)));
        return true;
    }

    /**
     * The recording's payload is gone: so are its search entries (what was deleted by policy is not to be found by a
     * search either), and its stored verdict is due for a check, which finds it DELETED_BY_POLICY.
     */
    @Transactional
    public void chunksDeleted(UUID session, Instant at) {
        em.createNativeQuery("update recording_purge set chunks_deleted_at = cast(?2 as timestamptz) "
                        + "where session_id = ?1 and chunks_deleted_at is null")
                .setParameter(1, session)
                .setParameter(2, at.truncatedTo(ChronoUnit.MICROS).toString())
                .executeUpdate();
        em.createNativeQuery("delete from search_entry where session_id = ?1")
                .setParameter(1, session)
                .executeUpdate();
        em.createNativeQuery("update recording_verdict set check_due = now() where session_id = ?1")
                .setParameter(1, session)
                .executeUpdate();
    }

    /** Tombstoned recordings whose chunk deletion did not finish (the store failed, or the broker stopped). */
    @Transactional
    public List<Unfinished> unfinished(int limit) {
        List<?> rows = em.createNativeQuery("select session_id, recording_id from recording_purge "
                        + "where chunks_deleted_at is null order by tombstoned_at limit ?1")
                .setParameter(1, limit)
                .getResultList();
        return rows.stream()
                .map(o -> (Object[]) o)
                .map(r -> new Unfinished((UUID) r[0], (String) r[1]))
                .toList();
    }

    /** When the payload of each of these sessions' recordings was deleted by policy (tombstoned), if it was. */
    @Transactional
    public Map<UUID, Instant> deletedAt(Collection<UUID> sessions) {
        Map<UUID, Instant> deleted = new HashMap<>();
        if (sessions.isEmpty()) {
            return deleted;
        }
        List<?> rows = em.createNativeQuery(
                        "select session_id, tombstoned_at from recording_purge " + "where session_id in (?1)")
                .setParameter(1, sessions)
                .getResultList();
        rows.stream().map(o -> (Object[]) o).forEach(r -> deleted.put((UUID) r[0], LegalHolds.instant(r[1])));
        return deleted;
    }
}
