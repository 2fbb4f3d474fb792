package dev.portcullis.workflow.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("unit")
class PolicyLoaderTest {

    private static final String GOOD = """
            version: 1
            targets:
              - name: prod-web-1
                kind: ssh
                host: 10.0.0.1
                labels: {env: prod}
              - name: prod-db
                kind: postgres
                host: db.internal
                port: 6432
                database: orders
            rules:
              - name: web
                requesters: [engineers]
                targetLabels: {env: prod}
                logins: [ubuntu, deploy]
                maxDuration: 2h30m
                ticket: "INC-[0-9]+"
                approvals: {required: 2, from: [sre-approvers]}
              - name: db
                requesters: [engineers, sre]
                targets: [prod-db]
                logins: [app_readonly]
                maxDuration: PT8H
                reason: optional
                approvals: {required: 1, from: [dba-approvers]}
                access: read
                jitGroup: jit/prod-db-readers
                pendingTtl: 30m
            """;

    @Test
    void loadsTargetsAndRulesWithDefaults() throws Exception {
        PolicySet policy = PolicyLoader.parse("good.yaml", GOOD);
        Target web = policy.target("prod-web-1").orElseThrow();
        assertThat(web.kind()).isEqualTo(TargetKind.SSH);
        assertThat(web.port()).isEqualTo(22);
        assertThat(policy.target("prod-db").orElseThrow().port()).isEqualTo(6432);

        AccessRule rule = policy.rule("web").orElseThrow();
        assertThat(rule.maxDuration()).isEqualTo(Duration.ofMinutes(150));
        assertThat(rule.reasonRequired()).isTrue();
        assertThat(rule.denyThreshold()).isEqualTo(1);
        assertThat(rule.pendingTtl()).isEqualTo(Duration.ofHours(24));
        assertThat(rule.access()).isEqualTo(AccessLevel.WRITE);
        AccessRule db = policy.rule("db").orElseThrow();
        assertThat(db.access()).isEqualTo(AccessLevel.READ);
        assertThat(db.jitGroup()).isEqualTo("/jit/prod-db-readers");
        assertThat(db.reasonRequired()).isFalse();
    }

    @Test
    void requestOptionsFollowGroupsTargetsAndLogins() throws Exception {
        PolicySet policy = PolicyLoader.parse("good.yaml", GOOD);
        assertThat(policy.optionsFor(Set.of("/engineers")))
                .extracting(o ->
                        o.login() + "@" + o.target().name() + " via " + o.rule().name())
                .containsExactly(
                        "app_readonly@prod-db via db", "deploy@prod-web-1 via web", "ubuntu@prod-web-1 via web");
        assertThat(policy.optionsFor(Set.of("/sre")))
                .extracting(o -> o.target().name())
                .containsExactly("prod-db");
        assertThat(policy.optionsFor(Set.of("/auditors"))).isEmpty();
        Target web = policy.target("prod-web-1").orElseThrow();
        assertThat(policy.ruleFor(Set.of("/engineers"), web, "root")).isEmpty();
    }

    @Test
    void theShippedExamplePolicyLoads() throws Exception {
        Path shipped = Path.of("..", "deploy", "policies", "policies.yaml");
        PolicySet policy = PolicyLoader.load(shipped);
        assertThat(policy.targets()).isNotEmpty();
        assertThat(policy.rules())
                .allSatisfy(r -> assertThat(r.approvalsRequired()).isPositive());
    }

    @Test
    void reportsEveryErrorWithItsLine() {
        String broken = """
                version: 1
                targets:
                  - name: prod-web-1
                    kind: telnet
                    host: 10.0.0.1
                  - name: Bad Name
                    kind: ssh
                    host: 10.0.0.2
                    port: 70000
                rules:
                  - name: web
                    requesters: [engineers]
                    targets: [prod-web-9]
                    logins: [ubuntu, "Root!"]
                    maxDuration: forever
                    ticket: "INC-[0-9"
                    approval: {required: 2, from: [sre-approvers]}
                """;
        PolicyException e =
                catchThrowableOfType(PolicyException.class, () -> PolicyLoader.parse("broken.yaml", broken));
        assertThat(e.errors())
                .extracting(PolicyError::toString)
                .containsExactlyInAnyOrder(
                        "line 4: unknown target kind 'telnet' (expected ssh or postgres)",
                        "line 6: target name 'Bad Name' must match " + PolicyLoader.NAME.pattern(),
                        "line 9: port 70000 is outside 1-65535",
                        "line 13: rule 'web' names unknown target 'prod-web-9'",
                        "line 14: login 'Root!' must match " + PolicyLoader.LOGIN.pattern(),
                        "line 15: maxDuration 'forever' is not a duration like 30m, 2h or 1d",
                        "line 16: ticket pattern is not a valid regular expression: Unclosed character class",
                        "line 17: unknown key 'approval' in a rule (allowed: access, approvals, denyThreshold, jitGroup, logins, maxDuration, name, pendingTtl, reason, requesters, retention, session, targetLabels, targets, ticket)",
                        "line 11: missing 'approvals'");
        assertThat(e.getMessage()).contains("broken.yaml:line 4:");
    }

    @Test
    void refusesUnsafeOrAmbiguousInput() {
        assertThat(errorsOf("")).containsExactly("the policy is empty");
        assertThat(errorsOf("targets: [")).singleElement().asString().startsWith("line 1: not valid YAML");
        assertThat(errorsOf("- just a list")).containsExactly("line 1: the policy must be a mapping of keys to values");
        assertThat(errorsOf("version: 2\ntargets: []\nrules: []"))
                .containsExactly("line 1: unsupported policy version 2 (this broker reads version 1)");
        assertThat(errorsOf("targets: []\ntargets: []\nrules: []"))
                .containsExactly("line 2: duplicate key 'targets' in the policy");
        assertThat(errorsOf("targets: &t []\nrules: *t"))
                .containsExactly("line 1: YAML anchors and aliases are not supported in policy files");
        assertThat(errorsOf("rules: []")).containsExactly("line 1: missing 'targets'");
        String badSession = """
                targets: [{name: t, kind: ssh, host: h}]
                rules:
                  - {name: r, requesters: [e], targets: [t], logins: [u], maxDuration: 1h, approvals: {required: 1, from: [a]},
                     session: {portForwarding: yes please, x11: true}}
                """;
        assertThat(errorsOf(badSession))
                .containsExactlyInAnyOrder(
                        "line 4: unknown key 'x11' in session (allowed: agentForwarding, portForwarding, recordInput, recordQueryParameters)",
                        "line 4: session.portForwarding must be true or false");
    }

    @Test
    void retentionIsWholeDaysAndAbsentMeansForEver() throws Exception {
        String rules = """
                targets: [{name: t, kind: ssh, host: h}]
                rules:
                  - {name: kept, requesters: [e], targets: [t], logins: [u], maxDuration: 1h, approvals: {required: 1, from: [a]},
                     retention: 90d}
                  - {name: forever, requesters: [e], targets: [t], logins: [u], maxDuration: 1h, approvals: {required: 1, from: [a]}}
                """;
        PolicySet policy = PolicyLoader.parse("p.yaml", rules);
        assertThat(policy.rule("kept").orElseThrow().retention()).isEqualTo(Duration.ofDays(90));
        assertThat(policy.rule("forever").orElseThrow().retention()).isNull();
        for (String bad :
                List.of("90", "30m", "0d", "-1d", "1.5d", "P90D", "90D", "36501d", "[90d]", "''", "forever")) {
            String rule =
                    "targets: [{name: t, kind: ssh, host: h}]\nrules:\n  - {name: r, requesters: [e], targets: [t], "
                            + "logins: [u], maxDuration: 1h, approvals: {required: 1, from: [a]}, retention: " + bad
                            + "}\n";
            assertThat(errorsOf(rule))
                    .as(bad)
                    .singleElement()
                    .asString()
                    .startsWith("line 3: retention ")
                    .endsWith("must be a number of days from 1d to 36500d (leave it out to keep recordings for ever)");
        }
    }

    @Test
    void rejectsRulesThatWouldLetThroughByDefault() {
        String zeroApprovals = """
                targets: [{name: t, kind: ssh, host: h}]
                rules:
                  - {name: r, requesters: [e], targets: [t], logins: [u], maxDuration: 1h, approvals: {required: 0, from: [a]}}
                  - {name: s, requesters: [], targets: [t], logins: [u], maxDuration: 40d, approvals: {required: 1, from: []}}
                  - {name: s2, requesters: [e], targetLabels: {env: nowhere}, logins: [u], maxDuration: 1h, approvals: {required: 1, from: [a]}}
                """;
        assertThat(errorsOf(zeroApprovals))
                .containsExactlyInAnyOrder(
                        "line 3: approvals.required must be between 1 and 10",
                        "line 4: requesters must name at least one group",
                        "line 4: maxDuration must be between 1m and 30d",
                        "line 4: approvals.from must name at least one group",
                        "line 5: rule 's2': targetLabels {env=nowhere} match no target");
    }

    @Test
    void readAccessOnAnSshTargetIsAnErrorNotASilentWrite() {
        String readSsh = """
                targets:
                  - {name: web, kind: ssh, host: h, labels: {env: prod}}
                  - {name: db, kind: postgres, host: h, database: d}
                rules:
                  - {name: r, requesters: [e], targets: [web], logins: [u], maxDuration: 1h, approvals: {required: 1, from: [a]},
                     access: read}
                  - {name: l, requesters: [e], targetLabels: {env: prod}, logins: [u], maxDuration: 1h,
                     approvals: {required: 1, from: [a]}, access: read}
                  - {name: ok, requesters: [e], targets: [db], logins: [u], maxDuration: 1h, approvals: {required: 1, from: [a]},
                     access: read}
                """;
        assertThat(errorsOf(readSsh))
                .containsExactlyInAnyOrder(
                        "line 6: rule 'r': access: read applies to PostgreSQL targets only, and SSH target 'web' cannot be made read-only",
                        "line 8: rule 'l': access: read applies to PostgreSQL targets only, and SSH target 'web' cannot be made read-only");
    }

    @Test
    void groupsAreFullPathsAndABareNameIsATopLevelPath() throws Exception {
        String yaml = """
                targets: [{name: t, kind: ssh, host: h}]
                rules:
                  - {name: r, requesters: [engineers, /teams/web/engineers], targets: [t], logins: [u], maxDuration: 1h,
                     approvals: {required: 1, from: [/sre-approvers, teams/web/approvers]}}
                """;
        AccessRule rule = PolicyLoader.parse("p.yaml", yaml).rule("r").orElseThrow();
        assertThat(rule.requesterGroups()).containsExactlyInAnyOrder("/engineers", "/teams/web/engineers");
        assertThat(rule.approverGroups()).containsExactlyInAnyOrder("/sre-approvers", "/teams/web/approvers");
        // a group that only shares the leaf name of an approver group is another group
        assertThat(rule.isApprover(Set.of("/teams/x/sre-approvers"))).isFalse();
        assertThat(rule.appliesToRequester(Set.of("/teams/x/engineers", "engineers")))
                .isFalse();
        assertThat(errorsOf(yaml.replace("/sre-approvers", "//sre-approvers")))
                .containsExactly(
                        "line 4: approvals.from: '//sre-approvers' is not a group path like /engineers or /teams/web/approvers");
    }

    @Test
    void jitGroupsMustLieBelowTheJitParent() throws Exception {
        String yaml = """
                targets: [{name: t, kind: ssh, host: h}]
                rules:
                  - {name: r, requesters: [engineers], targets: [t], logins: [u], maxDuration: 1h,
                     approvals: {required: 1, from: [sre-approvers]}, jitGroup: JIT}
                """;
        assertThat(errorsOf(yaml.replace("JIT", "/admins")))
                .containsExactly(
                        "line 4: jitGroup '/admins' must be a group below /jit (portcullis.jit.parent); the broker manages the members of no other group");
        assertThat(errorsOf(yaml.replace("JIT", "admins"))).hasSize(1);
        assertThat(errorsOf(yaml.replace("JIT", "/jit")))
                .as("the parent itself")
                .hasSize(1);
        assertThat(errorsOf(yaml.replace("JIT", "/jitters/db")))
                .as("a sibling that shares a prefix")
                .hasSize(1);
        assertThat(PolicyLoader.parse("p.yaml", yaml.replace("JIT", "/jit/db"))
                        .rule("r")
                        .orElseThrow()
                        .jitGroup())
                .isEqualTo("/jit/db");
        assertThat(PolicyLoader.parse("p.yaml", yaml.replace("JIT", "/ops/jit/db"), "/ops/jit")
                        .rule("r")
                        .orElseThrow()
                        .jitGroup())
                .isEqualTo("/ops/jit/db");
        assertThatThrownBy(() -> PolicyLoader.parse("p.yaml", yaml, "jit"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("group path like /jit");
    }

    @Test
    void duplicateNamesAreErrors() {
        String dup = """
                targets:
                  - {name: t, kind: ssh, host: h}
                  - {name: t, kind: ssh, host: h2}
                  - {name: db, kind: postgres, host: h}
                rules: []
                """;
        assertThat(errorsOf(dup))
                .containsExactlyInAnyOrder(
                        "line 3: duplicate target name 't' (first defined on line 2)",
                        "line 4: postgres target 'db' needs a database");
    }

    @Test
    void unreadableFileIsAClearError(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> PolicyLoader.load(dir.resolve("missing.yaml")))
                .isInstanceOf(PolicyException.class)
                .hasMessageContaining("cannot read");
        Path big = dir.resolve("big.yaml");
        Files.writeString(big, "#".repeat(2 << 20));
        assertThatThrownBy(() -> PolicyLoader.load(big)).hasMessageContaining("larger than 1 MiB");
    }

    private static java.util.List<String> errorsOf(String yaml) {
        try {
            PolicyLoader.parse("p.yaml", yaml);
            throw new AssertionError("expected errors");
        } catch (PolicyException e) {
            return e.errors().stream().map(PolicyError::toString).toList();
        }
    }
}
