package dev.portcullis.broker.persistence;

import dev.portcullis.broker.events.GrantEventLog;
import dev.portcullis.workflow.policy.AccessLevel;
import dev.portcullis.workflow.policy.TargetKind;
import dev.portcullis.workflow.port.AccessRequestRepository;
import dev.portcullis.workflow.port.AuditEvent;
import dev.portcullis.workflow.port.RequestQuery;
import dev.portcullis.workflow.request.AccessRequest;
import dev.portcullis.workflow.request.Refusal;
import dev.portcullis.workflow.request.RequestState;
import dev.portcullis.workflow.request.Review;
import dev.portcullis.workflow.request.Transition;
import io.agroal.api.AgroalDataSource;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.OptimisticLockException;
import jakarta.persistence.PersistenceException;
import jakarta.persistence.TypedQuery;
import jakarta.transaction.Transactional;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
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
import org.hibernate.StaleStateException;
import org.jboss.logging.Logger;

/**
 * Access requests in PostgreSQL. The only place that knows about concurrency: each change runs in its own
 * transaction with an optimistic version check (the version moves even when only a review was added, so two
 * approvals read from the same version cannot both count toward the same threshold); when another
 * writer won, the change is re-applied to the fresh row, a bounded number of times.
 *
 * <p>What every request goes through (storing a new request, reading one with its reviews, each change with its grant
 * event and audit row) is plain JDBC on the transaction's connection: a handful of statements that Hibernate's entity
 * machinery made cost more CPU than PostgreSQL spent running them. Listings, which build queries from filters, stay
 * with JPA on the same tables ({@link AccessRequestEntity}, {@link ReviewEntity}).
 */
@ApplicationScoped
public class PostgresAccessRequestRepository implements AccessRequestRepository {

    static final int MAX_ATTEMPTS = 8;
    private static final int REMEMBERED_RULES = 10_000;
    private static final Logger LOG = Logger.getLogger(PostgresAccessRequestRepository.class);

    @Inject
    EntityManager em;

    @Inject
    AgroalDataSource dataSource;

    @Inject
    HashChainedAuditLog auditLog;

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
        insert(created, null);
    }

    /**
     * The account id (token {@code sub}) recorded for each of these requests; requests made before it was recorded are
     * missing from the answer.
     */
    @Transactional
    public Map<UUID, String> requesterIds(java.util.Collection<UUID> ids) {
        Map<UUID, String> found = new HashMap<>();
        if (ids.isEmpty()) {
            return found;
        }
        try (Connection c = dataSource.getConnection();
                PreparedStatement select = c.prepareStatement("select id, requester_sub from access_request"
                        + " where id = any (?) and requester_sub is not null")) {
            select.setArray(1, c.createArrayOf("uuid", ids.toArray()));
            try (ResultSet row = select.executeQuery()) {
                while (row.next()) {
                    found.put(row.getObject(1, UUID.class), row.getString(2));
                }
            }
        } catch (SQLException e) {
            throw new PersistenceException("cannot read the requesters' account ids: " + e.getMessage(), e);
        }
        return found;
    }

    @Override
    @Transactional
    public void insert(Transition.Applied created, String requesterId) {
        AccessRequest r = created.after();
        try (Connection c = dataSource.getConnection();
                PreparedStatement insert = c.prepareStatement(INSERT)) {
            StatementParameters p = new StatementParameters(insert);
            HashChainedAuditLog.bindAppend(p, AuditEvent.of(created)); // chained when this transaction commits
            p.object(r.id())
                    .string(r.requester())
                    .string(r.target())
                    .string(r.kind().name())
                    .string(r.login())
                    .string(r.rule())
                    .string(r.access().name())
                    .number(r.duration().getSeconds())
                    .string(r.reason())
                    .string(r.ticket())
                    .timestamp(r.createdAt())
                    .timestamp(r.pendingUntil());
            bindChanges(p, r);
            p.string(requesterId);
            insert.executeUpdate();
        } catch (SQLException e) {
            throw new PersistenceException("cannot store access request " + r.id() + ": " + e.getMessage(), e);
        }
        ruleOfRequest.put(r.id(), r.rule()); // a rollback leaves a rule for an id nobody has
    }

    @Override
    @Transactional
    public void insert(Transition.Applied created, String requesterId, Runnable inSameTransaction) {
        insert(created, requesterId);
        inSameTransaction.run();
    }

    @Override
    @Transactional
    public Optional<AccessRequest> find(UUID id) {
        try (Connection c = dataSource.getConnection()) {
            return Optional.ofNullable(load(c, id)).map(Stored::request);
        } catch (SQLException e) {
            throw new PersistenceException("cannot read access request " + id + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Optional<String> ruleOf(UUID id) {
        String known = ruleOfRequest.get(id);
        if (known != null) {
            return Optional.of(known);
        }
        Optional<String> rule = QuarkusTransaction.joiningExisting().call(() -> {
            try (Connection c = dataSource.getConnection();
                    PreparedStatement select = c.prepareStatement("select rule from access_request where id = ?")) {
                select.setObject(1, id);
                try (ResultSet row = select.executeQuery()) {
                    return row.next() ? Optional.of(row.getString(1)) : Optional.<String>empty();
                }
            }
        });
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
                    return Transition.refused(Refusal.conflict(
                            "concurrent_change", "this request is being changed by others right now; try again"));
                }
                backOff(attempt);
            }
        }
    }

    private Transition applyOnce(UUID id, Function<AccessRequest, Transition> change) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            Stored stored = load(c, id);
            if (stored == null) {
                return Transition.refused(Refusal.notFound("no_such_request", "there is no access request " + id));
            }
            AccessRequest current = stored.request();
            Transition result = change.apply(current);
            if (result instanceof Transition.Applied applied) {
                AccessRequest after = applied.after();
                List<Review> added = after.reviews()
                        .subList(current.reviews().size(), after.reviews().size());
                if (added.size() > 1) {
                    throw new IllegalStateException("a transition adds one review at most, not " + added.size());
                }
                // One statement: the review (if any), the grant event (if any), the audit row, and the version-checked
                // update.
                // The version moves on every change, a review alone included, so two reviews read from the same version
                // cannot both count toward the same threshold: the second one's update finds no row and is re-applied.
                try (PreparedStatement write = c.prepareStatement(CHANGE)) {
                    Review review = added.isEmpty() ? null : added.get(0);
                    StatementParameters p = new StatementParameters(write);
                    p.object(id)
                            .string(review == null ? null : review.reviewer())
                            .string(review == null ? null : review.decision().name())
                            .string(review == null ? null : review.comment())
                            .timestamp(review == null ? null : review.at())
                            .bool(review != null);
                    GrantEventLog.bindEventOf(p, applied);
                    HashChainedAuditLog.bindAppend(p, AuditEvent.of(applied)); // chained when this transaction commits
                    bindChanges(p, after);
                    p.object(id).number(stored.version());
                    if (write.executeUpdate() != 1) {
                        throw new OptimisticLockException("access request " + id + " changed since it was read");
                    }
                }
            }
            return result;
        }
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
        TypedQuery<AccessRequestEntity> query =
                em.createQuery(jpql.toString(), AccessRequestEntity.class).setMaxResults(q.limit());
        params.forEach(query::setParameter);
        List<AccessRequestEntity> rows = query.getResultList();
        Map<UUID, List<Review>> reviews = reviewsOf(rows.stream().map(r -> r.id).toList());
        return rows.stream()
                .map(r -> r.toDomain(reviews.getOrDefault(r.id, List.of())))
                .toList();
    }

    @Override
    @Transactional
    public List<AccessRequest> active(Set<String> rules) {
        if (rules != null && rules.isEmpty()) {
            return List.of();
        }
        // Every active grant and its reviews in one query, rows of a grant together (continuous verification reads them
        // all
        // every few seconds: as entities, thousands of them were a tenth of a busy broker's CPU).
        String sql = SELECT + " where r.state = 'ACTIVE'" + (rules == null ? "" : " and r.rule = any (?)")
                + " order by r.ends_at, r.id, v.reviewed_at, v.id";
        try (Connection c = dataSource.getConnection();
                PreparedStatement select = c.prepareStatement(sql)) {
            if (rules != null) {
                select.setArray(1, c.createArrayOf("varchar", rules.toArray()));
            }
            List<AccessRequest> grants = new ArrayList<>();
            try (ResultSet row = select.executeQuery()) {
                if (row.next()) {
                    do {
                        grants.add(readOne(row).request());
                    } while (!row.isAfterLast()); // readOne stops on the next grant's first row, or after the last row
                }
            }
            return grants;
        } catch (SQLException e) {
            throw new PersistenceException("cannot read the active grants: " + e.getMessage(), e);
        }
    }

    private Map<UUID, List<Review>> reviewsOf(List<UUID> ids) {
        if (ids.isEmpty()) {
            return new HashMap<>();
        }
        return byRequest(em.createQuery(
                        "from ReviewEntity v where v.requestId in :ids order by v.reviewedAt, v.id", ReviewEntity.class)
                .setParameter("ids", ids)
                .getResultList());
    }

    private static Map<UUID, List<Review>> byRequest(List<ReviewEntity> reviews) {
        Map<UUID, List<Review>> byRequest = new HashMap<>();
        reviews.forEach(v ->
                byRequest.computeIfAbsent(v.requestId, k -> new ArrayList<>()).add(v.toDomain()));
        return byRequest;
    }

    /** A new request and its audit row, in one round trip. */
    private static final String INSERT = "with audit as (" + HashChainedAuditLog.APPEND
            + ") insert into access_request (id, requester, target, kind, login, rule, access, duration_seconds,"
            + " reason, ticket, created_at, pending_until, state, granted_at, ends_at, ended_at, ended_by, end_reason,"
            + " requester_sub)"
            + " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    /** A change in one round trip: its review, its grant event, its audit row (each when there is one) and the update. */
    private static final String CHANGE =
            "with review as (insert into request_review (request_id, reviewer, decision, comment, reviewed_at)"
                    + " select ?::uuid, ?::varchar, ?::varchar, ?::varchar, ?::timestamptz where ?::boolean),"
                    + " event as (" + GrantEventLog.INSERT_EVENT_OF + "),"
                    + " audit as (" + HashChainedAuditLog.APPEND + ")"
                    + " update access_request set state = ?, granted_at = ?, ends_at = ?, ended_at = ?, ended_by = ?,"
                    + " end_reason = ?, version = version + 1 where id = ? and version = ?";
    /** Requests with their reviews: one row per review (or one with no review); callers keep a request's rows together. */
    private static final String SELECT =
            "select r.id, r.requester, r.target, r.kind, r.login, r.rule, r.access, r.duration_seconds,"
                    + " r.reason, r.ticket, r.state, r.created_at, r.pending_until, r.granted_at, r.ends_at, r.ended_at, r.ended_by,"
                    + " r.end_reason, r.version, v.reviewer, v.decision, v.comment, v.reviewed_at"
                    + " from access_request r left join request_review v on v.request_id = r.id";
    /** A request and its reviews in one round trip, oldest review first. */
    private static final String LOAD = SELECT + " where r.id = ? order by v.reviewed_at, v.id";

    /** A request as stored, with the version its next change must find. */
    private record Stored(AccessRequest request, long version) {}

    /** What a transition may change, in the order of {@code state, granted_at, ends_at, ended_at, ended_by, end_reason}. */
    private static void bindChanges(StatementParameters p, AccessRequest r) throws SQLException {
        p.string(r.state().name())
                .timestamp(r.grantedAt())
                .timestamp(r.endsAt())
                .timestamp(r.endedAt())
                .string(r.endedBy())
                .string(r.endReason());
    }

    private static Stored load(Connection c, UUID id) throws SQLException {
        try (PreparedStatement select = c.prepareStatement(LOAD)) {
            select.setObject(1, id);
            try (ResultSet row = select.executeQuery()) {
                return row.next() ? readOne(row) : null;
            }
        }
    }

    /**
     * Reads one request from the current row and the rows after it that carry its reviews, and leaves the result set on the
     * next request's first row (or after the last row).
     */
    private static Stored readOne(ResultSet row) throws SQLException {
        AccessRequestEntity r = new AccessRequestEntity(); // a holder for the row here, not managed by JPA
        r.id = row.getObject("id", UUID.class);
        r.requester = row.getString("requester");
        r.target = row.getString("target");
        r.kind = TargetKind.valueOf(row.getString("kind"));
        r.login = row.getString("login");
        r.rule = row.getString("rule");
        r.access = AccessLevel.valueOf(row.getString("access"));
        r.durationSeconds = row.getLong("duration_seconds");
        r.reason = row.getString("reason");
        r.ticket = row.getString("ticket");
        r.state = RequestState.valueOf(row.getString("state"));
        r.createdAt = instant(row, "created_at");
        r.pendingUntil = instant(row, "pending_until");
        r.grantedAt = instant(row, "granted_at");
        r.endsAt = instant(row, "ends_at");
        r.endedAt = instant(row, "ended_at");
        r.endedBy = row.getString("ended_by");
        r.endReason = row.getString("end_reason");
        r.version = row.getLong("version");
        List<Review> reviews = new ArrayList<>();
        do {
            String reviewer = row.getString("reviewer");
            if (reviewer != null) {
                reviews.add(new Review(
                        reviewer,
                        Review.Decision.valueOf(row.getString("decision")),
                        row.getString("comment"),
                        instant(row, "reviewed_at")));
            }
        } while (row.next() && r.id.equals(row.getObject("id", UUID.class)));
        return new Stored(r.toDomain(reviews), r.version);
    }

    private static Instant instant(ResultSet row, String column) throws SQLException {
        OffsetDateTime at = row.getObject(column, OffsetDateTime.class);
        return at == null ? null : at.toInstant();
    }

    /** Another writer won: a stale version, or the same reviewer's row inserted by a parallel request. */
    static boolean isConcurrentChange(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof OptimisticLockException || t instanceof StaleStateException) {
                return true;
            }
            if (t instanceof SQLException sql
                    && ("23505".equals(sql.getSQLState()) || "40001".equals(sql.getSQLState()))) {
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
