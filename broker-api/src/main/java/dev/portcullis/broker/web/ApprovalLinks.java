package dev.portcullis.broker.web;

import dev.portcullis.workflow.AccessWorkflow;
import dev.portcullis.workflow.request.AccessRequest;
import dev.portcullis.workflow.request.Actor;
import dev.portcullis.workflow.request.Refusal;
import dev.portcullis.workflow.request.RequestState;
import dev.portcullis.workflow.request.SeparationOfDuties;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * The Approve and Deny links of a notification ({@code /ui/approvals?focus=ID&decision=approve}): opening one changes
 * nothing (it is a GET, and carries no authority); it puts that request in focus on the approvals page for the signed-in
 * reader, who then decides with the page's own buttons, checked live like every review, or says why there is nothing
 * for them to decide.
 */
@ApplicationScoped
public class ApprovalLinks {

    @Inject
    AccessWorkflow workflow;

    /** What the page says about the request in focus; {@code reviewable} holds the ids the reader may review now. */
    public Views.Focus explain(String focus, String decision, Actor reader, Set<String> reviewable, Instant now) {
        UUID id;
        try {
            id = UUID.fromString(focus);
        } catch (IllegalArgumentException e) {
            return new Views.Focus(null, false, false, "This link names no request: it is cut short or altered.");
        }
        boolean deny = "deny".equals(decision);
        if (reviewable.contains(id.toString())) {
            return new Views.Focus(
                    id.toString(),
                    true,
                    deny,
                    "Check the request below, then " + (deny ? "deny it, saying why." : "approve or deny it.")
                            + " Nothing is decided until you do.");
        }
        Optional<AccessRequest> found = workflow.find(id);
        if (found.isEmpty()) {
            return new Views.Focus(null, false, false, "There is no request " + id + ".");
        }
        AccessRequest r = found.get();
        String what = r.requester() + "'s request for " + r.login() + " on " + r.target();
        if (r.state() != RequestState.PENDING) {
            return new Views.Focus(
                    null,
                    false,
                    false,
                    "Nothing to decide: " + what + " is " + stateWords(r.state()) + ". This link changed nothing.");
        }
        if (!r.pendingUntil().isAfter(now)) {
            return new Views.Focus(
                    null,
                    false,
                    false,
                    "Nothing to decide: " + what + " waited past its pending time and"
                            + " has timed out. This link changed nothing.");
        }
        Refusal why = SeparationOfDuties.checkReviewer(
                        r, reader, workflow.policy().rule(r.rule()).orElse(null))
                .orElse(null);
        String reason = why == null ? "you cannot review it now" : why.message();
        return new Views.Focus(
                null,
                false,
                false,
                "You cannot decide on " + (workflow.canView(r, reader) ? what : "this request") + ": " + reason
                        + ". This link changed nothing.");
    }

    private static String stateWords(RequestState state) {
        return switch (state) {
            case ACTIVE -> "already approved and active";
            case DENIED -> "already denied";
            case CANCELLED -> "withdrawn by its requester";
            case TIMED_OUT -> "timed out";
            case EXPIRED -> "approved, and its grant has ended";
            case REVOKED -> "approved, and its grant was revoked";
            default -> state.name().toLowerCase();
        };
    }
}
