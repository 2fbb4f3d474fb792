package dev.portcullis.broker.events;

import dev.portcullis.broker.persistence.StatementParameters;
import dev.portcullis.workflow.request.AccessRequest;
import dev.portcullis.workflow.request.RequestState;
import dev.portcullis.workflow.request.Transition;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.sql.SQLException;
import java.util.List;
import java.util.UUID;

/** The grant-event outbox: written with each state change, read by the bastions' event stream. */
@ApplicationScoped
public class GrantEventLog {

    @Inject
    EntityManager em;

    /**
     * Inserts the grant event a transition implies, if any: a statement to run (or to put in a {@code WITH}) on a connection
     * of the transaction that stores the transition, its parameters bound by {@link #bindEventOf}.
     */
    public static final String INSERT_EVENT_OF =
            "insert into grant_event (request_id, kind, requester, target, login, state, ends_at,"
                    + " reason, at) select ?::uuid, ?::varchar, ?::varchar, ?::varchar, ?::varchar, ?::varchar, ?::timestamptz, ?::varchar,"
                    + " ?::timestamptz where ?::boolean";

    /** Binds {@link #INSERT_EVENT_OF}'s ten parameters, next in {@code insert}. */
    public static void bindEventOf(StatementParameters insert, Transition.Applied applied) throws SQLException {
        String kind = kindOf(applied);
        AccessRequest r = applied.after();
        insert.object(r.id())
                .string(kind)
                .string(r.requester())
                .string(r.target())
                .string(r.login())
                .string(r.state().name())
                .timestamp(r.endsAt())
                .string(r.endReason())
                .timestamp(applied.at())
                .bool(kind != null);
    }

    /** The grant event a transition implies: a grant started, a grant ended, or none. */
    static String kindOf(Transition.Applied applied) {
        AccessRequest before = applied.before();
        AccessRequest after = applied.after();
        if (before == null || before.state() == after.state()) {
            return null;
        }
        if (after.state() == RequestState.ACTIVE) {
            return GrantEvent.STARTED;
        }
        return before.state() == RequestState.ACTIVE && after.state().isTerminal() ? GrantEvent.ENDED : null;
    }

    /** Events after {@code afterId}, oldest first. */
    @Transactional
    public List<GrantEvent> after(long afterId, int limit) {
        @SuppressWarnings("unchecked")
        List<Object[]> rows = em.createNativeQuery(
                        "select id, kind, request_id, requester, target, login, state, ends_at, reason, at, session_id "
                                + "from grant_event where id > ?1 order by id limit ?2")
                .setParameter(1, afterId)
                .setParameter(2, limit)
                .getResultList();
        return rows.stream()
                .map(r -> new GrantEvent(
                        ((Number) r[0]).longValue(),
                        (String) r[1],
                        (UUID) r[2],
                        (String) r[3],
                        (String) r[4],
                        (String) r[5],
                        (String) r[6],
                        instant(r[7]),
                        (String) r[8],
                        instant(r[9]),
                        (UUID) r[10]))
                .toList();
    }

    /**
     * Tells the bastions about one session of a grant ({@link GrantEvent#WATCH}, {@link GrantEvent#END_SESSION}),
     * through the same outbox and stream as grant events.
     */
    @Transactional
    public void instruct(
            String kind, UUID sessionId, UUID requestId, String person, String target, String login, String reason) {
        em.createNativeQuery("insert into grant_event (request_id, kind, requester, target, login, state, reason, at,"
                        + " session_id) values (?1, ?2, ?3, ?4, ?5, 'ACTIVE', ?6, now(), ?7)")
                .setParameter(1, requestId)
                .setParameter(2, kind)
                .setParameter(3, person)
                .setParameter(4, target)
                .setParameter(5, login)
                .setParameter(6, reason)
                .setParameter(7, sessionId)
                .executeUpdate();
    }

    /** The newest event id, so a new subscriber can start from now. */
    @Transactional
    public long newestId() {
        return ((Number) em.createNativeQuery("select coalesce(max(id), 0) from grant_event")
                        .getSingleResult())
                .longValue();
    }

    private static java.time.Instant instant(Object value) {
        if (value == null) return null;
        if (value instanceof java.time.Instant i) return i;
        if (value instanceof java.time.OffsetDateTime o) return o.toInstant();
        if (value instanceof java.sql.Timestamp t) return t.toInstant();
        throw new IllegalStateException("unexpected timestamp type " + value.getClass());
    }
}
