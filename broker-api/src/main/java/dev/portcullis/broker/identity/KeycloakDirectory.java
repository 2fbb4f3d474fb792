package dev.portcullis.broker.identity;

import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.ProcessingException;
import jakarta.ws.rs.WebApplicationException;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.keycloak.OAuth2Constants;
import org.keycloak.admin.client.Keycloak;
import org.keycloak.admin.client.KeycloakBuilder;
import org.keycloak.admin.client.resource.RealmResource;
import org.keycloak.admin.client.resource.UserResource;
import org.keycloak.representations.idm.GroupRepresentation;
import org.keycloak.representations.idm.UserRepresentation;

import dev.portcullis.workflow.port.IdentityDirectory;
import dev.portcullis.workflow.request.Actor;

/**
 * Keycloak's current view of a person, read through the admin API at the moment of each decision:
 * the account (enabled, username) and its groups, two calls, never cached. Only the mapping from
 * username to Keycloak's immutable user id is remembered, and it is checked on every use.
 * Group names are those of the token's {@code groups} claim; nested groups are also given by path
 * ({@code jit/prod-db-admins}).
 */
@ApplicationScoped
public class KeycloakDirectory implements IdentityDirectory {

    private final Keycloak keycloak;
    private final String realmName;
    /** Username to the client proxy for Keycloak's immutable user id; building a proxy costs more than the call. */
    private final Map<String, UserResource> users = new ConcurrentHashMap<>();

    // One admin client for the broker's lifetime, so its service-account token is reused until it nears
    // expiry instead of being fetched (and signed by Keycloak) again for every call.
    public KeycloakDirectory(@ConfigProperty(name = "quarkus.keycloak.admin-client.server-url") String serverUrl,
                             @ConfigProperty(name = "portcullis.realm-name") String realmName,
                             @ConfigProperty(name = "quarkus.keycloak.admin-client.client-id") String clientId,
                             @ConfigProperty(name = "quarkus.keycloak.admin-client.client-secret") String clientSecret) {
        this.realmName = realmName;
        this.keycloak = KeycloakBuilder.builder().serverUrl(serverUrl).realm(realmName).clientId(clientId).clientSecret(clientSecret)
                .grantType(OAuth2Constants.CLIENT_CREDENTIALS).build();
    }

    @PreDestroy
    void close() {
        keycloak.close();
    }

    @Override
    public Optional<Actor> lookup(String username) {
        try {
            RealmResource realm = keycloak.realm(realmName);
            for (int attempt = 0; attempt < 2; attempt++) {
                UserResource user = users.get(username);
                if (user == null) {
                    Optional<UserRepresentation> found = realm.users().searchByUsername(username, true).stream()
                            .filter(u -> username.equals(u.getUsername())).findFirst();
                    if (found.isEmpty()) {
                        return Optional.empty();
                    }
                    user = realm.users().get(found.get().getId());
                    users.put(username, user);
                }
                UserRepresentation account;
                try {
                    account = user.toRepresentation();
                } catch (NotFoundException gone) {
                    account = null;
                }
                if (account == null || !username.equals(account.getUsername())) {
                    users.remove(username); // deleted or renamed since we remembered it: look it up afresh
                    continue;
                }
                Set<String> groups = new HashSet<>();
                for (GroupRepresentation group : user.groups(0, 500, true)) {
                    groups.add(group.getName());
                    if (group.getPath() != null) {
                        groups.add(group.getPath().startsWith("/") ? group.getPath().substring(1) : group.getPath());
                    }
                }
                return Optional.of(Actor.person(username, groups, Boolean.TRUE.equals(account.isEnabled())));
            }
            return Optional.empty();
        } catch (ProcessingException | WebApplicationException e) {
            throw new DirectoryUnavailableException("cannot ask Keycloak about " + username + ": " + e.getMessage(), e);
        }
    }
}
