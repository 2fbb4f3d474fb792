package dev.portcullis.workflow.request;

import java.time.Instant;
import java.util.Objects;

/** One approver's decision on a request. A person reviews a request at most once. */
public record Review(String reviewer, Decision decision, String comment, Instant at) {

    public enum Decision {
        APPROVE,
        DENY
    }

    public Review {
        Objects.requireNonNull(reviewer, "reviewer");
        Objects.requireNonNull(decision, "decision");
        Objects.requireNonNull(at, "at");
    }
}
