package dev.portcullis.workflow.request;

/**
 * {@code PENDING -> ACTIVE -> EXPIRED | REVOKED}; {@code PENDING -> DENIED | CANCELLED | TIMED_OUT}.
 * Terminal states are final: the row stays as the audit record.
 */
public enum RequestState {
    PENDING,
    ACTIVE,
    EXPIRED,
    REVOKED,
    DENIED,
    CANCELLED,
    TIMED_OUT;

    public boolean isTerminal() {
        return this != PENDING && this != ACTIVE;
    }
}
