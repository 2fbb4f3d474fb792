package dev.portcullis.broker;

import static dev.portcullis.broker.Api.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;

import dev.portcullis.testkit.LocalKeycloak;

/** Database credentials: issued to people, verified by bastions only, useless once expired or to anyone else. */
@QuarkusTest
@QuarkusTestResource(BrokerTestEnvironment.class)
class DatabaseCredentialTest {

    @Test
    void aCredentialIsIssuedOnceAndNamesItsHolderToBastionsOnly() {
        JsonPath issued = as("alice").post("/api/v1/db/credentials").then().statusCode(201)
                .body("username", equalTo("alice")).body("password", startsWith("pcdb_"))
                .body("connect", equalTo("host=127.0.0.1 port=6432 sslmode=require dbname=TARGET user=ROLE"))
                .extract().jsonPath();
        String password = issued.getString("password");
        assertThat(password).hasSize(5 + 43);
        assertThat(Duration.between(Instant.now(), Instant.parse(issued.getString("expiresAt"))))
                .isBetween(Duration.ofMinutes(59), Duration.ofMinutes(61));
        // a second one is a different credential
        assertThat(as("alice").post("/api/v1/db/credentials").then().statusCode(201).extract().path("password").toString())
                .isNotEqualTo(password);

        Api.asBastion().body(Map.of("credential", password)).post("/internal/v1/db/credentials/verify")
                .then().statusCode(200).body("username", equalTo("alice"));
        // people cannot ask whose a credential is
        as("bob").body(Map.of("credential", password)).post("/internal/v1/db/credentials/verify")
                .then().statusCode(403).body("code", equalTo("not_a_bastion"));
        // and only the issued string is a credential
        for (String wrong : new String[] {password.substring(0, password.length() - 1) + (password.endsWith("A") ? "B" : "A"),
                "pcdb_", "x".repeat(48), "pcdb_" + password.substring(5).toUpperCase()}) {
            Api.asBastion().body(Map.of("credential", wrong)).post("/internal/v1/db/credentials/verify")
                    .then().statusCode(404).body("code", equalTo("unknown_credential"));
        }
        Api.asBastion().body(Map.of()).post("/internal/v1/db/credentials/verify").then().statusCode(422);
        // the audit trail says a credential was issued, never what it was
        String audit = as("dave").get("/api/v1/audit?action=db.credential.issued").asString();
        assertThat(audit).contains("db.credential.issued").doesNotContain(password);
    }

    @Test
    void serviceClientsAndDisabledAccountsGetNone() {
        Api.asBastion().post("/api/v1/db/credentials").then().statusCode(403).body("code", equalTo("not_a_person"));
        String frank = Api.newEngineer("db-disabled-");
        String token = Api.token(frank);
        LocalKeycloak.shared().setUserEnabled(frank, false);
        try {
            io.restassured.RestAssured.given().auth().oauth2(token).post("/api/v1/db/credentials")
                    .then().statusCode(403).body("code", equalTo("account_disabled"));
        } finally {
            LocalKeycloak.shared().setUserEnabled(frank, true);
        }
    }
}
