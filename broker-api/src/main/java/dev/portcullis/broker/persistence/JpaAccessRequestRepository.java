package dev.portcullis.broker.persistence;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.persistence.OptimisticLockException;
import jakarta.persistence.TypedQuery;
import jakarta.transaction.Transactional;

import org.hibernate.StaleStateException;
import org.jboss.logging.Logger;

import io.quarkus.narayana.jta.QuarkusTransaction;

import dev.portcullis.broker.events.GrantEventLog;
import dev.portcullis.workflow.port.AccessRequestRepository;
import dev.portcullis.workflow.port.AuditEvent;
import dev.portcullis.workflow.port.RequestQuery;
import dev.portcullis.workflow.request.AccessRequest;
import dev.portcullis.workflow.request.Refusal;
import dev.portcullis.workflow.request.RequestState;
import dev.portcullis.workflow.request.Review;
import dev.portcullis.workflow.request.Transition;

/**
 * Access requests in PostgreSQL. The only place that knows about concurrency: each change runs in its own
 * transaction with an optimistic version check (forced even when only a review was added, so two
 * approvals read from the same version cannot both count toward the same threshold); when another
 * writer won, the change is re-applied to the fresh row, a bounded number of times.
 */
@ApplicationScoped
public class JpaAccessRequestRepository implements AccessRequestRepository {

    static final int MAX_ATTEMPTS = 8;
    private static final int REMEMBERED_RULES = 10_000;
    private static final Logger LOG = Logger.getLogger(JpaAccessRequestRepository.class);

    @Inject
    EntityManager em;

    @Inject
    HashChainedAuditLog auditLog;

    @Inject
    GrantEventLog grantEvents;

    /**
     * A request's rule never changes, and every review asks for it before its transaction: the newest requests' rules
     * are kept here (bounded, oldest out) so a review of a request this broker created or saw costs no query.
     */
    private final Map<UUID, String> ruleOfRequest = Collections.synchronizedMap(new LinkedHashMap<>(1024, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<UUID, String> eldest) {
            return size() > REMEMBERED_RULES;
        }
    });

    @Override
    @Transactional
    public void insert(Transition.Applied created) {
        em.persist(AccessRequestEntity.from(created.after()));
        auditLog.append(AuditEvent.of(created));
        ruleOfRequest.put(created.after().id(), created.after().rule()); // a rollback leaves a rule for an id nobody has
    }

    @Override
    @Transactional
    public Optional<AccessRequest> find(UUID id) {
        AccessRequestEntity e = em.find(AccessRequestEntity.class, id);
        return e == null ? Optional.empty() : Optional.of(e.toDomain(reviewsOf(List.of(id)).getOrDefault(id, List.of())));
    }

    @Override
    public Optional<String> ruleOf(UUID id) {
        String known = ruleOfRequest.get(id);
        if (known != null) {
            return Optional.of(known);
        }
        Optional<String> rule = QuarkusTransaction.joiningExisting().call(() -> em.createQuery(
                "select r.rule from AccessRequestEntity r where r.id = :id", String.class).setParameter("id", id).getResultStream().findFirst());
        rule.ifPresent(r -> ruleOfRequest.put(id, r));
        return rule;
    }

    @Override
    public Transition update(UUID id, Function<AccessRequest, Transition> change) {
        for (int attempt = 1; ; attempt++) {
            try {
                return QuarkusTransaction.requiringNew().call(() -> applyOnce(id, change));
            } catch (RuntimeException e) {
                if (!isConcurrentChange(e)) {
                    throw e;
                }
                if (attempt == MAX_ATTEMPTS) {
                    LOG.warnf("request %s: gave up after %d concurrent changes", id, attempt);
                    return Transition.refused(Refusal.conflict("concurrent_change",
                            "this request is being changed by others right now; try again"));
                }
                backOff(attempt);
            }
        }
    }

    private Transition applyOnce(UUID id, Function<AccessRequest, Transition> change) {
        AccessRequestEntity entity = em.find(AccessRequestEntity.class, id);
        if (entity == null) {
            return Transition.refused(Refusal.notFound("no_such_request", "there is no access request " + id));
        }
        AccessRequest current = entity.toDomain(reviewsOf(List.of(id)).getOrDefault(id, List.of()));
        Transition result = change.apply(current);
        if (result instanceof Transition.Applied applied) {
            AccessRequest after = applied.after();
            for (Review review : after.reviews().subList(current.reviews().size(), after.reviews().size())) {
                em.persist(ReviewEntity.of(id, review));
            }
            if (!entity.copyChangesFrom(after)) {
                // only a review was added: bump the version anyway, so two reviews read from the same version cannot
                // both count (a changed row's own update checks and bumps it; forcing it then cost a second update)
                em.lock(entity, LockModeType.OPTIMISTIC_FORCE_INCREMENT);
            }
            em.flush(); // surface a lost race here, inside the retry, rather than at commit
            grantEvents.recordFor(applied);
            auditLog.append(AuditEvent.of(applied)); // last: it holds the audit head's lock until the commit
        }
        return result;
    }

    @Override
    @Transactional
    public List<AccessRequest> list(RequestQuery q) {
        StringBuilder jpql = new StringBuilder("from AccessRequestEntity r where 1 = 1");
        Map<String, Object> params = new HashMap<>();
        if (q.requester() != null) {
            jpql.append(" and r.requester = :requester");
            params.put("requester", q.requester());
        }
        if (q.notRequester() != null) {
            jpql.append(" and r.requester <> :notRequester");
            params.put("notRequester", q.notRequester());
        }
        if (q.rules() != null) {
            if (q.rules().isEmpty()) {
                return List.of();
            }
            jpql.append(" and r.rule in :rules");
            params.put("rules", q.rules());
        }
        if (!q.states().isEmpty()) {
            jpql.append(" and r.state in :states");
            params.put("states", q.states());
        }
        if (q.target() != null) {
            jpql.append(" and r.target = :target");
            params.put("target", q.target());
        }
        jpql.append(" order by r.createdAt desc, r.id");
        TypedQuery<AccessRequestEntity> query = em.createQuery(jpql.toString(), AccessRequestEntity.class).setMaxResults(q.limit());
        params.forEach(query::setParameter);
        List<AccessRequestEntity> rows = query.getResultList();
        Map<UUID, List<Review>> reviews = reviewsOf(rows.stream().map(r -> r.id).toList());
        return rows.stream().map(r -> r.toDomain(reviews.getOrDefault(r.id, List.of()))).toList();
    }

    @Override
    @Transactional
    public List<AccessRequest> active(Set<String> rules) {
        if (rules != null && rules.isEmpty()) {
            return List.of();
        }
        String activeUnderRules = "r.state = :active" + (rules == null ? "" : " and r.rule in :rules");
        List<AccessRequestEntity> rows = activeUnder(rules, em.createQuery("from AccessRequestEntity r where " + activeUnderRules
                + " order by r.endsAt, r.id", AccessRequestEntity.class)).getResultList();
        // The reviews of all of them in one query (a list of thousands of ids would be a new SQL statement each time).
        Map<UUID, List<Review>> reviews = byRequest(activeUnder(rules, em.createQuery("from ReviewEntity v where v.requestId in"
                + " (select r.id from AccessRequestEntity r where " + activeUnderRules + ") order by v.reviewedAt, v.id", ReviewEntity.class))
                .getResultList());
        return rows.stream().map(r -> r.toDomain(reviews.getOrDefault(r.id, List.of()))).toList();
    }

    private static <T> TypedQuery<T> activeUnder(Set<String> rules, TypedQuery<T> query) {
        query.setParameter("active", RequestState.ACTIVE);
        return rules == null ? query : query.setParameter("rules", rules);
    }

    private Map<UUID, List<Review>> reviewsOf(List<UUID> ids) {
        if (ids.isEmpty()) {
            return new HashMap<>();
        }
        return byRequest(em.createQuery("from ReviewEntity v where v.requestId in :ids order by v.reviewedAt, v.id", ReviewEntity.class)
                .setParameter("ids", ids).getResultList());
    }

    private static Map<UUID, List<Review>> byRequest(List<ReviewEntity> reviews) {
        Map<UUID, List<Review>> byRequest = new HashMap<>();
        reviews.forEach(v -> byRequest.computeIfAbsent(v.requestId, k -> new ArrayList<>()).add(v.toDomain()));
        return byRequest;
    }

    /** Another writer won: a stale version, or the same reviewer's row inserted by a parallel request. */
    static boolean isConcurrentChange(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof OptimisticLockException || t instanceof StaleStateException) {
                return true;
            }
            if (t instanceof SQLException sql && ("23505".equals(sql.getSQLState()) || "40001".equals(sql.getSQLState()))) {
                return true;
            }
        }
        return false;
    }

    private static void backOff(int attempt) {
        try {
            Thread.sleep(ThreadLocalRandom.current().nextLong(1, 5L << Math.min(attempt, 5)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while retrying", e);
        }
    }
}
