package dev.portcullis.broker.api;

import dev.portcullis.workflow.request.Refusal;

/** Carries a domain refusal out of a resource method to {@link ProblemMappers}. */
public final class RefusedException extends RuntimeException {

    private final transient Refusal refusal;

    public RefusedException(Refusal refusal) {
        super(refusal.message(), null, false, false);
        this.refusal = refusal;
    }

    public Refusal refusal() {
        return refusal;
    }
}
