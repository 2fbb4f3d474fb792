package dev.portcullis.broker;

import static dev.portcullis.broker.Api.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import dev.portcullis.local.LocalKeycloak;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Database credentials: issued to people, verified by bastions only, useless once expired or to anyone else. */
@QuarkusTest
@QuarkusTestResource(BrokerTestEnvironment.class)
class DatabaseCredentialTest {

    @Test
    void aCredentialIsIssuedOnceAndNamesItsHolderToBastionsOnly() {
        JsonPath issued = as("alice")
                .body(Map.of("target", "prod-db"))
                .post("/api/v1/db/credentials")
                .then()
                .statusCode(201)
                .body("username", equalTo("alice"))
                .body("target", equalTo("prod-db"))
                .body("password", startsWith("pcdb_"))
                .body(
                        "connect",
                        equalTo("host=127.0.0.1 port=6432 sslmode=verify-full sslrootcert=portcullis-db-ca.pem"
                                + " dbname=prod-db user=ROLE"))
                .body("sslRootCert", equalTo("portcullis-db-ca.pem"))
                .body("caCertificate", startsWith("-----BEGIN CERTIFICATE-----"))
                .extract()
                .jsonPath();
        String password = issued.getString("password");
        assertThat(password).hasSize(5 + 43);
        assertThat(Duration.between(Instant.now(), Instant.parse(issued.getString("expiresAt"))))
                .isBetween(Duration.ofMinutes(59), Duration.ofMinutes(61));
        // a second one is a different credential
        assertThat(as("alice")
                        .body(Map.of("target", "prod-db"))
                        .post("/api/v1/db/credentials")
                        .then()
                        .statusCode(201)
                        .extract()
                        .path("password")
                        .toString())
                .isNotEqualTo(password);
        // the proxy's CA, for whoever has a credential already
        assertThat(as("alice")
                        .get("/api/v1/db/ca")
                        .then()
                        .statusCode(200)
                        .extract()
                        .asString())
                .startsWith("-----BEGIN CERTIFICATE-----");

        Api.asBastion()
                .body(Map.of("credential", password, "target", "prod-db"))
                .post("/internal/v1/db/credentials/verify")
                .then()
                .statusCode(200)
                .body("username", equalTo("alice"));
        // people cannot ask whose a credential is
        as("bob")
                .body(Map.of("credential", password, "target", "prod-db"))
                .post("/internal/v1/db/credentials/verify")
                .then()
                .statusCode(403)
                .body("code", equalTo("not_a_bastion"));
        // and only the issued string is a credential
        for (String wrong : new String[] {
            password.substring(0, password.length() - 1) + (password.endsWith("A") ? "B" : "A"),
            "pcdb_",
            "x".repeat(48),
            "pcdb_" + password.substring(5).toUpperCase()
        }) {
            Api.asBastion()
                    .body(Map.of("credential", wrong, "target", "prod-db"))
                    .post("/internal/v1/db/credentials/verify")
                    .then()
                    .statusCode(404)
                    .body("code", equalTo("unknown_credential"));
        }
        Api.asBastion()
                .body(Map.of())
                .post("/internal/v1/db/credentials/verify")
                .then()
                .statusCode(422);
        Api.asBastion()
                .body(Map.of("credential", password))
                .post("/internal/v1/db/credentials/verify")
                .then()
                .statusCode(422);
        // the audit trail says a credential was issued, never what it was
        String audit =
                as("dave").get("/api/v1/audit?action=db.credential.issued").asString();
        assertThat(audit).contains("db.credential.issued").doesNotContain(password);
    }

    /** F11: a credential is for one target; presented for another it is nobody's, and the attempt is audited. */
    @Test
    void aCredentialForOneTargetIsRefusedForAnother() {
        String password = as("alice")
                .body(Map.of("target", "prod-db"))
                .post("/api/v1/db/credentials")
                .then()
                .statusCode(201)
                .extract()
                .path("password");
        Api.asBastion()
                .body(Map.of("credential", password, "target", "staging-db"))
                .post("/internal/v1/db/credentials/verify")
                .then()
                .statusCode(404)
                .body("code", equalTo("credential_for_other_target"))
                .body("detail", equalTo("this database credential of alice is for prod-db, not staging-db"));
        String audit =
                as("dave").get("/api/v1/audit?action=db.credential.refused").asString();
        assertThat(audit).contains("db.credential.refused", "staging-db").doesNotContain(password);
        // a credential names its target when it is issued: none, or one that is not a database, gets none
        as("alice").post("/api/v1/db/credentials").then().statusCode(422).body("code", equalTo("field_required"));
        as("alice")
                .body(Map.of("target", "nowhere"))
                .post("/api/v1/db/credentials")
                .then()
                .statusCode(422)
                .body("code", equalTo("unknown_target"));
        as("alice").post("/api/v1/db/credentials?target=prod-db").then().statusCode(201);
    }

    /**
     * F16 for databases: a credential names the Keycloak account it was issued to, which the proxy asks with; one that
     * names no account (issued before V19) is refused in one line and audited, never taken by name alone.
     */
    @Test
    void aCredentialNamesTheAccountItWasIssuedToAndOneWithoutAnAccountIsRefused() throws Exception {
        String password = as("alice")
                .body(Map.of("target", "prod-db"))
                .post("/api/v1/db/credentials")
                .then()
                .statusCode(201)
                .extract()
                .path("password");
        Api.asBastion()
                .body(Map.of("credential", password, "target", "prod-db"))
                .post("/internal/v1/db/credentials/verify")
                .then()
                .statusCode(200)
                .body("username", equalTo("alice"))
                .body("account", equalTo(LocalKeycloak.shared().userId("alice")));

        String older = as("alice")
                .body(Map.of("target", "prod-db"))
                .post("/api/v1/db/credentials")
                .then()
                .statusCode(201)
                .extract()
                .path("password");
        try (java.sql.Connection db = DatabaseAdmin.superuser();
                java.sql.PreparedStatement forget = db.prepareStatement(
                        "update database_credential set account = null where credential_hash = sha256(?::bytea)")) {
            forget.setString(1, older);
            assertThat(forget.executeUpdate())
                    .as("the credential as V19 finds one issued before it")
                    .isEqualTo(1);
        }
        Api.asBastion()
                .body(Map.of("credential", older, "target", "prod-db"))
                .post("/internal/v1/db/credentials/verify")
                .then()
                .statusCode(404)
                .body("code", equalTo("credential_without_account"))
                .body(
                        "detail",
                        equalTo("this database credential of alice was issued before credentials named their"
                                + " account; ask for a new one"));
        assertThat(as("dave").get("/api/v1/audit?action=db.credential.refused").asString())
                .contains("credential_without_account")
                .doesNotContain(older);
    }

    @Test
    void serviceClientsAndDisabledAccountsGetNone() {
        Api.asBastion().post("/api/v1/db/credentials").then().statusCode(403).body("code", equalTo("not_a_person"));
        String frank = Api.newEngineer("db-disabled-");
        String token = Api.token(frank);
        LocalKeycloak.shared().setUserEnabled(frank, false);
        try {
            io.restassured.RestAssured.given()
                    .auth()
                    .oauth2(token)
                    .post("/api/v1/db/credentials")
                    .then()
                    .statusCode(403)
                    .body("code", equalTo("account_disabled"));
        } finally {
            LocalKeycloak.shared().setUserEnabled(frank, true);
        }
    }
}
