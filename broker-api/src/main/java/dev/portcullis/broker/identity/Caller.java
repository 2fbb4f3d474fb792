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

    @Inject
    SecurityIdentity identity;

    public String username() {
        return identity.getPrincipal().getName();
    }

    public Actor asTokenSays() {
        return Actor.person(username(), identity.getRoles(), true);
    }
}
