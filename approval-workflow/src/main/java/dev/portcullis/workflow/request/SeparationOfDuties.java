package dev.portcullis.workflow.request;

import dev.portcullis.workflow.policy.AccessRule;
import java.util.Optional;

/**
 * Who may review a request, kept apart from what a review does (see {@link AccessRequest#apply}),
 * as Teleport keeps {@code CanReviewRequest} apart from {@code ApplyAccessReview}. The actor must be
 * the directory's current view of the person, so a removed or disabled approver is refused even
 * while their token is still valid.
 */
public final class SeparationOfDuties {

    private SeparationOfDuties() {}

    public static Optional<Refusal> checkReviewer(AccessRequest request, Actor actor, AccessRule rule) {
        if (actor.automated()) {
            return Optional.of(
                    Refusal.forbidden("reviewer_not_a_person", "only people can approve or deny access requests"));
        }
        if (actor.username().equals(request.requester())) {
            return Optional.of(Refusal.forbidden(
                    "self_review", "you cannot approve or deny your own request; someone else must review it"));
        }
        if (!actor.enabled()) {
            return Optional.of(Refusal.forbidden("reviewer_disabled", "your account is disabled in the directory"));
        }
        if (rule == null) {
            return Optional.of(Refusal.conflict(
                    "rule_removed",
                    "the policy rule '" + request.rule()
                            + "' that allowed this request no longer exists; it can no longer be approved"));
        }
        if (!actor.isMemberOfAny(rule.approverGroups())) {
            return Optional.of(Refusal.forbidden(
                    "not_an_approver",
                    "reviewing this request needs membership of " + String.join(" or ", rule.sortedApproverGroups())
                            + " (checked live in the directory)"));
        }
        if (request.hasReviewed(actor.username())) {
            return Optional.of(Refusal.conflict(
                    "already_reviewed", "you have already reviewed this request; each person counts once"));
        }
        return Optional.empty();
    }

    /** Whether the actor could review the request now, for showing or hiding an Approve button. */
    public static boolean mayReview(AccessRequest request, Actor actor, AccessRule rule) {
        return request.state() == RequestState.PENDING
                && checkReviewer(request, actor, rule).isEmpty();
    }
}
