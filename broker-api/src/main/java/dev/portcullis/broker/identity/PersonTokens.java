package dev.portcullis.broker.identity;

import dev.portcullis.broker.api.ProblemMappers;
import dev.portcullis.workflow.port.AuditEvent;
import dev.portcullis.workflow.port.AuditSink;
import dev.portcullis.workflow.request.Refusal;
import io.quarkus.security.identity.SecurityIdentity;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Response;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.jwt.JsonWebToken;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * The people's API ({@code /api/v1}) takes tokens of people only, issued to the clients that Portcullis ships for
 * people. Any client of the realm can be given the broker's audience; a token it got for a person (an app that asks for
 * passwords, a misconfigured integration) must not act as that person here, so the token's authorized party
 * ({@code azp}) must be one of {@code portcullis.person-clients}. A service account is never a person.
 *
 * <p>The name in a token is not the person: Keycloak can give a username to another account once the first is
 * renamed or deleted. A token is taken only while its {@code sub} is the id of the account that holds its username now;
 * Keycloak is asked that again once {@code portcullis.identity.recheck-interval} (10 s) has passed for the account,
 * not on every call.
 */
@ApplicationScoped
public class PersonTokens {

    static final int MAX_REMEMBERED = 10_000;
    private static final String UNPROTECTED = "/api/v1/ssh/ca";

    @Inject
    SecurityIdentity identity;

    @Inject
    Caller caller;

    @Inject
    KeycloakDirectory directory;

    @Inject
    AuditSink audit;

    private final Set<String> personClients;
    /** How long a confirmed sub and username pair is taken without asking Keycloak again. */
    private final long recheckSeconds;
    /** sub and username of tokens whose sub was the username's account, to when to ask again (epoch seconds). */
    private final Map<String, Long> confirmed = new ConcurrentHashMap<>();

    public PersonTokens(
            @ConfigProperty(name = "portcullis.person-clients", defaultValue = "portcullis-web,portcullis-cli")
                    List<String> personClients,
            @ConfigProperty(name = "portcullis.identity.recheck-interval", defaultValue = "10s") Duration recheck) {
        this.recheckSeconds = Math.max(0, recheck.toSeconds());
        this.personClients = Set.copyOf(personClients.stream()
                .map(String::strip)
                .filter(c -> !c.isEmpty())
                .toList());
    }

    @ServerRequestFilter
    public Optional<Response> check(ContainerRequestContext request) {
        String path = request.getUriInfo().getPath();
        if (!path.startsWith("/api/v1/") || path.equals(UNPROTECTED) || identity.isAnonymous()) {
            return Optional.empty(); // anonymous calls get their 401 from the endpoint's own annotation
        }
        return refusal(path).map(ProblemMappers::of);
    }

    /**
     * Why the signed-in caller may not act as a person at this path, audited ({@code token.refused}), or empty when
     * they may. The web UI's sign-ins ({@code /ui}, their ID token) go through the same check and word the refusal as a
     * page ({@code dev.portcullis.broker.web.WebSignIns}).
     */
    public Optional<Refusal> refusal(String path) {
        Refusal refusal = refusal();
        if (refusal == null) {
            return Optional.empty();
        }
        audit.append(new AuditEvent(
                Instant.now(),
                caller.username(),
                "token.refused",
                "client",
                String.valueOf(caller.client()),
                Map.of("code", refusal.code(), "path", path.length() > 200 ? path.substring(0, 200) : path)));
        return Optional.of(refusal);
    }

    private Refusal refusal() {
        if (caller.isServiceAccount()) {
            return Refusal.forbidden(
                    "not_a_person", "the /api/v1 endpoints are for people; a service client's token is refused");
        }
        String client = caller.client();
        if (client == null || !personClients.contains(client)) {
            return Refusal.forbidden(
                    "client_not_allowed",
                    "tokens issued to client '" + client
                            + "' are not accepted here;"
                            + " sign in through "
                            + String.join(
                                    " or ", personClients.stream().sorted().toList()));
        }
        String sub = caller.subject();
        if (sub == null) {
            return Refusal.forbidden("no_subject", "the token names no account (sub); sign in again");
        }
        String key = sub + "\n" + caller.username();
        long now = Instant.now().getEpochSecond();
        Long until = confirmed.get(key);
        if (until != null && now < until) {
            return null;
        }
        Optional<String> holder = directory.accountId(caller.username());
        if (holder.isEmpty() || !holder.get().equals(sub)) {
            confirmed.remove(key);
            return Refusal.forbidden(
                    "account_mismatch",
                    "this token was issued to an account that no longer holds the name " + caller.username()
                            + " (renamed or deleted); sign in again");
        }
        remember(key, now);
        return null;
    }

    private void remember(String key, long now) {
        long expires = identity.getPrincipal() instanceof JsonWebToken jwt ? jwt.getExpirationTime() : now;
        expires = Math.min(expires, now + recheckSeconds);
        if (confirmed.size() >= MAX_REMEMBERED) {
            confirmed.values().removeIf(until -> until <= now);
            if (confirmed.size() >= MAX_REMEMBERED) {
                return; // full of live tokens: ask again next time
            }
        }
        confirmed.put(key, expires);
    }
}
