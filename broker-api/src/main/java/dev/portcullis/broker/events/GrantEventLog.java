package dev.portcullis.broker.events;

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

    /** Records the grant events a transition implies; must run inside the transaction that stores it. */
    @Transactional(Transactional.TxType.MANDATORY)
    public void recordFor(Transition.Applied applied) {
        AccessRequest before = applied.before();
        AccessRequest after = applied.after();
        if (before == null || before.state() == after.state()) {
            return;
        }
        if (after.state() == RequestState.ACTIVE) {
            insert(GrantEvent.STARTED, after, applied);
        } else if (before.state() == RequestState.ACTIVE && after.state().isTerminal()) {
            insert(GrantEvent.ENDED, after, applied);
        }
    }

    private void insert(String kind, AccessRequest r, Transition.Applied applied) {
        em.createNativeQuery("insert into grant_event (request_id, kind, requester, target, login, state, ends_at, reason, at) "
                        + "values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")
                .setParameter(1, r.id()).setParameter(2, kind).setParameter(3, r.requester()).setParameter(4, r.target())
                .setParameter(5, r.login()).setParameter(6, r.state().name()).setParameter(7, r.endsAt())
                .setParameter(8, r.endReason()).setParameter(9, applied.at())
                .executeUpdate();
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
