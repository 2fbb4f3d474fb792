package dev.portcullis.broker.identity;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import dev.portcullis.broker.Api;
import dev.portcullis.broker.BrokerTestEnvironment;
import dev.portcullis.local.LocalKeycloak;
import io.quarkus.scheduler.Scheduler;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import jakarta.inject.Inject;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Who the broker takes someone for, attacked over HTTP with real Keycloak tokens: a group that only shares the name of a
 * powerful one, a token that another client of the realm got for a person, a service account, and a username that
 * passes to a new account.
 */
@QuarkusTest
@QuarkusTestResource(BrokerTestEnvironment.class)
class IdentityAttackTest {

    private static final LocalKeycloak KEYCLOAK = LocalKeycloak.shared();

    @Inject
    Scheduler scheduler;

    private static RequestSpecification with(String token) {
        return given().auth().oauth2(token).contentType(ContentType.JSON);
    }

    private static String unique(String prefix) {
        return prefix + System.nanoTime() % 1_000_000;
    }

    @Test
    void aNestedGroupNamedLikeAdminsAuditorsOrApproversGivesNothing() {
        String teams = "/" + unique("teams-");
        KEYCLOAK.createGroup(teams);
        KEYCLOAK.createGroup(teams + "/x");
        for (String leaf : new String[] {"admins", "auditors", "sre-approvers", "engineers"}) {
            KEYCLOAK.createGroup(teams + "/x/" + leaf);
        }
        String mallory = unique("mallory-");
        KEYCLOAK.createUser(
                mallory,
                KEYCLOAK.demoPassword(),
                teams + "/x/admins",
                teams + "/x/auditors",
                teams + "/x/sre-approvers",
                teams + "/x/engineers");
        String token = KEYCLOAK.accessToken(mallory);

        with(token)
                .get("/api/v1/me")
                .then()
                .statusCode(200)
                .body("admin", equalTo(false))
                .body("auditor", equalTo(false));
        for (String path : new String[] {
            "/api/v1/audit", "/api/v1/audit/verify", "/api/v1/audit/export", "/api/v1/requests?scope=all"
        }) {
            Response refused = with(token).get(path);
            assertThat(refused.statusCode())
                    .as(path + ": " + refused.asString())
                    .isEqualTo(403);
            assertThat(refused.contentType()).startsWith("application/problem+json");
        }
        String grant = Api.activeWebGrant(Api.newEngineer("victim-"));
        with(token)
                .body(Map.of("reason", "mine now"))
                .post("/api/v1/requests/" + grant + "/revoke")
                .then()
                .statusCode(403)
                .body("code", equalTo("not_an_admin"));
        Api.as("dave").get("/api/v1/requests/" + grant).then().body("state", equalTo("ACTIVE"));

        String pending = Api.aliceRequestsWeb();
        with(token)
                .body(Map.of("comment", "ok"))
                .post("/api/v1/requests/" + pending + "/approve")
                .then()
                .statusCode(403)
                .body("code", equalTo("not_an_approver"));
        with(token)
                .body(Map.of(
                        "target",
                        "prod-web-1",
                        "login",
                        "ubuntu",
                        "durationMinutes",
                        30,
                        "reason",
                        "r",
                        "ticket",
                        "INC-1"))
                .post("/api/v1/requests")
                .then()
                .statusCode(403)
                .body("code", equalTo("not_allowed"));
    }

    @Test
    void tokensAnotherClientOfTheRealmGotForAPersonAreRefused() {
        String client = unique("other-app-");
        KEYCLOAK.createPasswordClient(client);
        String erinElsewhere = KEYCLOAK.accessTokenFrom(client, "erin", KEYCLOAK.demoPassword());
        String aliceElsewhere = KEYCLOAK.accessTokenFrom(client, "alice", KEYCLOAK.demoPassword());

        for (String path : new String[] {"/api/v1/me", "/api/v1/audit", "/api/v1/audit/export", "/api/v1/requests"}) {
            Response refused = with(erinElsewhere).get(path);
            assertThat(refused.statusCode())
                    .as(path + ": " + refused.asString())
                    .isEqualTo(403);
            assertThat(refused.contentType()).startsWith("application/problem+json");
            assertThat(refused.jsonPath().getString("code")).isEqualTo("client_not_allowed");
            assertThat(refused.jsonPath().getString("detail"))
                    .doesNotContain("\n")
                    .isEqualTo("tokens issued to client '" + client
                            + "' are not accepted here; sign in through portcullis-cli or portcullis-web");
        }
        with(aliceElsewhere)
                .body(Map.of(
                        "target",
                        "prod-web-1",
                        "login",
                        "ubuntu",
                        "durationMinutes",
                        30,
                        "reason",
                        "r",
                        "ticket",
                        "INC-1"))
                .post("/api/v1/requests")
                .then()
                .statusCode(403)
                .body("code", equalTo("client_not_allowed"));
        with(aliceElsewhere)
                .body(Map.of("publicKey", "ssh-ed25519 AAAA"))
                .post("/api/v1/ssh/certificates")
                .then()
                .statusCode(403);

        Api.as("dave")
                .get("/api/v1/audit?action=token.refused&actor=erin&subject=" + client)
                .then()
                .statusCode(200)
                .body("size()", org.hamcrest.Matchers.greaterThanOrEqualTo(4))
                .body("[0].details.code", equalTo("client_not_allowed"));
        Api.as("erin").get("/api/v1/me").then().statusCode(200).body("admin", equalTo(true));
    }

    @Test
    void aServiceAccountIsNeverAPerson() {
        Api.asBastion().get("/api/v1/me").then().statusCode(403).body("code", equalTo("not_a_person"));
        Api.asBastion().get("/api/v1/requests").then().statusCode(403).body("code", equalTo("not_a_person"));
    }

    @Test
    void aUsernameGivenToANewAccountDoesNotInheritTheOldOnesGrants() throws InterruptedException {
        String name = unique("reborn-");
        KEYCLOAK.createUser(name, KEYCLOAK.demoPassword(), "engineers");
        String oldToken = KEYCLOAK.accessToken(name);
        String grant = with(oldToken)
                .body(Map.of(
                        "target",
                        "prod-web-1",
                        "login",
                        "ubuntu",
                        "durationMinutes",
                        60,
                        "reason",
                        "INC-7 old account",
                        "ticket",
                        "INC-7"))
                .post("/api/v1/requests")
                .then()
                .statusCode(201)
                .extract()
                .path("id");
        Api.approve("bob", grant).then().statusCode(200);
        Api.approve("carol", grant).then().statusCode(200).body("state", equalTo("ACTIVE"));

        // Continuous verification waits while the name changes hands, so that its next pass meets the new account (a
        // pass
        // between the two steps would find nobody under the name, and revoke for that reason instead).
        scheduler.pause();
        try {
            KEYCLOAK.deleteUser(name);
            KEYCLOAK.createUser(name, KEYCLOAK.demoPassword(), "engineers");
        } finally {
            scheduler.resume();
        }
        String newToken = KEYCLOAK.accessToken(name);

        // The new account is itself, not the old one: the old grant is taken away, and the old token acts no more.
        String state = null;
        for (int i = 0; i < 60 && !"REVOKED".equals(state); i++) {
            Thread.sleep(500);
            state = Api.as("dave").get("/api/v1/requests/" + grant).jsonPath().getString("state");
        }
        assertThat(state).as("the old account's grant under the reused name").isEqualTo("REVOKED");
        Api.as("dave")
                .get("/api/v1/requests/" + grant)
                .then()
                .body(
                        "endReason",
                        equalTo("continuous verification: the account now named " + name
                                + " is not the one that asked for this grant"));
        Api.asBastion()
                .body(Map.of("username", name, "target", "prod-web-1", "login", "ubuntu", "use", "SHELL"))
                .post("/internal/v1/grants/authorize")
                .then()
                .statusCode(200)
                .body("allowed", equalTo(false));

        int status = 0;
        for (int i = 0; i < 60 && status != 403; i++) {
            status = with(oldToken).get("/api/v1/me").statusCode();
            if (status != 403) {
                Thread.sleep(250);
            }
        }
        with(oldToken).get("/api/v1/me").then().statusCode(403).body("code", equalTo("account_mismatch"));
        with(newToken).get("/api/v1/me").then().statusCode(200).body("username", equalTo(name));
    }
}
