package dev.portcullis.broker.persistence;

import dev.portcullis.broker.persistence.SignedAuditHeads.SignedHead;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Signs the audit chain's head every {@code portcullis.audit.head-signing-interval} (at most a minute), but only a head
 * that extends the last one signed: the rows between them must link, each with the hash its content gives. A chain that
 * someone with database rights rewrote is never signed over; the newest good head stays the newest, and verification
 * reports the rewrite against it.
 */
@Singleton
public class AuditHeadSigner {

    private static final Logger LOG = Logger.getLogger(AuditHeadSigner.class);
    private static final int PAGE = 1000;

    @Inject
    EntityManager em;

    @Inject
    SignedAuditHeads heads;

    @Inject
    Clock clock;

    @ConfigProperty(name = "portcullis.audit.head-signing-interval")
    Duration interval;

    private SignedHead last;

    /** Rows appended after the newest signed head can be rewritten unseen: that window stays at most a minute. */
    void checkInterval(@Observes StartupEvent event) {
        if (interval.isNegative() || interval.isZero() || interval.compareTo(Duration.ofMinutes(1)) > 0) {
            throw new IllegalStateException("portcullis.audit.head-signing-interval is " + interval
                    + "; it must be more than 0 and at most 1 minute");
        }
    }

    @Scheduled(
            every = "${portcullis.audit.head-signing-interval}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            executeWith = Scheduled.SIMPLE)
    void scheduled() {
        try {
            signHead();
        } catch (RuntimeException e) {
            LOG.errorf("the audit head was not signed: %s", e.getMessage());
        }
    }

    /** Signs the current head when it extends the last signed one; the head signed, or empty when refused. */
    @Transactional
    public synchronized Optional<SignedHead> signHead() {
        if (last == null) {
            SignedAuditHeads.Newest newest = heads.newest();
            if (newest.problem() != null) {
                LOG.errorf("not signing the audit head: %s", newest.problem());
                return Optional.empty();
            }
            last = newest.head().orElse(null);
        }
        Object[] head = (Object[]) em.createNativeQuery("select last_id, last_hash from audit_head where singleton")
                .getSingleResult();
        long headId = ((Number) head[0]).longValue();
        String headHash = ((String) head[1]).trim();
        String problem = whyNotExtending(headId, headHash);
        if (problem != null) {
            LOG.errorf("not signing the audit head %d: %s; GET /api/v1/audit/verify reports it", headId, problem);
            return Optional.empty();
        }
        last = heads.sign(headId, headHash, clock.instant());
        return Optional.of(last);
    }

    /** Why the head is not the last signed one extended by well-linked rows, or null when it is. */
    private String whyNotExtending(long headId, String headHash) {
        long from = last == null ? 0 : last.lastId();
        String previous = last == null ? HashChainedAuditLog.GENESIS : last.lastHash();
        if (headId < from) {
            return "the chain has " + headId + " rows, fewer than the " + from + " signed at " + last.signedAt();
        }
        if (from > 0) {
            AuditEntryEntity signedRow = em.find(AuditEntryEntity.class, from);
            if (signedRow == null || !signedRow.hash.trim().equals(previous)) {
                return "row " + from + " is no longer the row signed at " + last.signedAt();
            }
            em.detach(signedRow);
        }
        long expected = from + 1;
        while (expected <= headId) {
            List<AuditEntryEntity> rows = em.createQuery(
                            "from AuditEntryEntity a where a.id >= :from and a.id <= :to" + " order by a.id",
                            AuditEntryEntity.class)
                    .setParameter("from", expected)
                    .setParameter("to", headId)
                    .setMaxResults(PAGE)
                    .getResultList();
            if (rows.isEmpty()) {
                return "row " + expected + " is missing";
            }
            for (AuditEntryEntity row : rows) {
                em.detach(row);
                if (row.id != expected
                        || !row.prevHash.trim().equals(previous)
                        || !HashChainedAuditLog.hashOf(row).equals(row.hash.trim())) {
                    return "row " + expected + " does not extend the chain signed before";
                }
                previous = row.hash.trim();
                expected++;
            }
        }
        return previous.equals(headHash) ? null : "the head row does not name the newest row";
    }
}
