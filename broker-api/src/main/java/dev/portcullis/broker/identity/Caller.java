package dev.portcullis.broker.identity;

import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;

import io.quarkus.security.identity.SecurityIdentity;

import dev.portcullis.workflow.request.Actor;

/**
 * The authenticated caller as their bearer token describes them. Good enough for what to show;
 * decisions that grant access ask the {@link KeycloakDirectory} instead.
 */
@RequestScoped
public class Caller {

    /** Keycloak names the user behind a client's service account (client-credentials tokens) with this prefix. */
    static final String SERVICE_ACCOUNT_PREFIX = "service-account-";

    @Inject
    SecurityIdentity identity;

    public String username() {
        return identity.getPrincipal().getName();
    }

    public Actor asTokenSays() {
        return Actor.person(username(), identity.getRoles(), true);
    }

    /** A client acting for itself (a bastion, a script), not a person: it may not hold credentials meant for people. */
    public boolean isServiceAccount() {
        return username().startsWith(SERVICE_ACCOUNT_PREFIX);
    }
}
