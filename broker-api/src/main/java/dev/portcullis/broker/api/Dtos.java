package dev.portcullis.broker.api;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonInclude;

import dev.portcullis.workflow.policy.AccessRule;
import dev.portcullis.workflow.policy.Durations;
import dev.portcullis.workflow.policy.RequestOption;
import dev.portcullis.workflow.request.AccessRequest;
import dev.portcullis.workflow.request.Actor;
import dev.portcullis.workflow.request.RequestState;
import dev.portcullis.workflow.request.Review;
import dev.portcullis.workflow.request.SeparationOfDuties;

/** What the REST API reads and writes. Domain objects never go over the wire directly. */
public final class Dtos {

    private Dtos() {
    }

    /** Body of {@code POST /api/v1/requests}. */
    public record NewRequest(String target, String login, Integer durationMinutes, String reason, String ticket) {
    }

    /** Body of approve (comment optional), deny and revoke (reason required). */
    public record Decision(String comment, String reason) {
    }

    public record Me(String username, List<String> groups, boolean auditor, boolean admin) {
    }

    public record TargetOption(String target, String kind, String login, String access, String rule, int maxDurationMinutes,
                               String maxDuration, boolean reasonRequired, String ticketPattern, int approvalsRequired,
                               List<String> approverGroups) {
        static TargetOption of(RequestOption o) {
            AccessRule r = o.rule();
            return new TargetOption(o.target().name(), o.target().kind().wireName(), o.login(), r.access().name().toLowerCase(),
                    r.name(), (int) r.maxDuration().toMinutes(), Durations.format(r.maxDuration()), r.reasonRequired(),
                    r.ticketPattern() == null ? null : r.ticketPattern().pattern(), r.approvalsRequired(), r.sortedApproverGroups());
        }
    }

    public record ReviewView(String reviewer, String decision, String comment, Instant at) {
        static ReviewView of(Review r) {
            return new ReviewView(r.reviewer(), r.decision().name(), r.comment(), r.at());
        }
    }

    /**
     * @param approvalsRequired  null when the rule is gone from the policy
     * @param canReview          whether the caller's token groups would let them review now (the server checks again live)
     */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record RequestView(UUID id, String requester, String target, String kind, String login, String access, String rule,
                              int durationMinutes, String reason, String ticket, RequestState state, Instant createdAt,
                              Instant pendingUntil, Instant grantedAt, Instant endsAt, Instant endedAt, String endedBy,
                              String endReason, List<ReviewView> reviews, long approvals, Integer approvalsRequired,
                              List<String> approverGroups, boolean live, boolean canReview) {

        static RequestView of(AccessRequest r, AccessRule rule, Actor viewer, Instant now) {
            return new RequestView(r.id(), r.requester(), r.target(), r.kind().wireName(), r.login(),
                    r.access().name().toLowerCase(), r.rule(), (int) r.duration().toMinutes(), r.reason(), r.ticket(), r.state(),
                    r.createdAt(), r.pendingUntil(), r.grantedAt(), r.endsAt(), r.endedAt(), r.endedBy(), r.endReason(),
                    r.reviews().stream().map(ReviewView::of).toList(), r.approvalCount(),
                    rule == null ? null : rule.approvalsRequired(), rule == null ? List.of() : rule.sortedApproverGroups(),
                    r.isLiveAt(now), rule != null && now.isBefore(r.pendingUntil()) && SeparationOfDuties.mayReview(r, viewer, rule));
        }
    }
}
