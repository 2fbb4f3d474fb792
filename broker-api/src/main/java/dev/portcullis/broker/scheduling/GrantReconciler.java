package dev.portcullis.broker.scheduling;

import dev.portcullis.broker.identity.KeycloakDirectory;
import dev.portcullis.broker.persistence.PostgresAccessRequestRepository;
import dev.portcullis.workflow.AccessWorkflow;
import dev.portcullis.workflow.grant.GrantVerification;
import dev.portcullis.workflow.grant.JitMembershipPlan;
import dev.portcullis.workflow.policy.PolicySet;
import dev.portcullis.workflow.port.AuditEvent;
import dev.portcullis.workflow.port.AuditSink;
import dev.portcullis.workflow.port.IdentityDirectory;
import dev.portcullis.workflow.request.AccessRequest;
import dev.portcullis.workflow.request.Actor;
import dev.portcullis.workflow.request.RequestEvent;
import dev.portcullis.workflow.request.Transition;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * Keeps grants true to the directory, by reconciling rather than by listening to Keycloak's admin events:
 * admin events miss changes that come from user federation (LDAP sync), brute-force lock-outs and
 * anything that happened while a broker was down, while a periodic comparison converges from any state.
 * Every {@code portcullis.verify-interval} (10 s by default) it revokes grants whose holder is disabled,
 * gone, no longer in a requester group of the rule, or whose username now belongs to another account than the one
 * that asked (its {@code sub}), and it makes every JIT group hold exactly the
 * holders of active grants. Grant starts and ends ask for a JIT pass within a second.
 */
@ApplicationScoped
public class GrantReconciler {

    private static final Logger LOG = Logger.getLogger(GrantReconciler.class);

    @Inject
    AccessWorkflow workflow;

    @Inject
    KeycloakDirectory directory;

    @Inject
    AuditSink audit;

    @Inject
    PostgresAccessRequestRepository requests;

    private final AtomicBoolean jitPassWanted = new AtomicBoolean(true);

    /**
     * Called when a grant starts or ends: when its rule names a JIT group, the membership should follow at once, not
     * at the next full pass (a rule that is gone asks for a pass too, to be safe).
     */
    public void grantChanged(AccessRequest grant) {
        if (workflow.policy()
                .rule(grant.rule())
                .map(rule -> rule.jitGroup() != null)
                .orElse(true)) {
            jitPassWanted.set(true);
        }
    }

    @Scheduled(
            every = "${portcullis.verify-interval:10s}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            executeWith = Scheduled.SIMPLE)
    void verify() {
        List<AccessRequest> active = workflow.activeGrants(null);
        PolicySet policy = workflow.policy();
        Map<String, Optional<Actor>> holders = new HashMap<>();
        Map<UUID, String> askedBy =
                requests.requesterIds(active.stream().map(AccessRequest::id).toList());
        try {
            for (AccessRequest grant : active) {
                Optional<Actor> holder = holders.computeIfAbsent(grant.requester(), directory::lookup);
                Optional<String> reason = GrantVerification.reasonToRevoke(
                        grant,
                        askedBy.get(grant.id()),
                        holder,
                        policy.rule(grant.rule()).orElse(null));
                if (reason.isPresent()) {
                    Transition t = workflow.applyAsSystem(grant.id(), new RequestEvent.Revoke(reason.get()));
                    if (t instanceof Transition.Applied) {
                        LOG.warnf(
                                "revoked %s (%s@%s of %s): %s",
                                grant.id(), grant.login(), grant.target(), grant.requester(), reason.get());
                    }
                }
            }
        } catch (IdentityDirectory.DirectoryUnavailableException e) {
            // Not a reason to revoke everything; the next pass tries again, and bastions still hold their own end
            // timers.
            LOG.warnf("continuous verification skipped this pass: %s", e.getMessage());
        }
        jitPassWanted.set(true);
    }

    @Scheduled(every = "1s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP, executeWith = Scheduled.SIMPLE)
    void syncJitGroupsWhenAsked() {
        if (jitPassWanted.getAndSet(false)) {
            try {
                syncJitGroups();
            } catch (RuntimeException e) {
                jitPassWanted.set(true);
                LOG.warnf("JIT group sync failed, will retry: %s", e.getMessage());
            }
        }
    }

    void syncJitGroups() {
        PolicySet policy = workflow.policy();
        Set<String> groups = JitMembershipPlan.groups(policy);
        if (groups.isEmpty()) {
            return;
        }
        Map<String, Set<String>> members = new LinkedHashMap<>();
        for (String group : groups) {
            members.put(group, directory.members(group));
        }
        List<AccessRequest> active = workflow.activeGrants(JitMembershipPlan.rules(policy)).stream()
                .filter(g -> g.isLiveAt(Instant.now()))
                .toList();
        for (JitMembershipPlan.Change change : JitMembershipPlan.plan(members, active, policy)) {
            if (change.kind() == JitMembershipPlan.Kind.ADD) {
                directory.add(change.username(), change.group());
            } else {
                directory.remove(change.username(), change.group());
            }
            String action = change.kind() == JitMembershipPlan.Kind.ADD ? "jit.member_added" : "jit.member_removed";
            audit.append(new AuditEvent(
                    Instant.now(),
                    Actor.system().username(),
                    action,
                    "jit_group",
                    change.group(),
                    Map.of("user", change.username())));
            LOG.infof(
                    "%s: %s %s",
                    change.group(),
                    change.kind() == JitMembershipPlan.Kind.ADD ? "added" : "removed",
                    change.username());
        }
    }
}
