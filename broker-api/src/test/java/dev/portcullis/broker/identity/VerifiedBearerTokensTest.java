package dev.portcullis.broker.identity;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.oidc.AccessTokenCredential;
import io.quarkus.oidc.IdTokenCredential;
import io.quarkus.security.credential.TokenCredential;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.microprofile.jwt.JsonWebToken;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** When a verified token is remembered, for how long, and when it is not remembered at all (a fake clock, no OIDC). */
@Tag("unit")
class VerifiedBearerTokensTest {

    private final AtomicLong now = new AtomicLong(1_000_000);
    private final VerifiedBearerTokens tokens = new VerifiedBearerTokens(now::get);

    @Test
    void rememberedUntilItsExpiryThenVerifiedAgain() {
        tokens.remember(identity("t1", Map.of("exp", 1_000_300L), new AccessTokenCredential(jwt("t1")), "Default"));
        SecurityIdentity known = tokens.lookup(jwt("t1"), null);
        assertThat(known.getPrincipal().getName()).isEqualTo("alice");
        assertThat(known.getRoles()).containsExactly("engineers");
        assertThat(known.getAttributes()).doesNotContainKey(io.vertx.ext.web.RoutingContext.class.getName());
        assertThat(tokens.lookup(jwt("t1"), "Default")).isNotNull();

        now.set(1_000_299);
        assertThat(tokens.lookup(jwt("t1"), null)).isNotNull();
        now.set(1_000_300);
        assertThat(tokens.lookup(jwt("t1"), null)).as("at exp").isNull();
        assertThat(tokens.size()).as("forgotten").isZero();
    }

    @Test
    void onlyTheApiTenantsUnboundExpiringAccessTokensAreRemembered() {
        tokens.remember(identity("web", Map.of("exp", 1_000_300L), new AccessTokenCredential(jwt("web")), "web"));
        tokens.remember(identity("id", Map.of("exp", 1_000_300L), new IdTokenCredential(jwt("id")), "Default"));
        tokens.remember(identity(
                "bound",
                Map.of("exp", 1_000_300L, "cnf", Map.of("jkt", "x")),
                new AccessTokenCredential(jwt("bound")),
                "Default"));
        tokens.remember(
                identity("expired", Map.of("exp", 1_000_000L), new AccessTokenCredential(jwt("expired")), "Default"));
        tokens.remember(identity("endless", Map.of(), new AccessTokenCredential(jwt("endless")), "Default"));
        tokens.remember(
                identity("opaque", Map.of("exp", 1_000_300L), new AccessTokenCredential("not-a-jwt"), "Default"));
        assertThat(tokens.size()).isZero();

        tokens.remember(identity("ok", Map.of("exp", 1_000_300L), new AccessTokenCredential(jwt("ok")), "Default"));
        assertThat(tokens.lookup(jwt("ok"), "web"))
                .as("asked by another tenant")
                .isNull();
        assertThat(tokens.lookup(jwt("ok"), null)).isNotNull();
    }

    @Test
    void aFullCacheMakesRoomByDroppingExpiredTokensAndOtherwiseRemembersNothingNew() {
        for (int i = 0; i < VerifiedBearerTokens.MAX_TOKENS; i++) {
            long exp = i < 10 ? 1_000_100 : 1_000_300;
            tokens.remember(identity("t" + i, Map.of("exp", exp), new AccessTokenCredential(jwt("t" + i)), "Default"));
        }
        tokens.remember(identity("late", Map.of("exp", 1_000_300L), new AccessTokenCredential(jwt("late")), "Default"));
        assertThat(tokens.lookup(jwt("late"), null))
                .as("full of unexpired tokens")
                .isNull();

        now.set(1_000_100); // ten have expired
        tokens.remember(
                identity("later", Map.of("exp", 1_000_300L), new AccessTokenCredential(jwt("later")), "Default"));
        assertThat(tokens.lookup(jwt("later"), null)).isNotNull();
        assertThat(tokens.size()).isEqualTo(VerifiedBearerTokens.MAX_TOKENS - 10 + 1);
    }

    /** A token's text in JWT form (OIDC takes anything else for an opaque token); the signature is not checked here. */
    private static String jwt(String id) {
        Base64.Encoder base64 = Base64.getUrlEncoder().withoutPadding();
        return base64.encodeToString("{\"alg\":\"RS256\"}".getBytes(StandardCharsets.UTF_8)) + "."
                + base64.encodeToString(("{\"jti\":\"" + id + "\"}").getBytes(StandardCharsets.UTF_8))
                + ".c2lnbmF0dXJl";
    }

    private static SecurityIdentity identity(
            String token, Map<String, Object> claims, TokenCredential credential, String tenant) {
        return QuarkusSecurityIdentity.builder()
                .setPrincipal(new Jwt(token, claims))
                .addRole("engineers")
                .addCredential(credential)
                .addAttribute("tenant-id", tenant)
                .build();
    }

    private record Jwt(String raw, Map<String, Object> claims) implements JsonWebToken {
        @Override
        public String getName() {
            return "alice";
        }

        @Override
        public Set<String> getClaimNames() {
            return claims.keySet();
        }

        @Override
        @SuppressWarnings("unchecked")
        public <T> T getClaim(String name) {
            return (T) claims.get(name);
        }

        @Override
        public long getExpirationTime() {
            Object exp = claims.get("exp");
            return exp == null ? 0 : (Long) exp;
        }
    }
}
