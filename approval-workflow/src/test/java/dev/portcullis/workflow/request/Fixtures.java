package dev.portcullis.workflow.request;

import dev.portcullis.workflow.policy.PolicyException;
import dev.portcullis.workflow.policy.PolicyLoader;
import dev.portcullis.workflow.policy.PolicySet;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.UUID;

/** A small policy and the people of the demo realm, for the domain's unit tests. */
final class Fixtures {

    static final Instant T0 = Instant.parse("2026-11-23T10:00:00Z");

    static final String POLICY = """
            version: 1
            targets:
              - {name: prod-web-1, kind: ssh, host: 10.0.0.1, labels: {env: prod}}
              - {name: prod-db, kind: postgres, host: 10.0.0.2, database: orders}
            rules:
              - name: web
                requesters: [engineers]
                targetLabels: {env: prod}
                logins: [ubuntu]
                maxDuration: 4h
                ticket: "INC-[0-9]+"
                approvals: {required: 2, from: [sre-approvers]}
                pendingTtl: 1h
              - name: db
                requesters: [engineers]
                targets: [prod-db]
                logins: [app_readonly]
                maxDuration: 2h
                reason: optional
                approvals: {required: 1, from: [dba-approvers]}
                denyThreshold: 2
                access: read
            """;

    static final Actor ALICE = Actor.person("alice", Set.of("/engineers"), true);
    static final Actor BOB = Actor.person("bob", Set.of("/sre-approvers"), true);
    static final Actor CAROL = Actor.person("carol", Set.of("/sre-approvers"), true);
    static final Actor DAVE = Actor.person("dave", Set.of("/auditors"), true);
    static final Actor ERIN = Actor.person("erin", Set.of("/admins", "/dba-approvers"), true);
    /** An approver who is also an engineer: may approve others' requests, never her own. */
    static final Actor FRANK = Actor.person("frank", Set.of("/engineers", "/sre-approvers"), true);

    private Fixtures() {}

    static PolicySet policy() {
        try {
            return PolicyLoader.parse("test-policy.yaml", POLICY);
        } catch (PolicyException e) {
            throw new AssertionError(e.getMessage(), e);
        }
    }

    static AccessRequest pendingWebRequest(Actor requester) {
        Transition t = AccessRequest.submit(
                UUID.randomUUID(),
                new RequestDraft("prod-web-1", "ubuntu", Duration.ofHours(2), "INC-1234 disk full", "INC-1234"),
                requester,
                T0,
                policy());
        if (t instanceof Transition.Applied a) {
            return a.after();
        }
        throw new AssertionError("submit refused: " + t);
    }
}
