package dev.portcullis.broker.events;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;

import dev.portcullis.workflow.request.AccessRequest;
import dev.portcullis.workflow.request.RequestState;
import dev.portcullis.workflow.request.Transition;

/** The grant-event outbox: written with each state change, read by the bastions' event stream. */
@ApplicationScoped
public class GrantEventLog {

    @Inject
    EntityManager em;

    /** Records the grant events a transition implies, on a connection of the transaction that stores it. */
    public void recordFor(Connection connection, Transition.Applied applied) throws SQLException {
        AccessRequest before = applied.before();
        AccessRequest after = applied.after();
        if (before == null || before.state() == after.state()) {
            return;
        }
        if (after.state() == RequestState.ACTIVE) {
            insert(connection, GrantEvent.STARTED, after, applied);
        } else if (before.state() == RequestState.ACTIVE && after.state().isTerminal()) {
            insert(connection, GrantEvent.ENDED, after, applied);
        }
    }

    private static void insert(Connection connection, String kind, AccessRequest r, Transition.Applied applied) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement("insert into grant_event (request_id, kind, requester, target, login,"
                + " state, ends_at, reason, at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            insert.setObject(1, r.id());
            insert.setString(2, kind);
            insert.setString(3, r.requester());
            insert.setString(4, r.target());
            insert.setString(5, r.login());
            insert.setString(6, r.state().name());
            insert.setObject(7, r.endsAt() == null ? null : OffsetDateTime.ofInstant(r.endsAt(), ZoneOffset.UTC), Types.TIMESTAMP_WITH_TIMEZONE);
            insert.setString(8, r.endReason());
            insert.setObject(9, OffsetDateTime.ofInstant(applied.at(), ZoneOffset.UTC));
            insert.executeUpdate();
        }
    }

    /** Events after {@code afterId}, oldest first. */
    @Transactional
    public List<GrantEvent> after(long afterId, int limit) {
        @SuppressWarnings("unchecked")
        List<Object[]> rows = em.createNativeQuery("select id, kind, request_id, requester, target, login, state, ends_at, reason, at "
                        + "from grant_event where id > ?1 order by id limit ?2")
                .setParameter(1, afterId).setParameter(2, limit).getResultList();
        return rows.stream().map(r -> new GrantEvent(((Number) r[0]).longValue(), (String) r[1], (UUID) r[2], (String) r[3],
                (String) r[4], (String) r[5], (String) r[6], instant(r[7]), (String) r[8], instant(r[9]))).toList();
    }

    /** The newest event id, so a new subscriber can start from now. */
    @Transactional
    public long newestId() {
        return ((Number) em.createNativeQuery("select coalesce(max(id), 0) from grant_event").getSingleResult()).longValue();
    }

    private static java.time.Instant instant(Object value) {
        if (value == null) return null;
        if (value instanceof java.time.Instant i) return i;
        if (value instanceof java.time.OffsetDateTime o) return o.toInstant();
        if (value instanceof java.sql.Timestamp t) return t.toInstant();
        throw new IllegalStateException("unexpected timestamp type " + value.getClass());
    }
}
