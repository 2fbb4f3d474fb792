package dev.portcullis.workflow.port;

import dev.portcullis.workflow.request.AccessRequest;

/** Arranges for time to act on requests: pending requests time out, grants expire at their end time. */
public interface GrantScheduler {

    /** A new request waits for approval until {@link AccessRequest#pendingUntil()}. */
    void pendingCreated(AccessRequest request);

    /** A grant became ACTIVE and must end at {@link AccessRequest#endsAt()}. */
    void grantStarted(AccessRequest grant);

    /** The request reached a terminal state; anything still scheduled for it can go. */
    void requestClosed(AccessRequest request);
}
