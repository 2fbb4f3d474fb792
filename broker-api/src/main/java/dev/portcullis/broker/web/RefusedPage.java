package dev.portcullis.broker.web;

import dev.portcullis.workflow.request.Refusal;

/** A refusal met while showing a page; rendered as an error page by the page's resource. */
final class RefusedPage extends RuntimeException {
    private final transient Refusal refusal;

    RefusedPage(Refusal refusal) {
        super(refusal.message(), null, false, false);
        this.refusal = refusal;
    }

    Refusal refusal() {
        return refusal;
    }
}
