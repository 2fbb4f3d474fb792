package dev.portcullis.broker.persistence;

import dev.portcullis.broker.persistence.HashChainedAuditLog.ChainVerification;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * The audit page's view of the hash chain, without walking the whole chain on every view: this broker remembers the
 * prefix it has verified (the last verified row's id and hash) and each view verifies only the rows written since.
 * A row is append-only once verified, so what a view adds is the new rows and the link from the remembered hash to
 * the first of them.
 *
 * <p>What this cannot see by itself is a change to an already verified row that keeps the rows after it linked (a
 * rewrite of the row and of every later row). {@link #full()} (the API's {@code /api/v1/audit/verify} and the page's
 * "verify the whole chain") walks everything again; when that fails, the failure is remembered and every view shows it
 * until a full verification passes again. The prefix lives in memory: a restarted broker verifies the whole chain at
 * its first view.
 */
@ApplicationScoped
public class IncrementalChainCheck {

    @Inject
    HashChainedAuditLog audit;

    private record Prefix(long id, String hash) {}

    private Prefix verified = new Prefix(0, HashChainedAuditLog.GENESIS);
    /** The last full verification, when it failed; null otherwise. */
    private ChainVerification failedFull;

    /** The chain verified from where the last verification stopped. */
    public synchronized ChainVerification sinceLast() {
        if (failedFull != null) {
            return failedFull;
        }
        ChainVerification result = audit.verifyAfter(verified.id(), verified.hash());
        if (result.valid()) {
            verified = new Prefix(result.intactRows(), result.headHash());
        }
        return result;
    }

    /** The whole chain verified from its first row; the verified prefix starts again from this result. */
    public synchronized ChainVerification full() {
        ChainVerification result = audit.verify();
        if (result.valid()) {
            verified = new Prefix(result.intactRows(), result.headHash());
            failedFull = null;
        } else {
            verified = new Prefix(0, HashChainedAuditLog.GENESIS);
            failedFull = result;
        }
        return result;
    }
}
