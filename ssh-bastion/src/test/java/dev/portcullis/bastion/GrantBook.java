package dev.portcullis.bastion;

import dev.portcullis.workflow.grant.GrantDecision;
import dev.portcullis.workflow.policy.AccessLevel;
import dev.portcullis.workflow.policy.PolicyLoader;
import dev.portcullis.workflow.policy.PolicySet;
import dev.portcullis.workflow.policy.TargetKind;
import dev.portcullis.workflow.port.GrantAuthority;
import dev.portcullis.workflow.request.AccessRequest;
import dev.portcullis.workflow.request.RequestState;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An in-memory broker for the bastion's tests: the real {@link GrantDecision} over grants the test hands out.
 * The broker's own adapter of the same port is tested against PostgreSQL and Keycloak in broker-api and deploy.
 */
final class GrantBook implements GrantAuthority {

    private final PolicySet policy;
    private final List<AccessRequest> requests = new CopyOnWriteArrayList<>();
    volatile boolean unreachable;
    /** How many times the bastion asked. */
    final java.util.concurrent.atomic.AtomicInteger asks = new java.util.concurrent.atomic.AtomicInteger();

    GrantBook(String target, int port, String login) {
        this("""
                    targets:
                      - {name: %1$s, kind: ssh, host: 127.0.0.1, port: %2$d}
                      - {name: %1$s-fwd, kind: ssh, host: 127.0.0.1, port: %2$d}
                    rules:
                      - {name: web, requesters: [engineers], targets: [%1$s], logins: [%3$s], maxDuration: 4h,
                         approvals: {required: 1, from: [sre-approvers]}}
                      - {name: web-fwd, requesters: [engineers], targets: [%1$s-fwd], logins: [%3$s], maxDuration: 4h,
                         approvals: {required: 1, from: [sre-approvers]}, session: {portForwarding: true, agentForwarding: true}}
                    """.formatted(target, port, login));
    }

    /** A book under any policy (grants must then name their rule). */
    GrantBook(String policyYaml) {
        try {
            policy = PolicyLoader.parse("bastion-test.yaml", policyYaml);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    UUID grant(String person, String target, String login, Duration duration) {
        return grant(
                person,
                target,
                TargetKind.SSH,
                login,
                target.endsWith("-fwd") ? "web-fwd" : "web",
                AccessLevel.WRITE,
                duration);
    }

    UUID grant(
            String person,
            String target,
            TargetKind kind,
            String login,
            String rule,
            AccessLevel access,
            Duration duration) {
        Instant now = Instant.now();
        AccessRequest r = new AccessRequest(
                UUID.randomUUID(),
                person,
                target,
                kind,
                login,
                rule,
                access,
                duration,
                "test",
                null,
                RequestState.ACTIVE,
                now,
                now,
                List.of(),
                now,
                now.plus(duration),
                null,
                null,
                null);
        requests.add(r);
        return r.id();
    }

    void clear() {
        requests.clear();
    }

    @Override
    public Decision authorize(Ask ask) {
        asks.incrementAndGet();
        if (unreachable) {
            throw new AuthorityUnavailableException("connection refused", null);
        }
        return GrantDecision.decide(ask, requests, policy, Instant.now());
    }
}
