package dev.portcullis.broker.live;

import dev.portcullis.broker.identity.KeycloakDirectory;
import dev.portcullis.workflow.AccessWorkflow;
import dev.portcullis.workflow.request.Actor;
import dev.portcullis.workflow.request.Roles;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * Whether someone audits or administers, asked of Keycloak at the moment it matters, not read from a token that may
 * be minutes old: an auditor removed from /auditors stops watching at once, an admin removed cannot end a session.
 */
@ApplicationScoped
public class PeopleInCharge {

    @Inject
    KeycloakDirectory directory;

    public boolean isAuditor(String username) {
        Actor a = directory.lookup(username).orElse(null);
        return a != null && a.enabled() && AccessWorkflow.isAuditor(a);
    }

    public boolean isAdmin(String username) {
        Actor a = directory.lookup(username).orElse(null);
        return a != null && a.enabled() && a.groups().contains(Roles.ADMINS);
    }
}
