package dev.portcullis.broker.identity;

import io.quarkus.oidc.AccessTokenCredential;
import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.IdentityProvider;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.SecurityIdentityAugmentor;
import io.quarkus.security.identity.request.TokenAuthenticationRequest;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.quarkus.vertx.http.runtime.security.HttpSecurityUtils;
import io.smallrye.mutiny.Uni;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.eclipse.microprofile.jwt.JsonWebToken;

/**
 * Bearer tokens that Quarkus OIDC has verified, remembered until they expire: a client sends the same access token on
 * every call (the CLI, a bastion, a script), and checking its signature, decoding it and building the caller from its
 * claims again on every call was a fifth of the broker's CPU under load. The first call with a token goes through OIDC
 * as before; this class then keeps what OIDC concluded (the principal, the roles from the {@code groups} claim, the
 * credential) under the token's exact text, and answers later calls with that token from it until the token's
 * {@code exp}, after which the token is verified again, and refused, by OIDC.
 *
 * <p>Nothing is trusted that OIDC would not trust: the broker verifies Keycloak's tokens locally (no introspection call
 * per request), so a verified token stays acceptable to OIDC until its {@code exp} anyway, and only the signature check and
 * parsing are saved. Only the API tenant's signed access tokens are remembered; not the web UI's code-flow sessions,
 * opaque tokens, tokens bound to a key or certificate ({@code cnf}: their proof belongs to each request), nor tokens
 * without an expiry. The cache is bounded; when it is full of unexpired tokens, new tokens are simply verified every time.
 * A remembered identity carries no request's attributes: each call gets its own copy with its own routing context.
 */
@ApplicationScoped
public class VerifiedBearerTokens implements IdentityProvider<TokenAuthenticationRequest>, SecurityIdentityAugmentor {

    static final int MAX_TOKENS = 10_000;
    /** OIDC's name for the tenant that verified a token, and the API's (default) tenant. */
    private static final String TENANT_ID = "tenant-id";

    private static final String API_TENANT = "Default";
    /** Marks an identity served from here, so the augmentor does not remember it a second time. */
    private static final String REMEMBERED = VerifiedBearerTokens.class.getName();

    private final Map<String, Verified> verified = new ConcurrentHashMap<>();
    private final LongSupplier epochSecond;
    private final LongAdder hits = new LongAdder();

    private record Verified(SecurityIdentity identity, long expiresAt) {}

    public VerifiedBearerTokens() {
        this(() -> System.currentTimeMillis() / 1000);
    }

    VerifiedBearerTokens(LongSupplier epochSecond) {
        this.epochSecond = epochSecond;
    }

    @Override
    public Class<TokenAuthenticationRequest> getRequestType() {
        return TokenAuthenticationRequest.class;
    }

    /**
     * As a provider: before OIDC's own (which asks for {@code SYSTEM_FIRST + 1}), so OIDC answers only what this one leaves
     * (by returning no identity). As an augmentor: before the others, so what is remembered is the identity as OIDC built
     * it, and every call is augmented alike.
     */
    @Override
    public int priority() {
        return Integer.MAX_VALUE;
    }

    @Override
    public Uni<SecurityIdentity> authenticate(
            TokenAuthenticationRequest request, AuthenticationRequestContext context) {
        if (request.getToken().getClass() != AccessTokenCredential.class) {
            return Uni.createFrom().nullItem();
        }
        RoutingContext call = HttpSecurityUtils.getRoutingContextAttribute(request);
        SecurityIdentity known = lookup(request.getToken().getToken(), call == null ? null : call.get(TENANT_ID));
        if (known == null) {
            return Uni.createFrom().nullItem();
        }
        hits.increment();
        QuarkusSecurityIdentity.Builder identity = QuarkusSecurityIdentity.builder()
                .setPrincipal(known.getPrincipal())
                .addRoles(known.getRoles())
                .addCredentials(known.getCredentials())
                .addAttributes(known.getAttributes());
        if (call != null) {
            identity.addAttribute(RoutingContext.class.getName(), call);
        }
        return Uni.createFrom().item(identity.build());
    }

    /** The identity OIDC built for this token, while the token is unexpired; null when none or when another tenant asks. */
    SecurityIdentity lookup(String token, Object tenant) {
        if (tenant != null && !API_TENANT.equals(tenant)) {
            return null;
        }
        Verified known = verified.get(token);
        if (known == null) {
            return null;
        }
        if (epochSecond.getAsLong() >= known.expiresAt()) {
            verified.remove(token, known);
            return null;
        }
        return known.identity();
    }

    @Override
    public Uni<SecurityIdentity> augment(SecurityIdentity identity, AuthenticationRequestContext context) {
        remember(identity);
        return Uni.createFrom().item(identity);
    }

    /** Keeps what OIDC concluded about an API access token, without the request it came with. */
    void remember(SecurityIdentity identity) {
        if (identity.isAnonymous()
                || identity.getAttribute(REMEMBERED) != null
                || !API_TENANT.equals(identity.getAttribute(TENANT_ID))
                || !(identity.getPrincipal() instanceof JsonWebToken jwt)
                || jwt.getClaim("cnf") != null) {
            return;
        }
        AccessTokenCredential credential = identity.getCredential(AccessTokenCredential.class);
        long expiresAt = jwt.getExpirationTime();
        if (credential == null
                || credential.getClass() != AccessTokenCredential.class
                || credential.isOpaque()
                || credential.getToken() == null
                || expiresAt <= epochSecond.getAsLong()) {
            return;
        }
        if (verified.size() >= MAX_TOKENS) {
            long now = epochSecond.getAsLong();
            verified.values().removeIf(v -> now >= v.expiresAt());
            if (verified.size() >= MAX_TOKENS) {
                return;
            }
        }
        Map<String, Object> attributes = new HashMap<>(identity.getAttributes());
        attributes.remove(RoutingContext.class.getName());
        attributes.put(REMEMBERED, Boolean.TRUE);
        SecurityIdentity kept = QuarkusSecurityIdentity.builder()
                .setPrincipal(jwt)
                .addRoles(identity.getRoles())
                .addCredentials(identity.getCredentials())
                .addAttributes(attributes)
                .build();
        verified.put(credential.getToken(), new Verified(kept, expiresAt));
    }

    /** Calls answered from here, without OIDC. */
    long hits() {
        return hits.sum();
    }

    int size() {
        return verified.size();
    }
}
