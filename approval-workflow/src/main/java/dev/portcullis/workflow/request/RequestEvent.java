package dev.portcullis.workflow.request;

/** Everything that can happen to an access request after it was submitted. */
public sealed interface RequestEvent {

    /** The name used in the audit log, e.g. {@code request.approved}. */
    String auditAction();

    record Approve(String comment) implements RequestEvent {
        public String auditAction() {
            return "request.approved";
        }
    }

    record Deny(String reason) implements RequestEvent {
        public String auditAction() {
            return "request.denied";
        }
    }

    /** The requester withdraws a pending request. */
    record Cancel() implements RequestEvent {
        public String auditAction() {
            return "request.cancelled";
        }
    }

    /** Nobody decided within the rule's pending TTL. */
    record TimeOut() implements RequestEvent {
        public String auditAction() {
            return "request.timed_out";
        }
    }

    /** The grant reached its end time. */
    record Expire() implements RequestEvent {
        public String auditAction() {
            return "grant.expired";
        }
    }

    /** The requester gives the access up before its end time. */
    record Release() implements RequestEvent {
        public String auditAction() {
            return "grant.released";
        }
    }

    /** An admin, or continuous verification, ends the grant early. */
    record Revoke(String reason) implements RequestEvent {
        public String auditAction() {
            return "grant.revoked";
        }
    }
}
