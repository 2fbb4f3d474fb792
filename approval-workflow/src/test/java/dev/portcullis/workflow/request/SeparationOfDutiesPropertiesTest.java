package dev.portcullis.workflow.request;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.workflow.policy.AccessRule;
import dev.portcullis.workflow.policy.PolicySet;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tag;
import net.jqwik.api.constraints.Size;

/**
 * Random sequences of events by random people at random times: whatever happens, the separation-of-duties
 * invariants hold at every step.
 */
@Tag("unit")
class SeparationOfDutiesPropertiesTest {

    private static final PolicySet POLICY = Fixtures.policy();
    private static final AccessRule WEB = POLICY.rule("web").orElseThrow();

    /** The cast: the requester, approvers (one disabled, one removed from the group), and bystanders. */
    private static final List<Actor> PEOPLE = List.of(
            Fixtures.ALICE,
            Fixtures.BOB,
            Fixtures.CAROL,
            Fixtures.FRANK,
            Actor.person(
                    "alice", Set.of("/engineers", "/sre-approvers"), true), // the requester, even with approver rights
            Actor.person("gus", Set.of("/sre-approvers"), false),
            Actor.person("hal", Set.of("/engineers"), true),
            Fixtures.DAVE,
            Fixtures.ERIN,
            Actor.system());

    record Step(int kind, int person, int secondsLater) {
        RequestEvent event() {
            return switch (kind) {
                case 0, 1, 2 -> new RequestEvent.Approve(null);
                case 3 -> new RequestEvent.Deny("no");
                case 4 -> new RequestEvent.Cancel();
                case 5 -> new RequestEvent.TimeOut();
                case 6 -> new RequestEvent.Expire();
                case 7 -> new RequestEvent.Release();
                default -> new RequestEvent.Revoke("revoked");
            };
        }
    }

    @Provide
    Arbitrary<Step> steps() {
        return Combinators.combine(
                        Arbitraries.integers().between(0, 8),
                        Arbitraries.integers().between(0, PEOPLE.size() - 1),
                        Arbitraries.integers().between(0, 3000))
                .as(Step::new);
    }

    @Property(tries = 2000)
    void invariantsHoldAfterEveryEvent(@ForAll @Size(max = 25) List<@net.jqwik.api.From("steps") Step> steps) {
        AccessRequest request = Fixtures.pendingWebRequest(Fixtures.ALICE);
        Instant now = Fixtures.T0;
        for (Step step : steps) {
            now = now.plusSeconds(step.secondsLater());
            Actor actor = PEOPLE.get(step.person());
            AccessRequest before = request;
            Transition t = request.apply(step.event(), actor, now, WEB);
            if (t instanceof Transition.Applied applied) {
                request = applied.after();
                assertThat(before.state().isTerminal())
                        .as("nothing happens after a terminal state")
                        .isFalse();
                if (step.event() instanceof RequestEvent.Approve || step.event() instanceof RequestEvent.Deny) {
                    assertThat(actor.username())
                            .as("the requester never reviews")
                            .isNotEqualTo("alice");
                    assertThat(actor.enabled())
                            .as("disabled people never review")
                            .isTrue();
                    assertThat(actor.isMemberOfAny(WEB.approverGroups()))
                            .as("only current approvers review")
                            .isTrue();
                    assertThat(now).as("no review after the pending TTL").isBefore(before.pendingUntil());
                }
            } else {
                assertThat(request).as("a refusal changes nothing").isEqualTo(before);
            }
            checkInvariants(request);
        }
    }

    private static void checkInvariants(AccessRequest r) {
        Set<String> reviewers = new HashSet<>();
        for (Review review : r.reviews()) {
            assertThat(reviewers.add(review.reviewer()))
                    .as("each person reviews at most once")
                    .isTrue();
            assertThat(review.reviewer()).isNotEqualTo(r.requester());
        }
        long approvals = r.approvalCount();
        long denials = r.reviews().size() - approvals;
        switch (r.state()) {
            case PENDING -> {
                assertThat(approvals).isLessThan(WEB.approvalsRequired());
                assertThat(denials).isLessThan(WEB.denyThreshold());
            }
            case ACTIVE -> {
                assertThat(approvals).isEqualTo(WEB.approvalsRequired());
                assertThat(Duration.between(r.grantedAt(), r.endsAt())).isLessThanOrEqualTo(WEB.maxDuration());
            }
            case DENIED -> assertThat(denials).isEqualTo(WEB.denyThreshold());
            case EXPIRED, REVOKED ->
                assertThat(r.grantedAt())
                        .as("only grants expire or are revoked")
                        .isNotNull();
            case CANCELLED, TIMED_OUT -> assertThat(r.grantedAt()).isNull();
        }
        if (r.state().isTerminal()) {
            assertThat(r.endedAt()).isNotNull();
        }
    }
}
