package dev.portcullis.broker.identity;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

import dev.portcullis.broker.Api;
import dev.portcullis.broker.BrokerTestEnvironment;
import dev.portcullis.local.LocalKeycloak;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/**
 * A bearer token is verified by OIDC once and then remembered: the same token keeps working with the same name and
 * groups, while any other text (a forged signature, an edited claim) is still verified, and refused.
 */
@QuarkusTest
@QuarkusTestResource(BrokerTestEnvironment.class)
class VerifiedBearerTokensApiTest {

    @Inject
    VerifiedBearerTokens tokens;

    @Test
    void aVerifiedTokenIsRememberedWithItsNameAndGroups() {
        String user = Api.newEngineer("cached-");
        String token = LocalKeycloak.shared().accessToken(user);
        assertThat(tokens.lookup(token, null)).as("not seen yet").isNull();

        long hits = tokens.hits();
        for (int call = 0; call < 3; call++) {
            given().auth()
                    .oauth2(token)
                    .get("/api/v1/me")
                    .then()
                    .statusCode(200)
                    .body("username", equalTo(user))
                    .body("groups", hasItem("/engineers"));
            assertThat(tokens.lookup(token, null))
                    .as("remembered after the first call")
                    .isNotNull();
        }
        assertThat(tokens.hits() - hits)
                .as("the second and third calls were answered without OIDC")
                .isGreaterThanOrEqualTo(2);
        assertThat(tokens.lookup(token, "web")).as("never for another tenant").isNull();
    }

    @Test
    void aForgedOrEditedTokenIsStillRefusedWhenTheGenuineOneIsRemembered() {
        String token = LocalKeycloak.shared().accessToken("alice");
        given().auth().oauth2(token).get("/api/v1/me").then().statusCode(200);
        assertThat(tokens.lookup(token, null)).isNotNull();

        String[] parts = token.split("\\.");
        // another signature over the same header and claims
        char last = parts[2].charAt(parts[2].length() - 2);
        String forged = parts[0] + "." + parts[1] + "." + parts[2].substring(0, parts[2].length() - 2)
                + (last == 'A' ? 'B' : 'A') + parts[2].charAt(parts[2].length() - 1);
        given().auth().oauth2(forged).get("/api/v1/me").then().statusCode(401);

        // alice's claims with an extra group, under alice's genuine signature
        String claims = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8)
                .replace("\"groups\":[", "\"groups\":[\"/admins\",");
        assertThat(claims).contains("\"/admins\"");
        String edited = parts[0] + "."
                + Base64.getUrlEncoder().withoutPadding().encodeToString(claims.getBytes(StandardCharsets.UTF_8)) + "."
                + parts[2];
        given().auth().oauth2(edited).get("/api/v1/me").then().statusCode(401);
        assertThat(tokens.lookup(forged, null)).isNull();
        assertThat(tokens.lookup(edited, null)).isNull();

        given().auth().oauth2(token).get("/api/v1/me").then().statusCode(200).body("admin", equalTo(false));
    }
}
