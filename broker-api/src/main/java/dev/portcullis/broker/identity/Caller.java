package dev.portcullis.broker.identity;

import dev.portcullis.workflow.request.Actor;
import io.quarkus.security.identity.SecurityIdentity;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import java.util.Set;
import java.util.stream.Collectors;
import org.eclipse.microprofile.jwt.JsonWebToken;

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

    /** The token's {@code sub}: Keycloak's immutable id of the account (a username is not). Null without a token. */
    public String subject() {
        return identity.getPrincipal() instanceof JsonWebToken jwt ? jwt.getSubject() : null;
    }

    /** The client the token was issued to ({@code azp}), or null when the token does not say. */
    public String client() {
        if (identity.getPrincipal() instanceof JsonWebToken jwt) {
            Object azp = jwt.getClaim("azp");
            return azp == null ? null : azp.toString().replace("\"", "");
        }
        return null;
    }

    public Actor asTokenSays() {
        return Actor.person(username(), groupPaths(identity.getRoles()), true, subject());
    }

    /**
     * Only full group paths count. A token whose {@code groups} claim carries bare names (a groups mapper left at
     * {@code full.path=false}) cannot tell {@code /admins} from {@code /teams/x/admins}, so its names give nothing.
     */
    static Set<String> groupPaths(Set<String> claimed) {
        return claimed.stream().filter(g -> g.startsWith("/")).collect(Collectors.toUnmodifiableSet());
    }

    /** A client acting for itself (a bastion, a script), not a person: it may not hold credentials meant for people. */
    public boolean isServiceAccount() {
        if (username().startsWith(SERVICE_ACCOUNT_PREFIX)) {
            return true;
        }
        // Keycloak puts the client's id in client_id (older versions: clientId) of client-credentials tokens only.
        return identity.getPrincipal() instanceof JsonWebToken jwt
                && (jwt.containsClaim("client_id") || jwt.containsClaim("clientId"));
    }
}
