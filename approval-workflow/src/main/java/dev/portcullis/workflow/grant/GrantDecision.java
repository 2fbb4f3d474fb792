package dev.portcullis.workflow.grant;

import dev.portcullis.workflow.policy.AccessRule;
import dev.portcullis.workflow.policy.PolicySet;
import dev.portcullis.workflow.policy.Target;
import dev.portcullis.workflow.policy.TargetKind;
import dev.portcullis.workflow.port.GrantAuthority.Allowed;
import dev.portcullis.workflow.port.GrantAuthority.Ask;
import dev.portcullis.workflow.port.GrantAuthority.Decision;
import dev.portcullis.workflow.port.GrantAuthority.Refused;
import dev.portcullis.workflow.port.GrantAuthority.Use;
import dev.portcullis.workflow.request.AccessRequest;
import dev.portcullis.workflow.request.RequestState;
import java.time.Instant;
import java.util.Collection;
import java.util.Comparator;
import java.util.Optional;

/**
 * The answer to a bastion's {@link Ask}, as a pure function of the asker's requests, the current policy
 * and the time. Nothing is allowed by default: only an ACTIVE grant for exactly this person, target and
 * login whose end lies in the future, under a rule that still exists and permits the use.
 */
public final class GrantDecision {

    private GrantDecision() {}

    public static Decision decide(Ask ask, Collection<AccessRequest> requestsOfAsker, PolicySet policy, Instant now) {
        Optional<Target> target = policy.target(ask.target());
        if (target.isEmpty()) {
            return new Refused("unknown_target", "there is no target named '" + ask.target() + "'");
        }
        boolean database = target.get().kind() == TargetKind.POSTGRES;
        if (database != (ask.use() == Use.DATABASE)) {
            return new Refused(
                    "wrong_protocol",
                    ask.target() + " is " + (database ? "a PostgreSQL database" : "an SSH host")
                            + "; connect to it through the " + (database ? "database" : "SSH") + " bastion");
        }
        Optional<AccessRequest> grant = requestsOfAsker.stream()
                .filter(r -> r.state() == RequestState.ACTIVE)
                .filter(r -> r.requester().equals(ask.username()))
                .filter(r -> r.target().equals(ask.target()) && r.login().equals(ask.login()))
                .filter(r -> r.endsAt() != null && r.endsAt().isAfter(now))
                .max(Comparator.comparing(AccessRequest::endsAt));
        if (grant.isEmpty()) {
            return new Refused("no_grant", "no active grant for " + ask.login() + "@" + ask.target());
        }
        Optional<AccessRule> rule = policy.rule(grant.get().rule());
        if (rule.isEmpty()) {
            return new Refused(
                    "rule_removed",
                    "the policy rule '" + grant.get().rule() + "' behind your grant for " + ask.login() + "@"
                            + ask.target() + " no longer exists");
        }
        if (ask.use() == Use.PORT_FORWARDING && !rule.get().session().portForwarding()) {
            return new Refused(
                    "port_forwarding_refused",
                    "port forwarding is not allowed for " + ask.login() + "@" + ask.target());
        }
        if (ask.use() == Use.AGENT_FORWARDING && !rule.get().session().agentForwarding()) {
            return new Refused(
                    "agent_forwarding_refused",
                    "agent forwarding is not allowed for " + ask.login() + "@" + ask.target());
        }
        AccessRequest g = grant.get();
        return new Allowed(new ActiveGrant(
                g.id(),
                g.requester(),
                target.get(),
                g.login(),
                g.access(),
                g.endsAt(),
                rule.get().session()));
    }
}
