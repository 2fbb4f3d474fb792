package dev.portcullis.workflow.request;

import static dev.portcullis.workflow.request.Fixtures.ALICE;
import static dev.portcullis.workflow.request.Fixtures.BOB;
import static dev.portcullis.workflow.request.Fixtures.CAROL;
import static dev.portcullis.workflow.request.Fixtures.DAVE;
import static dev.portcullis.workflow.request.Fixtures.ERIN;
import static dev.portcullis.workflow.request.Fixtures.FRANK;
import static dev.portcullis.workflow.request.Fixtures.T0;
import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.workflow.policy.AccessRule;
import dev.portcullis.workflow.policy.PolicySet;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

@Tag("unit")
class AccessRequestTest {

    private final PolicySet policy = Fixtures.policy();
    private final AccessRule web = policy.rule("web").orElseThrow();

    static Stream<Arguments> submissions() {
        return Stream.of(
                Arguments.of("valid", ALICE, "prod-web-1", "ubuntu", Duration.ofHours(2), "disk full", "INC-1", null),
                Arguments.of("no target", ALICE, "", "ubuntu", Duration.ofHours(2), "r", "INC-1", "target_required"),
                Arguments.of(
                        "unknown target", ALICE, "nope", "ubuntu", Duration.ofHours(2), "r", "INC-1", "unknown_target"),
                Arguments.of("no login", ALICE, "prod-web-1", " ", Duration.ofHours(2), "r", "INC-1", "login_required"),
                Arguments.of(
                        "login not in rule",
                        ALICE,
                        "prod-web-1",
                        "root",
                        Duration.ofHours(2),
                        "r",
                        "INC-1",
                        "not_allowed"),
                Arguments.of(
                        "group not allowed",
                        BOB,
                        "prod-web-1",
                        "ubuntu",
                        Duration.ofHours(2),
                        "r",
                        "INC-1",
                        "not_allowed"),
                Arguments.of("no duration", ALICE, "prod-web-1", "ubuntu", null, "r", "INC-1", "duration_required"),
                Arguments.of(
                        "negative duration",
                        ALICE,
                        "prod-web-1",
                        "ubuntu",
                        Duration.ofHours(-1),
                        "r",
                        "INC-1",
                        "duration_required"),
                Arguments.of(
                        "too short",
                        ALICE,
                        "prod-web-1",
                        "ubuntu",
                        Duration.ofSeconds(20),
                        "r",
                        "INC-1",
                        "duration_too_short"),
                Arguments.of(
                        "over max",
                        ALICE,
                        "prod-web-1",
                        "ubuntu",
                        Duration.ofHours(5),
                        "r",
                        "INC-1",
                        "duration_too_long"),
                Arguments.of("exactly max", ALICE, "prod-web-1", "ubuntu", Duration.ofHours(4), "r", "INC-1", null),
                Arguments.of(
                        "no reason",
                        ALICE,
                        "prod-web-1",
                        "ubuntu",
                        Duration.ofHours(1),
                        "  ",
                        "INC-1",
                        "reason_required"),
                Arguments.of(
                        "reason too long",
                        ALICE,
                        "prod-web-1",
                        "ubuntu",
                        Duration.ofHours(1),
                        "x".repeat(1001),
                        "INC-1",
                        "reason_too_long"),
                Arguments.of(
                        "no ticket", ALICE, "prod-web-1", "ubuntu", Duration.ofHours(1), "r", null, "ticket_required"),
                Arguments.of(
                        "bad ticket",
                        ALICE,
                        "prod-web-1",
                        "ubuntu",
                        Duration.ofHours(1),
                        "r",
                        "JIRA-1",
                        "ticket_invalid"),
                Arguments.of(
                        "ticket with suffix",
                        ALICE,
                        "prod-web-1",
                        "ubuntu",
                        Duration.ofHours(1),
                        "r",
                        "INC-1; drop",
                        "ticket_invalid"),
                Arguments.of(
                        "optional reason", ALICE, "prod-db", "app_readonly", Duration.ofHours(1), null, null, null),
                Arguments.of(
                        "disabled requester",
                        Actor.person("alice", Set.of("/engineers"), false),
                        "prod-web-1",
                        "ubuntu",
                        Duration.ofHours(1),
                        "r",
                        "INC-1",
                        "requester_disabled"),
                Arguments.of(
                        "system requester",
                        Actor.system(),
                        "prod-web-1",
                        "ubuntu",
                        Duration.ofHours(1),
                        "r",
                        "INC-1",
                        "requester_disabled"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("submissions")
    void submissionIsCheckedAgainstThePolicy(
            String name,
            Actor who,
            String target,
            String login,
            Duration duration,
            String reason,
            String ticket,
            String expectedRefusal) {
        Transition t = AccessRequest.submit(
                UUID.randomUUID(), new RequestDraft(target, login, duration, reason, ticket), who, T0, policy);
        if (expectedRefusal == null) {
            assertThat(t).isInstanceOf(Transition.Applied.class);
            AccessRequest created = ((Transition.Applied) t).after();
            assertThat(created.state()).isEqualTo(RequestState.PENDING);
            assertThat(created.requester()).isEqualTo(who.username());
            assertThat(created.reviews()).isEmpty();
        } else {
            assertThat(t).isInstanceOf(Transition.Refused.class);
            assertThat(((Transition.Refused) t).refusal().code()).isEqualTo(expectedRefusal);
        }
    }

    @Test
    void fieldErrorsNameTheirField() {
        Transition t = AccessRequest.submit(
                UUID.randomUUID(),
                new RequestDraft("prod-web-1", "ubuntu", Duration.ofHours(9), "r", "INC-1"),
                ALICE,
                T0,
                policy);
        Refusal r = ((Transition.Refused) t).refusal();
        assertThat(r.field()).isEqualTo("duration");
        assertThat(r.kind()).isEqualTo(Refusal.Kind.INVALID);
        assertThat(r.message()).contains("at most 4h");
    }

    static Stream<Arguments> reviewers() {
        return Stream.of(
                Arguments.of("requester approving own request", ALICE, "self_review", Refusal.Kind.FORBIDDEN),
                Arguments.of("approver who is also the requester", null, "self_review", Refusal.Kind.FORBIDDEN),
                Arguments.of("member of another approver group", ERIN, "not_an_approver", Refusal.Kind.FORBIDDEN),
                Arguments.of("auditor", DAVE, "not_an_approver", Refusal.Kind.FORBIDDEN),
                Arguments.of(
                        "disabled approver",
                        Actor.person("bob", Set.of("/sre-approvers"), false),
                        "reviewer_disabled",
                        Refusal.Kind.FORBIDDEN),
                Arguments.of(
                        "approver removed from group",
                        Actor.person("bob", Set.of(), true),
                        "not_an_approver",
                        Refusal.Kind.FORBIDDEN),
                Arguments.of("automation", Actor.system(), "reviewer_not_a_person", Refusal.Kind.FORBIDDEN),
                Arguments.of("eligible approver", BOB, null, null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("reviewers")
    void separationOfDutiesDecidesWhoMayApprove(String name, Actor reviewer, String code, Refusal.Kind kind) {
        Actor requester = reviewer == null ? FRANK : ALICE;
        Actor who = reviewer == null ? FRANK : reviewer;
        AccessRequest pending = Fixtures.pendingWebRequest(requester);
        for (RequestEvent event : new RequestEvent[] {new RequestEvent.Approve("ok"), new RequestEvent.Deny("no")}) {
            Transition t = pending.apply(event, who, T0.plusSeconds(60), web);
            if (code == null) {
                assertThat(t).isInstanceOf(Transition.Applied.class);
            } else {
                Refusal refusal = ((Transition.Refused) t).refusal();
                assertThat(refusal.code()).isEqualTo(code);
                assertThat(refusal.kind()).isEqualTo(kind);
            }
        }
    }

    @Test
    void twoDistinctApproversActivateTheGrantForTheRequestedDuration() {
        AccessRequest pending = Fixtures.pendingWebRequest(ALICE);
        AccessRequest afterBob = applied(pending.apply(new RequestEvent.Approve("lgtm"), BOB, T0.plusSeconds(10), web));
        assertThat(afterBob.state()).isEqualTo(RequestState.PENDING);
        assertThat(afterBob.approvers()).containsExactly("bob");

        Transition again = afterBob.apply(new RequestEvent.Approve("again"), BOB, T0.plusSeconds(20), web);
        assertThat(((Transition.Refused) again).refusal().code()).isEqualTo("already_reviewed");

        Instant approvedAt = T0.plusSeconds(30);
        AccessRequest active = applied(afterBob.apply(new RequestEvent.Approve(null), CAROL, approvedAt, web));
        assertThat(active.state()).isEqualTo(RequestState.ACTIVE);
        assertThat(active.grantedAt()).isEqualTo(approvedAt);
        assertThat(active.endsAt()).isEqualTo(approvedAt.plus(Duration.ofHours(2)));
        assertThat(active.isLiveAt(approvedAt.plusSeconds(1))).isTrue();
        assertThat(active.isLiveAt(active.endsAt())).isFalse();
    }

    @Test
    void oneDenyClosesTheRequestAndNothingHappensAfterwards() {
        AccessRequest pending = Fixtures.pendingWebRequest(ALICE);
        AccessRequest approvedOnce = applied(pending.apply(new RequestEvent.Approve(null), BOB, T0, web));
        Transition noReason = approvedOnce.apply(new RequestEvent.Deny(" "), CAROL, T0, web);
        assertThat(((Transition.Refused) noReason).refusal().code()).isEqualTo("reason_required");

        AccessRequest denied =
                applied(approvedOnce.apply(new RequestEvent.Deny("not during the freeze"), CAROL, T0, web));
        assertThat(denied.state()).isEqualTo(RequestState.DENIED);
        assertThat(denied.endReason()).isEqualTo("not during the freeze");
        for (RequestEvent e : new RequestEvent[] {
            new RequestEvent.Approve(null),
            new RequestEvent.Cancel(),
            new RequestEvent.TimeOut(),
            new RequestEvent.Revoke("x"),
            new RequestEvent.Expire(),
            new RequestEvent.Release()
        }) {
            Transition t = denied.apply(e, FRANK, T0.plusSeconds(5), web);
            assertThat(((Transition.Refused) t).refusal().code())
                    .as(e.toString())
                    .isEqualTo("request_closed");
        }
    }

    @Test
    void denyThresholdAboveOneNeedsThatManyDenials() {
        AccessRule db = policy.rule("db").orElseThrow();
        Actor dba2 = Actor.person("gina", Set.of("/dba-approvers"), true);
        AccessRequest pending = applied(AccessRequest.submit(
                UUID.randomUUID(),
                new RequestDraft("prod-db", "app_readonly", Duration.ofMinutes(30), null, null),
                ALICE,
                T0,
                policy));
        AccessRequest oneDeny = applied(pending.apply(new RequestEvent.Deny("hmm"), ERIN, T0, db));
        assertThat(oneDeny.state()).isEqualTo(RequestState.PENDING);
        AccessRequest denied = applied(oneDeny.apply(new RequestEvent.Deny("no"), dba2, T0, db));
        assertThat(denied.state()).isEqualTo(RequestState.DENIED);
    }

    @Test
    void pendingRequestsTimeOutOnlyWhenDueAndOnlyByTheBroker() {
        AccessRequest pending = Fixtures.pendingWebRequest(ALICE);
        assertThat(pending.pendingUntil()).isEqualTo(T0.plus(Duration.ofHours(1)));
        assertThat(code(pending.apply(new RequestEvent.TimeOut(), Actor.system(), T0.plusSeconds(3599), web)))
                .isEqualTo("not_due");
        assertThat(code(pending.apply(new RequestEvent.TimeOut(), BOB, T0.plusSeconds(3600), web)))
                .isEqualTo("system_only");
        assertThat(code(pending.apply(new RequestEvent.Approve(null), BOB, T0.plusSeconds(3600), web)))
                .isEqualTo("timed_out");
        assertThat(applied(pending.apply(new RequestEvent.TimeOut(), Actor.system(), T0.plusSeconds(3600), web))
                        .state())
                .isEqualTo(RequestState.TIMED_OUT);
    }

    @Test
    void onlyTheRequesterCancelsAndOnlyWhilePending() {
        AccessRequest pending = Fixtures.pendingWebRequest(ALICE);
        assertThat(code(pending.apply(new RequestEvent.Cancel(), BOB, T0, web))).isEqualTo("not_requester");
        AccessRequest cancelled = applied(pending.apply(new RequestEvent.Cancel(), ALICE, T0, web));
        assertThat(cancelled.state()).isEqualTo(RequestState.CANCELLED);
        assertThat(code(cancelled.apply(new RequestEvent.Approve(null), BOB, T0, web)))
                .isEqualTo("request_closed");
    }

    @Test
    void grantsEndByExpiryReleaseOrRevoke() {
        AccessRequest active = activeGrant();
        assertThat(code(active.apply(new RequestEvent.Cancel(), ALICE, T0, web)))
                .isEqualTo("not_pending");
        assertThat(code(active.apply(
                        new RequestEvent.Expire(),
                        Actor.system(),
                        active.endsAt().minusSeconds(1),
                        web)))
                .isEqualTo("not_due");
        assertThat(applied(active.apply(new RequestEvent.Expire(), Actor.system(), active.endsAt(), web))
                        .state())
                .isEqualTo(RequestState.EXPIRED);

        assertThat(code(active.apply(new RequestEvent.Release(), BOB, T0, web))).isEqualTo("not_requester");
        AccessRequest released = applied(active.apply(new RequestEvent.Release(), ALICE, T0.plusSeconds(100), web));
        assertThat(released.state()).isEqualTo(RequestState.EXPIRED);
        assertThat(released.endReason()).contains("released early");

        assertThat(code(active.apply(new RequestEvent.Revoke("x"), BOB, T0, web)))
                .isEqualTo("not_an_admin");
        assertThat(code(active.apply(new RequestEvent.Revoke(""), ERIN, T0, web)))
                .isEqualTo("reason_required");
        AccessRequest revoked =
                applied(active.apply(new RequestEvent.Revoke("left the company"), ERIN, T0.plusSeconds(200), web));
        assertThat(revoked.state()).isEqualTo(RequestState.REVOKED);
        assertThat(revoked.endedBy()).isEqualTo("erin");
    }

    @Test
    void aTightenedPolicyStillBoundsTheGrantAndARemovedRuleBlocksApproval() {
        AccessRequest afterBob =
                applied(Fixtures.pendingWebRequest(ALICE).apply(new RequestEvent.Approve(null), BOB, T0, web));
        AccessRule tighter = new AccessRule(
                web.name(),
                web.requesterGroups(),
                web.targetNames(),
                web.targetLabels(),
                web.logins(),
                Duration.ofMinutes(30),
                web.reasonRequired(),
                web.ticketPattern(),
                2,
                web.approverGroups(),
                1,
                web.pendingTtl(),
                null,
                web.access(),
                web.session());
        AccessRequest active = applied(afterBob.apply(new RequestEvent.Approve(null), CAROL, T0, tighter));
        assertThat(Duration.between(active.grantedAt(), active.endsAt())).isEqualTo(Duration.ofMinutes(30));

        assertThat(code(afterBob.apply(new RequestEvent.Approve(null), CAROL, T0, null)))
                .isEqualTo("rule_removed");
        assertThat(applied(afterBob.apply(new RequestEvent.Cancel(), ALICE, T0, null))
                        .state())
                .isEqualTo(RequestState.CANCELLED);
    }

    private AccessRequest activeGrant() {
        AccessRequest pending = Fixtures.pendingWebRequest(ALICE);
        AccessRequest one = applied(pending.apply(new RequestEvent.Approve(null), BOB, T0, web));
        return applied(one.apply(new RequestEvent.Approve(null), CAROL, T0, web));
    }

    static AccessRequest applied(Transition t) {
        assertThat(t).as("expected the transition to apply").isInstanceOf(Transition.Applied.class);
        return ((Transition.Applied) t).after();
    }

    static String code(Transition t) {
        assertThat(t).as("expected a refusal").isInstanceOf(Transition.Refused.class);
        return ((Transition.Refused) t).refusal().code();
    }
}
