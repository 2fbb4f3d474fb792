package dev.portcullis.broker.persistence;

import dev.portcullis.broker.notify.NotificationEvent;
import dev.portcullis.broker.notify.OutboxNotifier;
import dev.portcullis.workflow.policy.AccessRule;
import dev.portcullis.workflow.port.AuditEvent;
import dev.portcullis.workflow.port.PolicySource;
import dev.portcullis.workflow.port.SessionIndex;
import dev.portcullis.workflow.port.SessionStatus;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.persistence.TypedQuery;
import jakarta.transaction.Transactional;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The session index in PostgreSQL, with its audit events in the same transaction. Opening is insert-if-absent,
 * so a bastion that retries after a lost answer cannot create a second row; closing changes a row only while
 * it is OPEN, so a repeated or late close changes nothing.
 */
@ApplicationScoped
public class JpaSessionIndex implements SessionIndex, IndexedSessions {

    public static final String OPEN = SessionStatus.OPEN.name();
    /** An admin ended this one session, its grant staying (the bastion says so when it has closed it). */
    public static final String TERMINATED = SessionStatus.TERMINATED.name();
    /** ABORTED: the bastion was lost, the broker ended the session for it ({@link BastionLeases}). */
    public static final List<String> STATUSES = SessionStatus.names();
    /** How a bastion may say a session ended (see {@link SessionIndex.Closed}); ABORTED is the broker's to say. */
    public static final List<String> END_STATUSES = SessionStatus.endNames();

    static final int MAX_DETAIL = 1000;

    @Inject
    EntityManager em;

    @Inject
    HashChainedAuditLog auditLog;

    @Inject
    Clock clock;

    /** session.started and session.ended for generic webhooks, in the transaction that records the session. */
    @Inject
    OutboxNotifier notifier;

    @Inject
    PolicySource policies;

    public enum OpenResult {
        OPENED,
        DUPLICATE,
        UNKNOWN_REQUEST
    }

    public enum CloseResult {
        CLOSED,
        ALREADY_CLOSED,
        UNKNOWN
    }

    @Override
    public void opened(Opened session) {
        open(session);
    }

    @Override
    public void closed(Closed session) {
        close(session);
    }

    @Transactional
    public OpenResult open(Opened s) {
        return open(s, null, null);
    }

    /**
     * @param recordingKey SHA-256 of the key that must sign the session's recording, or null (no recording)
     * @param registeredBy the client that registered the session (a bastion's client id)
     */
    @Transactional
    public OpenResult open(Opened s, String recordingKey, String registeredBy) {
        return open(s, recordingKey, registeredBy, null);
    }

    /** @param bastionInstance the lease the session is opened under (its bastion's process), or null */
    @Transactional
    public OpenResult open(Opened s, String recordingKey, String registeredBy, UUID bastionInstance) {
        AccessRequestEntity request = s.requestId() == null ? null : em.find(AccessRequestEntity.class, s.requestId());
        if (s.requestId() != null && request == null) {
            return OpenResult.UNKNOWN_REQUEST;
        }
        // the rule's retention now is the session's for good: a later, shorter one does not apply to it
        String rule = request == null ? null : request.rule;
        Integer retentionDays = rule == null
                ? null
                : policies.current()
                        .rule(rule)
                        .map(AccessRule::retention)
                        .map(d -> (int) d.toDays())
                        .orElse(null);
        Instant registered = clock.instant().truncatedTo(ChronoUnit.MICROS);
        Instant retainUntil = retentionDays == null ? null : registered.plus(retentionDays, ChronoUnit.DAYS);
        int inserted = em.createNativeQuery(
                        "insert into bastion_session (id, request_id, username, target, login, protocol, recording_id, "
                                + "bastion, client_address, started_at, status, recording_key, registered_by, bastion_instance, "
                                + "retention_rule, retention_days, retain_until) "
                                + "values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'OPEN', ?11, ?12, cast(?13 as uuid), ?14, "
                                + "cast(?15 as integer), cast(?16 as timestamptz)) "
                                + "on conflict (id) do nothing")
                .setParameter(1, s.sessionId())
                .setParameter(2, s.requestId())
                .setParameter(3, s.username())
                .setParameter(4, s.target())
                .setParameter(5, s.login())
                .setParameter(6, s.protocol())
                .setParameter(7, s.recordingId())
                .setParameter(8, s.bastion())
                .setParameter(9, s.clientAddress())
                .setParameter(10, s.startedAt().truncatedTo(ChronoUnit.MICROS))
                .setParameter(11, recordingKey)
                .setParameter(12, registeredBy)
                .setParameter(13, bastionInstance == null ? null : bastionInstance.toString())
                .setParameter(14, rule)
                .setParameter(15, retentionDays == null ? null : retentionDays.toString())
                .setParameter(16, retainUntil == null ? null : retainUntil.toString())
                .executeUpdate();
        if (inserted == 0) {
            return OpenResult.DUPLICATE;
        }
        Map<String, String> details = new HashMap<>();
        details.put("target", s.target());
        details.put("login", s.login());
        details.put("protocol", s.protocol());
        putIfPresent(
                details, "request", s.requestId() == null ? null : s.requestId().toString());
        putIfPresent(details, "recording", s.recordingId());
        putIfPresent(details, "bastion", s.bastion());
        putIfPresent(details, "clientAddress", s.clientAddress());
        putIfPresent(details, "recordingKey", recordingKey);
        putIfPresent(details, "registeredBy", registeredBy);
        putIfPresent(details, "bastionInstance", bastionInstance == null ? null : bastionInstance.toString());
        details.put("retention", retentionDays == null ? "for ever" : retentionDays + "d");
        auditLog.append(new AuditEvent(
                clock.instant(),
                s.username(),
                "session.opened",
                "session",
                s.sessionId().toString(),
                details));
        if (s.requestId() != null) {
            notifier.session(s.requestId(), NotificationEvent.SESSION_STARTED, s.sessionId(), s.startedAt());
        }
        return OpenResult.OPENED;
    }

    @Transactional
    public CloseResult close(Closed c) {
        BastionSessionEntity row = em.find(BastionSessionEntity.class, c.sessionId(), LockModeType.PESSIMISTIC_WRITE);
        if (row == null) {
            return CloseResult.UNKNOWN;
        }
        if (!OPEN.equals(row.status)) {
            return CloseResult.ALREADY_CLOSED;
        }
        row.endedAt = c.endedAt().truncatedTo(ChronoUnit.MICROS);
        row.bytesIn = c.bytesIn();
        row.bytesOut = c.bytesOut();
        row.status = c.status();
        row.detail = c.detail() == null || c.detail().length() <= MAX_DETAIL
                ? c.detail()
                : c.detail().substring(0, MAX_DETAIL);
        Map<String, String> details = new HashMap<>();
        details.put("status", c.status());
        details.put("bytesIn", String.valueOf(c.bytesIn()));
        details.put("bytesOut", String.valueOf(c.bytesOut()));
        details.put("target", row.target);
        details.put("login", row.login);
        putIfPresent(details, "detail", row.detail);
        auditLog.append(
                new AuditEvent(clock.instant(), row.username, "session.closed", "session", row.id.toString(), details));
        if (row.requestId != null) {
            notifier.session(row.requestId, NotificationEvent.SESSION_ENDED, row.id, row.endedAt);
        }
        return CloseResult.CLOSED;
    }

    @Override
    public List<String> statuses() {
        return STATUSES;
    }

    @Override
    @Transactional
    public Optional<IndexedSession> find(UUID id) {
        return Optional.ofNullable(em.find(BastionSessionEntity.class, id)).map(BastionSessionEntity::toView);
    }

    @Override
    @Transactional
    public List<IndexedSession> list(String username, String target, String status, int limit) {
        StringBuilder jpql = new StringBuilder("from BastionSessionEntity s where 1 = 1");
        Map<String, Object> params = new HashMap<>();
        if (username != null) {
            jpql.append(" and s.username = :username");
            params.put("username", username);
        }
        if (target != null) {
            jpql.append(" and s.target = :target");
            params.put("target", target);
        }
        if (status != null) {
            jpql.append(" and s.status = :status");
            params.put("status", status);
        }
        jpql.append(" order by s.startedAt desc, s.id");
        TypedQuery<BastionSessionEntity> query =
                em.createQuery(jpql.toString(), BastionSessionEntity.class).setMaxResults(limit);
        params.forEach(query::setParameter);
        return query.getResultList().stream().map(BastionSessionEntity::toView).toList();
    }

    private static void putIfPresent(Map<String, String> details, String key, String value) {
        if (value != null) {
            details.put(key, value);
        }
    }
}
