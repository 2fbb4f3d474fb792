package dev.portcullis.broker.notify;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * One message to send, as the outbox keeps it: its stable id (the same on every retry, so receivers can drop
 * duplicates), what it is about, and the facts of the request at the moment of the decision.
 */
public record Notice(UUID id, NotificationEvent event, Instant at, Facts facts) {

    /**
     * The request as it was decided. {@code command} is how the requester uses a started grant; {@code session} names the
     * session of a session event; the links open the broker's pages (never a decision by themselves).
     */
    public record Facts(
            UUID request,
            String requester,
            String target,
            String kind,
            String login,
            String access,
            String duration,
            String reason,
            String ticket,
            String rule,
            String state,
            List<String> approverGroups,
            int approvalsRequired,
            Instant endsAt,
            String endReason,
            String command,
            String session,
            Links links) {}

    /** Approve and Deny open the approvals page with the request in focus; the decision is made there, signed in. */
    public record Links(String approve, String deny, String view) {}
}
