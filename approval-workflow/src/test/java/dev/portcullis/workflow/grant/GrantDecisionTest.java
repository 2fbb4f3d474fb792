package dev.portcullis.workflow.grant;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.workflow.policy.AccessLevel;
import dev.portcullis.workflow.policy.PolicyLoader;
import dev.portcullis.workflow.policy.PolicySet;
import dev.portcullis.workflow.policy.SessionOptions;
import dev.portcullis.workflow.policy.TargetKind;
import dev.portcullis.workflow.port.GrantAuthority.Allowed;
import dev.portcullis.workflow.port.GrantAuthority.Ask;
import dev.portcullis.workflow.port.GrantAuthority.Decision;
import dev.portcullis.workflow.port.GrantAuthority.Refused;
import dev.portcullis.workflow.port.GrantAuthority.Use;
import dev.portcullis.workflow.request.AccessRequest;
import dev.portcullis.workflow.request.RequestState;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class GrantDecisionTest {

    private static final Instant NOW = Instant.parse("2026-11-23T10:00:00Z");
    private final PolicySet policy = policy();

    @Test
    void onlyALiveGrantForExactlyThisPersonTargetAndLoginOpensASession() {
        AccessRequest grant = request("alice", "web", "ubuntu", "web-rule", RequestState.ACTIVE, NOW.plusSeconds(600));
        Decision allowed =
                GrantDecision.decide(new Ask("alice", "web", "ubuntu", Use.SHELL), List.of(grant), policy, NOW);
        assertThat(allowed).isInstanceOf(Allowed.class);
        ActiveGrant active = ((Allowed) allowed).grant();
        assertThat(active.requestId()).isEqualTo(grant.id());
        assertThat(active.target().host()).isEqualTo("10.0.0.5");
        assertThat(active.endsAt()).isEqualTo(NOW.plusSeconds(600));
        assertThat(active.session()).isEqualTo(new SessionOptions(true, false, false));

        assertThat(code(new Ask("alice", "web", "root", Use.SHELL), grant)).isEqualTo("no_grant");
        assertThat(code(new Ask("mallory", "web", "ubuntu", Use.SHELL), grant)).isEqualTo("no_grant");
        assertThat(code(new Ask("alice", "elsewhere", "ubuntu", Use.SHELL), grant))
                .isEqualTo("unknown_target");
        assertThat(((Refused) GrantDecision.decide(
                                new Ask("alice", "web", "root", Use.SHELL), List.of(grant), policy, NOW))
                        .message())
                .isEqualTo("no active grant for root@web");
    }

    @Test
    void endedPendingAndOverdueGrantsOpenNothing() {
        for (RequestState state :
                List.of(RequestState.PENDING, RequestState.EXPIRED, RequestState.REVOKED, RequestState.DENIED)) {
            assertThat(code(
                            new Ask("alice", "web", "ubuntu", Use.SESSION),
                            request("alice", "web", "ubuntu", "web-rule", state, NOW.plusSeconds(600))))
                    .as(state.name())
                    .isEqualTo("no_grant");
        }
        assertThat(code(
                        new Ask("alice", "web", "ubuntu", Use.SESSION),
                        request("alice", "web", "ubuntu", "web-rule", RequestState.ACTIVE, NOW)))
                .as("ends exactly now")
                .isEqualTo("no_grant");
    }

    @Test
    void forwardingNeedsTheRuleToAllowItAndProtocolsDoNotMix() {
        AccessRequest web = request("alice", "web", "ubuntu", "web-rule", RequestState.ACTIVE, NOW.plusSeconds(600));
        assertThat(GrantDecision.decide(
                        new Ask("alice", "web", "ubuntu", Use.PORT_FORWARDING), List.of(web), policy, NOW))
                .isInstanceOf(Allowed.class);
        assertThat(code(new Ask("alice", "web", "ubuntu", Use.AGENT_FORWARDING), web))
                .isEqualTo("agent_forwarding_refused");
        assertThat(code(new Ask("alice", "web", "ubuntu", Use.DATABASE), web)).isEqualTo("wrong_protocol");

        AccessRequest db = request("alice", "db", "app_readonly", "db-rule", RequestState.ACTIVE, NOW.plusSeconds(600));
        assertThat(code(new Ask("alice", "db", "app_readonly", Use.PORT_FORWARDING), db))
                .isEqualTo("wrong_protocol");
        assertThat(GrantDecision.decide(new Ask("alice", "db", "app_readonly", Use.DATABASE), List.of(db), policy, NOW))
                .isInstanceOf(Allowed.class);
        AccessRequest orphan =
                request("alice", "db", "app_readonly", "gone", RequestState.ACTIVE, NOW.plusSeconds(600));
        assertThat(code(new Ask("alice", "db", "app_readonly", Use.DATABASE), orphan))
                .isEqualTo("rule_removed");
    }

    @Test
    void theRuleDefaultsKeepForwardingOffAndInputRecorded() {
        assertThat(policy.rule("db-rule").orElseThrow().session()).isEqualTo(SessionOptions.DEFAULT);
        assertThat(SessionOptions.DEFAULT.recordQueryParameters())
                .as("query parameters are recorded unless a rule says not")
                .isTrue();
        assertThat(policy.rule("db-private").orElseThrow().session().recordQueryParameters())
                .isFalse();
        assertThat(SessionOptions.DEFAULT).isEqualTo(new SessionOptions(false, false, true));
    }

    private String code(Ask ask, AccessRequest request) {
        Decision d = GrantDecision.decide(ask, List.of(request), policy, NOW);
        assertThat(d).isInstanceOf(Refused.class);
        return ((Refused) d).code();
    }

    private static AccessRequest request(
            String who, String target, String login, String rule, RequestState state, Instant endsAt) {
        TargetKind kind = target.equals("db") ? TargetKind.POSTGRES : TargetKind.SSH;
        return new AccessRequest(
                UUID.randomUUID(),
                who,
                target,
                kind,
                login,
                rule,
                AccessLevel.WRITE,
                Duration.ofMinutes(10),
                "r",
                null,
                state,
                NOW.minusSeconds(60),
                NOW,
                List.of(),
                NOW.minusSeconds(30),
                endsAt,
                state.isTerminal() ? NOW : null,
                null,
                null);
    }

    private static PolicySet policy() {
        try {
            return PolicyLoader.parse("p.yaml", """
                    targets:
                      - {name: web, kind: ssh, host: 10.0.0.5}
                      - {name: db, kind: postgres, host: 10.0.0.6, database: orders}
                    rules:
                      - {name: web-rule, requesters: [engineers], targets: [web], logins: [ubuntu], maxDuration: 1h,
                         approvals: {required: 1, from: [sre-approvers]}, session: {portForwarding: true, recordInput: false}}
                      - {name: db-rule, requesters: [engineers], targets: [db], logins: [app_readonly], maxDuration: 1h,
                         approvals: {required: 1, from: [dba-approvers]}}
                      - {name: db-private, requesters: [engineers], targets: [db], logins: [app_private], maxDuration: 1h,
                         approvals: {required: 1, from: [dba-approvers]}, session: {recordQueryParameters: false}}
                    """);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
