package dev.portcullis.broker.ssh;

import dev.portcullis.workflow.request.Refusal;

/** A certificate request the CA will not sign (an unusable key, a principal it may not vouch for); 422 at the edge. */
public final class SshRequestRefused extends RuntimeException {

    private final transient Refusal refusal;

    SshRequestRefused(Refusal refusal) {
        super(refusal.message(), null, false, false);
        this.refusal = refusal;
    }

    public Refusal refusal() {
        return refusal;
    }
}
