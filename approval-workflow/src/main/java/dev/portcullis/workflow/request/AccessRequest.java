package dev.portcullis.workflow.request;

import dev.portcullis.workflow.policy.AccessLevel;
import dev.portcullis.workflow.policy.AccessRule;
import dev.portcullis.workflow.policy.Durations;
import dev.portcullis.workflow.policy.PolicySet;
import dev.portcullis.workflow.policy.Target;
import dev.portcullis.workflow.policy.TargetKind;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * A request for time-limited access, and once approved, the grant itself. Immutable: every change is a
 * pure function of (request, event, actor, now, rule) that returns the next request or a refusal,
 * so the same rules hold in the REST API, the scheduler and the tests.
 *
 * @param rule        name of the policy rule that allowed the request; re-read at every decision
 * @param grantedAt   when the grant became ACTIVE, or null
 * @param endsAt      when the grant ends, or null while pending
 * @param endedAt     when the request reached a terminal state, or null
 */
public record AccessRequest(
        UUID id,
        String requester,
        String target,
        TargetKind kind,
        String login,
        String rule,
        AccessLevel access,
        Duration duration,
        String reason,
        String ticket,
        RequestState state,
        Instant createdAt,
        Instant pendingUntil,
        List<Review> reviews,
        Instant grantedAt,
        Instant endsAt,
        Instant endedAt,
        String endedBy,
        String endReason) {

    static final int MAX_TEXT = 1000;

    public AccessRequest {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(requester, "requester");
        Objects.requireNonNull(state, "state");
        reviews = List.copyOf(reviews);
    }

    /** Checks a draft against the policy and returns a new PENDING request, or why not. */
    public static Transition submit(UUID id, RequestDraft draft, Actor requester, Instant now, PolicySet policy) {
        if (requester.automated() || !requester.enabled()) {
            return Transition.refused(Refusal.forbidden("requester_disabled", "your account cannot request access"));
        }
        if (blank(draft.target())) {
            return Transition.refused(Refusal.invalid("target_required", "target", "choose a target"));
        }
        Optional<Target> target = policy.target(draft.target());
        if (target.isEmpty()) {
            return Transition.refused(
                    Refusal.invalid("unknown_target", "target", "there is no target named '" + draft.target() + "'"));
        }
        if (blank(draft.login())) {
            return Transition.refused(Refusal.invalid(
                    "login_required",
                    "login",
                    target.get().kind() == TargetKind.POSTGRES ? "choose a database role" : "choose a login"));
        }
        Optional<AccessRule> found = policy.ruleFor(requester.groups(), target.get(), draft.login());
        if (found.isEmpty()) {
            return Transition.refused(Refusal.forbidden(
                    "not_allowed", "no policy rule lets you request " + draft.login() + "@" + draft.target()));
        }
        AccessRule rule = found.get();
        Duration duration = draft.duration();
        if (duration == null || duration.isNegative() || duration.isZero()) {
            return Transition.refused(
                    Refusal.invalid("duration_required", "duration", "give a duration of at least one minute"));
        }
        if (duration.compareTo(Duration.ofMinutes(1)) < 0) {
            return Transition.refused(
                    Refusal.invalid("duration_too_short", "duration", "give a duration of at least one minute"));
        }
        if (duration.compareTo(rule.maxDuration()) > 0) {
            return Transition.refused(Refusal.invalid(
                    "duration_too_long",
                    "duration",
                    "at most " + Durations.format(rule.maxDuration()) + " may be requested for " + draft.login() + "@"
                            + draft.target()));
        }
        String reason = trimmed(draft.reason());
        if (rule.reasonRequired() && reason == null) {
            return Transition.refused(Refusal.invalid("reason_required", "reason", "say why you need this access"));
        }
        if (reason != null && reason.length() > MAX_TEXT) {
            return Transition.refused(Refusal.invalid(
                    "reason_too_long", "reason", "the reason must be at most " + MAX_TEXT + " characters"));
        }
        String ticket = trimmed(draft.ticket());
        if (rule.ticketRequired()) {
            if (ticket == null) {
                return Transition.refused(Refusal.invalid(
                        "ticket_required",
                        "ticket",
                        "a ticket matching " + rule.ticketPattern().pattern() + " is required"));
            }
            if (ticket.length() > 200 || !rule.ticketPattern().matcher(ticket).matches()) {
                return Transition.refused(Refusal.invalid(
                        "ticket_invalid",
                        "ticket",
                        "ticket '" + abbreviate(ticket) + "' does not match "
                                + rule.ticketPattern().pattern()));
            }
        } else if (ticket != null && ticket.length() > 200) {
            return Transition.refused(
                    Refusal.invalid("ticket_too_long", "ticket", "the ticket must be at most 200 characters"));
        }
        AccessRequest created = new AccessRequest(
                id,
                requester.username(),
                target.get().name(),
                target.get().kind(),
                draft.login(),
                rule.name(),
                rule.access(),
                duration,
                reason,
                ticket,
                RequestState.PENDING,
                now,
                now.plus(rule.pendingTtl()),
                List.of(),
                null,
                null,
                null,
                null,
                null);
        return new Transition.Applied(
                null,
                created,
                "request.created",
                requester.username(),
                now,
                Map.of(
                        "target",
                        created.target(),
                        "login",
                        created.login(),
                        "duration",
                        Durations.format(duration),
                        "rule",
                        rule.name(),
                        "approvalsRequired",
                        String.valueOf(rule.approvalsRequired())));
    }

    /**
     * Applies an event. {@code rule} is the current policy's rule named by {@link #rule()}, or null when the
     * policy no longer has it (then nothing can be approved, but the request can still be closed).
     */
    public Transition apply(RequestEvent event, Actor actor, Instant now, AccessRule rule) {
        Objects.requireNonNull(event, "event");
        Objects.requireNonNull(actor, "actor");
        Objects.requireNonNull(now, "now");
        if (state.isTerminal()) {
            return Transition.refused(Refusal.conflict(
                    "request_closed",
                    "this request is already " + describe(state) + "; nothing more can happen to it"));
        }
        if (event instanceof RequestEvent.Approve approve) {
            return review(
                    new Review(actor.username(), Review.Decision.APPROVE, trimmed(approve.comment()), now),
                    actor,
                    now,
                    rule,
                    event);
        }
        if (event instanceof RequestEvent.Deny deny) {
            String why = trimmed(deny.reason());
            if (why == null) {
                return Transition.refused(
                        Refusal.invalid("reason_required", "reason", "say why you deny this request"));
            }
            return review(new Review(actor.username(), Review.Decision.DENY, why, now), actor, now, rule, event);
        }
        if (event instanceof RequestEvent.Cancel) {
            if (state != RequestState.PENDING) {
                return Transition.refused(Refusal.conflict(
                        "not_pending", "only a pending request can be cancelled; this one is " + describe(state)));
            }
            if (!actor.username().equals(requester)) {
                return Transition.refused(
                        Refusal.forbidden("not_requester", "only the requester can cancel a request"));
            }
            return end(RequestState.CANCELLED, actor, now, "cancelled by the requester", event);
        }
        if (event instanceof RequestEvent.TimeOut) {
            if (state != RequestState.PENDING) {
                return Transition.refused(Refusal.conflict("not_pending", "only a pending request can time out"));
            }
            if (!actor.automated()) {
                return Transition.refused(Refusal.forbidden("system_only", "only the broker times requests out"));
            }
            if (now.isBefore(pendingUntil)) {
                return Transition.refused(
                        Refusal.conflict("not_due", "this request may wait for approval until " + pendingUntil));
            }
            return end(RequestState.TIMED_OUT, actor, now, "no decision before " + pendingUntil, event);
        }
        if (event instanceof RequestEvent.Expire) {
            if (state != RequestState.ACTIVE) {
                return Transition.refused(Refusal.conflict("not_active", "only an active grant can expire"));
            }
            if (!actor.automated()) {
                return Transition.refused(Refusal.forbidden("system_only", "only the broker expires grants"));
            }
            if (now.isBefore(endsAt)) {
                return Transition.refused(Refusal.conflict("not_due", "this grant runs until " + endsAt));
            }
            return end(RequestState.EXPIRED, actor, now, "reached its end time", event);
        }
        if (event instanceof RequestEvent.Release) {
            if (state != RequestState.ACTIVE) {
                return Transition.refused(Refusal.conflict("not_active", "only an active grant can be released"));
            }
            if (!actor.username().equals(requester)) {
                return Transition.refused(
                        Refusal.forbidden("not_requester", "only the holder of a grant can release it"));
            }
            return end(RequestState.EXPIRED, actor, now, "released early by the requester", event);
        }
        if (event instanceof RequestEvent.Revoke revoke) {
            if (state != RequestState.ACTIVE) {
                return Transition.refused(Refusal.conflict("not_active", "only an active grant can be revoked"));
            }
            if (!actor.automated() && !(actor.enabled() && actor.groups().contains(Roles.ADMINS))) {
                return Transition.refused(
                        Refusal.forbidden("not_an_admin", "revoking a grant needs membership of " + Roles.ADMINS));
            }
            String why = trimmed(revoke.reason());
            if (why == null) {
                return Transition.refused(
                        Refusal.invalid("reason_required", "reason", "say why you revoke this grant"));
            }
            return end(RequestState.REVOKED, actor, now, why, event);
        }
        throw new IllegalArgumentException("unknown event " + event);
    }

    private Transition review(Review review, Actor actor, Instant now, AccessRule rule, RequestEvent event) {
        if (state != RequestState.PENDING) {
            return Transition.refused(Refusal.conflict(
                    "not_pending", "this request is already " + describe(state) + "; it no longer takes reviews"));
        }
        if (!now.isBefore(pendingUntil)) {
            return Transition.refused(Refusal.conflict(
                    "timed_out", "this request waited too long for approval (until " + pendingUntil + ")"));
        }
        Optional<Refusal> refusal = SeparationOfDuties.checkReviewer(this, actor, rule);
        if (refusal.isPresent()) {
            return Transition.refused(refusal.get());
        }
        if (review.comment() != null && review.comment().length() > MAX_TEXT) {
            return Transition.refused(Refusal.invalid(
                    "comment_too_long",
                    review.decision() == Review.Decision.DENY ? "reason" : "comment",
                    "at most " + MAX_TEXT + " characters"));
        }
        List<Review> next = new ArrayList<>(reviews);
        next.add(review);
        long approvals = next.stream()
                .filter(r -> r.decision() == Review.Decision.APPROVE)
                .count();
        long denials =
                next.stream().filter(r -> r.decision() == Review.Decision.DENY).count();
        AccessRequest after;
        if (denials >= rule.denyThreshold()) {
            after = copy(RequestState.DENIED, next, null, null, now, actor.username(), review.comment());
        } else if (approvals >= rule.approvalsRequired()) {
            // A policy tightened after submission still bounds the grant.
            Duration granted = duration.compareTo(rule.maxDuration()) > 0 ? rule.maxDuration() : duration;
            after = copy(RequestState.ACTIVE, next, now, now.plus(granted), null, null, null);
        } else {
            after = copy(state, next, null, null, null, null, null);
        }
        return new Transition.Applied(
                this,
                after,
                event.auditAction(),
                actor.username(),
                now,
                Map.of(
                        "state",
                        after.state().name(),
                        "approvals",
                        approvals + "/" + rule.approvalsRequired(),
                        "comment",
                        review.comment() == null ? "" : review.comment()));
    }

    private Transition end(RequestState terminal, Actor actor, Instant now, String why, RequestEvent event) {
        AccessRequest after = new AccessRequest(
                id,
                requester,
                target,
                kind,
                login,
                rule,
                access,
                duration,
                reason,
                ticket,
                terminal,
                createdAt,
                pendingUntil,
                reviews,
                grantedAt,
                endsAt,
                now,
                actor.username(),
                why);
        return new Transition.Applied(
                this, after, event.auditAction(), actor.username(), now, Map.of("state", terminal.name(), "why", why));
    }

    private AccessRequest copy(
            RequestState next,
            List<Review> nextReviews,
            Instant granted,
            Instant ends,
            Instant ended,
            String endedByUser,
            String why) {
        return new AccessRequest(
                id,
                requester,
                target,
                kind,
                login,
                rule,
                access,
                duration,
                reason,
                ticket,
                next,
                createdAt,
                pendingUntil,
                nextReviews,
                granted != null ? granted : grantedAt,
                ends != null ? ends : endsAt,
                ended,
                endedByUser,
                why);
    }

    public boolean hasReviewed(String username) {
        return reviews.stream().anyMatch(r -> r.reviewer().equals(username));
    }

    public long approvalCount() {
        return reviews.stream()
                .filter(r -> r.decision() == Review.Decision.APPROVE)
                .count();
    }

    public List<String> approvers() {
        return reviews.stream()
                .filter(r -> r.decision() == Review.Decision.APPROVE)
                .map(Review::reviewer)
                .toList();
    }

    /** Whether the grant lets its holder connect at {@code now}: ACTIVE and before its end time. */
    public boolean isLiveAt(Instant now) {
        return state == RequestState.ACTIVE && endsAt != null && now.isBefore(endsAt);
    }

    private static String describe(RequestState s) {
        return switch (s) {
            case PENDING -> "pending";
            case ACTIVE -> "approved and active";
            case EXPIRED -> "expired";
            case REVOKED -> "revoked";
            case DENIED -> "denied";
            case CANCELLED -> "cancelled";
            case TIMED_OUT -> "timed out";
        };
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    private static String trimmed(String s) {
        return blank(s) ? null : s.strip();
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }
}
