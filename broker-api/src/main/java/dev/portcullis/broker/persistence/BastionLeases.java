package dev.portcullis.broker.persistence;

import dev.portcullis.workflow.port.AuditEvent;
import dev.portcullis.workflow.port.SessionStatus;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The leases bastion processes renew, and what happens to their sessions when one ends: a session still OPEN under a
 * lease that lapsed (or that its bastion ended, or replaced at a restart) has nobody left to report its end, so it is
 * marked ABORTED with the time and why, in the same transaction as its audit row. Leases are rows locked with
 * {@code for update skip locked}, so with several broker replicas sweeping, each lapsed lease is handled by one.
 */
@ApplicationScoped
public class BastionLeases {

    public static final String ABORTED = SessionStatus.ABORTED.name();
    private static final int BATCH = 100;

    @Inject
    EntityManager em;

    @Inject
    HashChainedAuditLog auditLog;

    @Inject
    Clock clock;

    public enum Renewal {
        RENEWED,
        STARTED,
        NOT_YOURS,
        ENDED
    }

    /** A lease as its bastion sees it. */
    public record Lease(UUID instance, Renewal renewal, Instant expiresAt, int abortedLeftovers) {}

    /**
     * Takes or renews {@code instance}'s lease for {@code ttl}. A new lease that names the instance the same client ran
     * before ({@code previous}, from the bastion's state directory) ends that one first: its sessions were left behind
     * by a restart.
     */
    @Transactional
    public Lease renew(UUID instance, String bastion, String clientId, UUID previous, Duration ttl) {
        Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
        Instant expires = now.plus(ttl);
        @SuppressWarnings("unchecked")
        List<Object[]> rows = em.createNativeQuery(
                        "select client_id, ended_at from bastion_lease where instance_id = ?1 for update")
                .setParameter(1, instance)
                .getResultList();
        if (!rows.isEmpty()) {
            if (!clientId.equals(rows.get(0)[0])) {
                return new Lease(instance, Renewal.NOT_YOURS, null, 0);
            }
            if (rows.get(0)[1] != null) {
                return new Lease(instance, Renewal.ENDED, null, 0);
            }
            em.createNativeQuery("update bastion_lease set renewed_at = ?2, expires_at = ?3 where instance_id = ?1")
                    .setParameter(1, instance)
                    .setParameter(2, now)
                    .setParameter(3, expires)
                    .executeUpdate();
            return new Lease(instance, Renewal.RENEWED, expires, 0);
        }
        int aborted = 0;
        if (previous != null && !previous.equals(instance)) {
            aborted = endIfOwned(
                    previous,
                    clientId,
                    "restarted",
                    bastion + " restarted (new instance " + instance + ") without reporting the end of this session");
        }
        em.createNativeQuery(
                        "insert into bastion_lease (instance_id, bastion, client_id, started_at, renewed_at, expires_at) "
                                + "values (?1, ?2, ?3, ?4, ?4, ?5)")
                .setParameter(1, instance)
                .setParameter(2, bastion)
                .setParameter(3, clientId)
                .setParameter(4, now)
                .setParameter(5, expires)
                .executeUpdate();
        Map<String, String> details = new HashMap<>();
        details.put("bastion", bastion);
        details.put("client", clientId);
        if (previous != null) {
            details.put("previousInstance", previous.toString());
        }
        auditLog.append(
                new AuditEvent(now, clientId, "bastion.lease.started", "bastion", instance.toString(), details));
        return new Lease(instance, Renewal.STARTED, expires, aborted);
    }

    /**
     * A bastion stops and says goodbye: its lease ends, and any session whose end it could not report is aborted.
     *
     * @return how many sessions were aborted, or -1 when the lease is not this client's
     */
    @Transactional
    public int end(UUID instance, String clientId) {
        @SuppressWarnings("unchecked")
        List<Object> owner = em.createNativeQuery(
                        "select client_id from bastion_lease where instance_id = ?1 for update")
                .setParameter(1, instance)
                .getResultList();
        if (owner.isEmpty() || !clientId.equals(owner.get(0))) {
            return -1;
        }
        return endIfOwned(
                instance, clientId, "stopped", "the bastion stopped without reporting the end of this session");
    }

    /** Whether sessions may be registered under {@code instance} by {@code clientId}: its lease is live and its own. */
    @Transactional
    public boolean isLive(UUID instance, String clientId) {
        return ((Number) em.createNativeQuery(
                                        "select count(*) from bastion_lease where instance_id = ?1 and client_id = ?2 "
                                                + "and ended_at is null and expires_at > ?3")
                                .setParameter(1, instance)
                                .setParameter(2, clientId)
                                .setParameter(3, clock.instant())
                                .getSingleResult())
                        .intValue()
                == 1;
    }

    /** How many leases are live now. */
    @Transactional
    public long live() {
        return ((Number) em.createNativeQuery(
                                "select count(*) from bastion_lease where ended_at is null and expires_at > ?1")
                        .setParameter(1, clock.instant())
                        .getSingleResult())
                .longValue();
    }

    /**
     * Ends the leases that lapsed, a batch at a time, skipping those another broker is ending now.
     *
     * @return how many sessions were aborted
     */
    @Transactional
    public int endLapsed() {
        Instant now = clock.instant();
        @SuppressWarnings("unchecked")
        List<Object[]> lapsed = em.createNativeQuery(
                        "select instance_id, bastion, client_id, renewed_at from bastion_lease "
                                + "where ended_at is null and expires_at <= ?1 order by expires_at limit " + BATCH
                                + " for update skip locked")
                .setParameter(1, now)
                .getResultList();
        int aborted = 0;
        for (Object[] lease : lapsed) {
            Instant renewed = lease[3] instanceof Timestamp t ? t.toInstant() : (Instant) lease[3];
            aborted += endLease(
                    (UUID) lease[0],
                    (String) lease[2],
                    "lapsed",
                    lease[1] + " stopped renewing its lease" + " (last renewed " + renewed + "): bastion lost");
        }
        return aborted;
    }

    private int endIfOwned(UUID instance, String clientId, String reason, String why) {
        @SuppressWarnings("unchecked")
        List<Object> owner = em.createNativeQuery(
                        "select client_id from bastion_lease where instance_id = ?1 for update")
                .setParameter(1, instance)
                .getResultList();
        if (owner.isEmpty() || !clientId.equals(owner.get(0))) {
            return 0; // another client's instance (or a forged id): never end what is not the caller's
        }
        return endLease(instance, clientId, reason, why);
    }

    private int endLease(UUID instance, String clientId, String reason, String why) {
        Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
        em.createNativeQuery(
                        "update bastion_lease set ended_at = ?2, end_reason = ?3 where instance_id = ?1 and ended_at is null")
                .setParameter(1, instance)
                .setParameter(2, now)
                .setParameter(3, reason)
                .executeUpdate();
        List<BastionSessionEntity> open = em.createQuery(
                        "from BastionSessionEntity s where s.bastionInstance = :instance " + "and s.status = :open",
                        BastionSessionEntity.class)
                .setParameter("instance", instance)
                .setParameter("open", JpaSessionIndex.OPEN)
                .setLockMode(jakarta.persistence.LockModeType.PESSIMISTIC_WRITE)
                .getResultList();
        String detail = "bastion lost: " + why;
        for (BastionSessionEntity row : open) {
            row.endedAt = now;
            row.status = ABORTED;
            row.detail = detail.length() <= JpaSessionIndex.MAX_DETAIL
                    ? detail
                    : detail.substring(0, JpaSessionIndex.MAX_DETAIL);
            Map<String, String> details = new HashMap<>();
            details.put("status", ABORTED);
            details.put("target", row.target);
            details.put("login", row.login);
            details.put("bastionInstance", instance.toString());
            details.put("detail", row.detail);
            auditLog.append(
                    new AuditEvent(now, row.username, "session.aborted", "session", row.id.toString(), details));
        }
        Map<String, String> details = new HashMap<>();
        details.put("reason", reason);
        details.put("abortedSessions", String.valueOf(open.size()));
        auditLog.append(new AuditEvent(now, clientId, "bastion.lease.ended", "bastion", instance.toString(), details));
        return open.size();
    }
}
