package dev.portcullis.broker.web;

import dev.portcullis.broker.identity.Caller;
import dev.portcullis.workflow.AccessWorkflow;
import dev.portcullis.workflow.policy.PolicySet;
import dev.portcullis.workflow.request.Actor;
import dev.portcullis.workflow.request.Refusal;
import dev.portcullis.workflow.request.Roles;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.TreeSet;

/** Who is signed in, as every page's navigation shows them, and the group checks of auditor and admin pages. */
@ApplicationScoped
public class Viewers {

    @Inject
    AccessWorkflow workflow;

    Views.Me me(Caller caller) {
        Actor actor = caller.asTokenSays();
        PolicySet policy = workflow.policy();
        boolean approver = policy.rules().stream().anyMatch(r -> actor.isMemberOfAny(r.approverGroups()));
        boolean requester = !policy.optionsFor(actor.groups()).isEmpty();
        String groups = actor.groups().isEmpty() ? "no groups" : String.join(", ", new TreeSet<>(actor.groups()));
        return new Views.Me(
                actor.username(),
                groups,
                AccessWorkflow.isAuditor(actor),
                actor.groups().contains(Roles.ADMINS),
                approver,
                requester);
    }

    /** Refuses unless the caller is an auditor or admin; the 403 page names the groups. */
    void requireAuditor(Caller caller, String what) {
        if (!AccessWorkflow.isAuditor(caller.asTokenSays())) {
            throw new RefusedPage(Refusal.forbidden(
                    "missing_group",
                    what + " are for members of the group " + Roles.AUDITORS + " or " + Roles.ADMINS
                            + ". You are signed in as " + caller.username() + " ("
                            + me(caller).groups() + ")."));
        }
    }

    void requireAdmin(Caller caller, String what) {
        if (!caller.asTokenSays().groups().contains(Roles.ADMINS)) {
            throw new RefusedPage(Refusal.forbidden(
                    "missing_group",
                    what + " needs membership of the group " + Roles.ADMINS + ". You are signed in as "
                            + caller.username() + " (" + me(caller).groups() + ")."));
        }
    }
}
