package dev.portcullis.workflow.grant;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.workflow.policy.AccessLevel;
import dev.portcullis.workflow.policy.AccessRule;
import dev.portcullis.workflow.policy.PolicyLoader;
import dev.portcullis.workflow.policy.PolicySet;
import dev.portcullis.workflow.policy.TargetKind;
import dev.portcullis.workflow.request.AccessRequest;
import dev.portcullis.workflow.request.Actor;
import dev.portcullis.workflow.request.RequestState;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class GrantLifecycleRulesTest {

    private static final Instant NOW = Instant.parse("2026-11-23T10:00:00Z");

    private final PolicySet policy = policy();
    private final AccessRule db = policy.rule("db-write").orElseThrow();

    @Test
    void aGrantContinuesWhileItsHolderCouldStillAskForIt() {
        AccessRequest grant = grant("alice", "db-write", RequestState.ACTIVE);
        assertThat(GrantVerification.reasonToRevoke(
                        grant, Optional.of(Actor.person("alice", Set.of("/engineers"), true)), db))
                .isEmpty();
        assertThat(GrantVerification.reasonToRevoke(
                        grant, Optional.of(Actor.person("alice", Set.of("/engineers"), false)), db))
                .contains("continuous verification: alice is disabled in the directory");
        assertThat(GrantVerification.reasonToRevoke(
                        grant, Optional.of(Actor.person("alice", Set.of("/auditors"), true)), db))
                .contains("continuous verification: alice is no longer a member of /engineers");
        assertThat(GrantVerification.reasonToRevoke(
                        grant, "id-1", Optional.of(Actor.person("alice", Set.of("/engineers"), true, "id-1")), db))
                .isEmpty();
        assertThat(GrantVerification.reasonToRevoke(
                        grant, "id-1", Optional.of(Actor.person("alice", Set.of("/engineers"), true, "id-2")), db))
                .contains(
                        "continuous verification: the account now named alice is not the one that asked for this grant");
        assertThat(GrantVerification.reasonToRevoke(grant, Optional.empty(), db))
                .contains("continuous verification: alice no longer exists in the directory");
        assertThat(GrantVerification.reasonToRevoke(
                        grant, Optional.of(Actor.person("alice", Set.of("/engineers"), true)), null))
                .contains("continuous verification: the policy rule 'db-write' no longer exists");
        AccessRequest ended = grant("alice", "db-write", RequestState.EXPIRED);
        assertThat(GrantVerification.reasonToRevoke(ended, Optional.empty(), db))
                .isEmpty();
    }

    @Test
    void jitGroupsHoldExactlyTheHoldersOfActiveGrants() {
        Map<String, Set<String>> members = Map.of("/jit/db-admins", Set.of("bob", "mallory"));
        List<AccessRequest> grants = List.of(
                grant("alice", "db-write", RequestState.ACTIVE),
                grant("bob", "db-write", RequestState.ACTIVE),
                grant("carol", "db-write", RequestState.EXPIRED),
                grant("dave", "web", RequestState.ACTIVE));
        assertThat(JitMembershipPlan.plan(members, grants, policy))
                .containsExactly(
                        new JitMembershipPlan.Change(JitMembershipPlan.Kind.ADD, "alice", "/jit/db-admins"),
                        new JitMembershipPlan.Change(JitMembershipPlan.Kind.REMOVE, "mallory", "/jit/db-admins"));
        assertThat(JitMembershipPlan.plan(Map.of("/jit/db-admins", Set.of("alice", "bob")), grants, policy))
                .as("idempotent")
                .isEmpty();
        assertThat(JitMembershipPlan.groups(policy)).containsExactly("/jit/db-admins");
    }

    private static AccessRequest grant(String who, String rule, RequestState state) {
        return new AccessRequest(
                UUID.randomUUID(),
                who,
                "prod-db",
                TargetKind.POSTGRES,
                "app_admin",
                rule,
                AccessLevel.WRITE,
                Duration.ofHours(1),
                "r",
                null,
                state,
                NOW,
                NOW.plusSeconds(3600),
                List.of(),
                NOW,
                NOW.plusSeconds(3600),
                state.isTerminal() ? NOW : null,
                null,
                null);
    }

    private static PolicySet policy() {
        try {
            return PolicyLoader.parse("p.yaml", """
                    targets:
                      - {name: prod-db, kind: postgres, host: h, database: orders}
                      - {name: web, kind: ssh, host: h}
                    rules:
                      - {name: db-write, requesters: [engineers], targets: [prod-db], logins: [app_admin], maxDuration: 1h,
                         approvals: {required: 1, from: [dba-approvers]}, jitGroup: jit/db-admins}
                      - {name: web, requesters: [engineers], targets: [web], logins: [ubuntu], maxDuration: 1h,
                         approvals: {required: 1, from: [sre-approvers]}}
                    """);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
