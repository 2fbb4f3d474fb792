package dev.portcullis.workflow;

import dev.portcullis.workflow.policy.AccessRule;
import dev.portcullis.workflow.policy.PolicySet;
import dev.portcullis.workflow.port.AccessRequestRepository;
import dev.portcullis.workflow.port.AuditEvent;
import dev.portcullis.workflow.port.AuditSink;
import dev.portcullis.workflow.port.GrantScheduler;
import dev.portcullis.workflow.port.IdentityDirectory;
import dev.portcullis.workflow.port.Notifier;
import dev.portcullis.workflow.port.PolicySource;
import dev.portcullis.workflow.port.RequestQuery;
import dev.portcullis.workflow.request.AccessRequest;
import dev.portcullis.workflow.request.Actor;
import dev.portcullis.workflow.request.Refusal;
import dev.portcullis.workflow.request.RequestDraft;
import dev.portcullis.workflow.request.RequestEvent;
import dev.portcullis.workflow.request.RequestState;
import dev.portcullis.workflow.request.Roles;
import dev.portcullis.workflow.request.SeparationOfDuties;
import dev.portcullis.workflow.request.Transition;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * The use cases of the access-request workflow, wired to their ports. Decisions are made by the pure
 * functions of {@link AccessRequest}; this class only fetches what they need (the live directory view of
 * the actor, the current policy, the time) and tells the scheduler and notifier what happened.
 */
public final class AccessWorkflow {

    private final PolicySource policies;
    private final AccessRequestRepository requests;
    private final IdentityDirectory directory;
    private final AuditSink audit;
    private final GrantScheduler scheduler;
    private final Notifier notifier;
    private final Clock clock;

    public AccessWorkflow(
            PolicySource policies,
            AccessRequestRepository requests,
            IdentityDirectory directory,
            AuditSink audit,
            GrantScheduler scheduler,
            Notifier notifier,
            Clock clock) {
        this.policies = Objects.requireNonNull(policies);
        this.requests = Objects.requireNonNull(requests);
        this.directory = Objects.requireNonNull(directory);
        this.audit = Objects.requireNonNull(audit);
        this.scheduler = Objects.requireNonNull(scheduler);
        this.notifier = Objects.requireNonNull(notifier);
        this.clock = Objects.requireNonNull(clock);
    }

    /** @param requester the authenticated requester with the groups of their (short-lived) token */
    public Transition submit(Actor requester, RequestDraft draft) {
        PolicySet policy = policies.current();
        Transition result = AccessRequest.submit(UUID.randomUUID(), draft, requester, clock.instant(), policy);
        if (result instanceof Transition.Applied created) {
            // Told in the transaction that stores the request: the notifier records what to send, a sender sends it
            // later.
            requests.insert(
                    created,
                    requester.id(),
                    () -> policy.rule(created.after().rule())
                            .ifPresent(rule -> notifier.reviewNeeded(created.after(), rule.approverGroups())));
        } else if (result instanceof Transition.Refused refused
                && refused.refusal().kind() == Refusal.Kind.FORBIDDEN) {
            audit.append(AuditEvent.refused(
                    clock.instant(), requester.username(), "request.create", "-", refused.refusal()));
        }
        return result;
    }

    public Transition approve(UUID id, String approver, String comment) {
        return decideAsPerson(id, approver, new RequestEvent.Approve(comment));
    }

    public Transition deny(UUID id, String approver, String reason) {
        return decideAsPerson(id, approver, new RequestEvent.Deny(reason));
    }

    public Transition cancel(UUID id, String requester) {
        return decideAsPerson(id, requester, new RequestEvent.Cancel());
    }

    public Transition release(UUID id, String holder) {
        return decideAsPerson(id, holder, new RequestEvent.Release());
    }

    public Transition revoke(UUID id, String admin, String reason) {
        return decideAsPerson(id, admin, new RequestEvent.Revoke(reason));
    }

    /** For the scheduler and continuous verification: the broker itself acts. */
    public Transition applyAsSystem(UUID id, RequestEvent event) {
        return apply(id, Actor.system(), event);
    }

    private Transition decideAsPerson(UUID id, String username, RequestEvent event) {
        // Ask the directory now, not the token: a removed or disabled approver must be refused at once. A review
        // turns only on the rule's approver groups, which the directory may answer for many reviewers at once.
        Optional<Set<String>> reviewerGroups =
                event instanceof RequestEvent.Approve || event instanceof RequestEvent.Deny
                        ? requests.ruleOf(id)
                                .flatMap(rule -> policies.current().rule(rule))
                                .map(AccessRule::approverGroups)
                        : Optional.empty();
        Actor actor = (reviewerGroups.isPresent()
                        ? directory.lookup(username, reviewerGroups.get())
                        : directory.lookup(username))
                .orElse(Actor.person(username, Set.of(), false));
        return apply(id, actor, event);
    }

    private Transition apply(UUID id, Actor actor, RequestEvent event) {
        // The notifier is told inside the change, so what it records is stored (or rolled back, or re-applied) with it.
        Transition result = requests.update(id, request -> {
            Transition change = request.apply(
                    event,
                    actor,
                    clock.instant(),
                    policies.current().rule(request.rule()).orElse(null));
            if (change instanceof Transition.Applied applied && applied.stateChanged()) {
                notifier.stateChanged(applied.after());
            }
            return change;
        });
        if (result instanceof Transition.Applied applied) {
            AccessRequest after = applied.after();
            if (applied.stateChanged()) {
                if (after.state() == RequestState.ACTIVE) {
                    scheduler.grantStarted(after);
                } else if (after.state().isTerminal()) {
                    scheduler.requestClosed(after);
                }
            }
        } else if (result instanceof Transition.Refused refused
                && refused.refusal().kind() == Refusal.Kind.FORBIDDEN) {
            audit.append(AuditEvent.refused(
                    clock.instant(), actor.username(), event.auditAction(), id.toString(), refused.refusal()));
        }
        return result;
    }

    public Optional<AccessRequest> find(UUID id) {
        return requests.find(id);
    }

    /** A request is visible to its requester, to auditors and admins, and to anyone who may approve requests under its rule. */
    public boolean canView(AccessRequest request, Actor viewer) {
        if (request.requester().equals(viewer.username()) || isAuditor(viewer)) {
            return true;
        }
        return policies.current()
                .rule(request.rule())
                .map(rule -> viewer.isMemberOfAny(rule.approverGroups()))
                .orElse(false);
    }

    public static boolean isAuditor(Actor viewer) {
        return viewer.groups().contains(Roles.AUDITORS) || viewer.groups().contains(Roles.ADMINS);
    }

    public List<AccessRequest> mine(Actor viewer, Set<RequestState> states, int limit) {
        return requests.list(new RequestQuery(viewer.username(), null, null, states, null, limit));
    }

    /** Pending requests that the viewer may review now: under a rule naming one of their groups, not their own, not yet reviewed by them. */
    public List<AccessRequest> toReview(Actor viewer, int limit) {
        PolicySet policy = policies.current();
        Set<String> rules = policy.rules().stream()
                .filter(r -> viewer.isMemberOfAny(r.approverGroups()))
                .map(AccessRule::name)
                .collect(Collectors.toSet());
        if (rules.isEmpty()) {
            return List.of();
        }
        return requests
                .list(new RequestQuery(null, viewer.username(), rules, Set.of(RequestState.PENDING), null, limit))
                .stream()
                .filter(r -> r.pendingUntil().isAfter(clock.instant()))
                .filter(r -> SeparationOfDuties.mayReview(
                        r, viewer, policy.rule(r.rule()).orElse(null)))
                .toList();
    }

    /** Every request, for auditors and admins; callers check {@link #isAuditor} first. */
    public List<AccessRequest> all(Set<RequestState> states, String requester, String target, int limit) {
        return requests.list(new RequestQuery(requester, null, null, states, target, limit));
    }

    /** Every ACTIVE grant under these rules (all rules when null), however many there are. */
    public List<AccessRequest> activeGrants(Set<String> rules) {
        return requests.active(rules);
    }

    public PolicySet policy() {
        return policies.current();
    }
}
