package dev.portcullis.broker.identity;

import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.ProcessingException;
import jakarta.ws.rs.WebApplicationException;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.keycloak.admin.client.Keycloak;
import org.keycloak.admin.client.resource.RealmResource;
import org.keycloak.representations.idm.GroupRepresentation;
import org.keycloak.representations.idm.UserRepresentation;

import dev.portcullis.workflow.port.IdentityDirectory;
import dev.portcullis.workflow.request.Actor;

/**
 * Keycloak's current view of a person, read through the admin API at the moment of each decision.
 * Group names are those of the token's {@code groups} claim; nested groups are also given by path
 * ({@code jit/prod-db-admins}).
 */
@ApplicationScoped
public class KeycloakDirectory implements IdentityDirectory {

    @Inject
    Keycloak keycloak;

    @ConfigProperty(name = "portcullis.realm-name")
    String realmName;

    @Override
    public Optional<Actor> lookup(String username) {
        try {
            RealmResource realm = keycloak.realm(realmName);
            List<UserRepresentation> found = realm.users().searchByUsername(username, true);
            Optional<UserRepresentation> user = found.stream().filter(u -> username.equals(u.getUsername())).findFirst();
            if (user.isEmpty()) {
                return Optional.empty();
            }
            Set<String> groups = new HashSet<>();
            for (GroupRepresentation group : realm.users().get(user.get().getId()).groups(0, 500, true)) {
                groups.add(group.getName());
                if (group.getPath() != null) {
                    groups.add(group.getPath().startsWith("/") ? group.getPath().substring(1) : group.getPath());
                }
            }
            return Optional.of(Actor.person(username, groups, Boolean.TRUE.equals(user.get().isEnabled())));
        } catch (ProcessingException | WebApplicationException e) {
            throw new DirectoryUnavailableException("cannot ask Keycloak about " + username + ": " + e.getMessage(), e);
        }
    }
}
