package dev.portcullis.workflow.port;

import dev.portcullis.workflow.request.AccessRequest;

/**
 * Arranges for grants to end at their end time, to the millisecond. Pending requests need no timer: the domain
 * refuses every review from {@link AccessRequest#pendingUntil()} on, so marking them TIMED_OUT is left to the
 * periodic sweep.
 */
public interface GrantScheduler {

    /** A grant became ACTIVE and must end at {@link AccessRequest#endsAt()}. */
    void grantStarted(AccessRequest grant);

    /** The request reached a terminal state; anything still scheduled for it can go. */
    void requestClosed(AccessRequest request);
}
