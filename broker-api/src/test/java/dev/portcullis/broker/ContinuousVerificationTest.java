package dev.portcullis.broker;

import static dev.portcullis.broker.Api.as;
import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.local.LocalKeycloak;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.time.Duration;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/** Grants follow the directory: disabled or removed holders lose them, JIT groups hold exactly the holders. */
@QuarkusTest
@QuarkusTestResource(BrokerTestEnvironment.class)
class ContinuousVerificationTest {

    private final LocalKeycloak keycloak = LocalKeycloak.shared();

    private String engineerWithWebGrant(String prefix) {
        String name = prefix + System.nanoTime() % 100000;
        keycloak.createUser(name, keycloak.demoPassword(), "engineers");
        String id = as(name).body(Map.of(
                        "target",
                        "prod-web-1",
                        "login",
                        "ubuntu",
                        "durationMinutes",
                        60,
                        "reason",
                        "r",
                        "ticket",
                        "INC-1"))
                .post("/api/v1/requests")
                .then()
                .statusCode(201)
                .extract()
                .path("id");
        Api.approve("bob", id).then().statusCode(200);
        Api.approve("carol", id).then().statusCode(200).extract().path("state").equals("ACTIVE");
        return name + " " + id;
    }

    @Test
    void aHolderDisabledInKeycloakLosesTheirGrantsWithin30Seconds() throws Exception {
        String[] holder = engineerWithWebGrant("cv-disabled-").split(" ");
        keycloak.setUserEnabled(holder[0], false);
        JsonPath grant = awaitState(holder[1], "REVOKED");
        assertThat(grant.getString("endedBy")).isEqualTo("portcullis");
        assertThat(grant.getString("endReason"))
                .isEqualTo("continuous verification: " + holder[0] + " is disabled in the directory");
    }

    @Test
    void aHolderRemovedFromTheRequesterGroupLosesTheirGrants() throws Exception {
        String[] holder = engineerWithWebGrant("cv-moved-").split(" ");
        keycloak.removeUserFromGroup(holder[0], "engineers");
        JsonPath grant = awaitState(holder[1], "REVOKED");
        assertThat(grant.getString("endReason"))
                .isEqualTo("continuous verification: " + holder[0] + " is no longer a member of /engineers");
        as("dave")
                .get("/api/v1/audit?action=grant.revoked&subject=" + holder[1])
                .then()
                .statusCode(200)
                .body("[0].actor", org.hamcrest.Matchers.equalTo("portcullis"));
    }

    @Test
    void jitGroupMembershipLastsExactlyAsLongAsTheGrant() throws Exception {
        String name = "cv-jit-" + System.nanoTime() % 100000;
        keycloak.createUser(name, keycloak.demoPassword(), "engineers");
        String id = as(name).body(Map.of("target", "prod-db", "login", "app_readonly", "durationMinutes", 30))
                .post("/api/v1/requests")
                .then()
                .statusCode(201)
                .extract()
                .path("id");
        assertThat(keycloak.groupsOf(name)).doesNotContain("prod-db-admins");
        Api.approve("erin", id).then().statusCode(200);
        await(() -> keycloak.groupsOf(name).contains("prod-db-admins"), "JIT membership after approval");

        // Someone adds a member by hand: the broker owns the group and takes it back.
        String stray = "cv-stray-" + System.nanoTime() % 100000;
        keycloak.createUser(stray, keycloak.demoPassword(), "engineers", "jit/prod-db-admins");
        await(() -> !keycloak.groupsOf(stray).contains("prod-db-admins"), "stray member removed");

        as(name).post("/api/v1/requests/" + id + "/release").then().statusCode(200);
        await(() -> !keycloak.groupsOf(name).contains("prod-db-admins"), "JIT membership removed after release");
        as("dave")
                .get("/api/v1/audit?subject=/jit/prod-db-admins&limit=50")
                .then()
                .statusCode(200)
                .body(
                        "findAll { it.details.user == '" + name + "' }.action",
                        org.hamcrest.Matchers.hasItems("jit.member_added", "jit.member_removed"));
    }

    private static JsonPath awaitState(String id, String state) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        JsonPath last = null;
        while (System.nanoTime() < deadline) {
            last = as("dave").get("/api/v1/requests/" + id).jsonPath();
            if (state.equals(last.getString("state"))) {
                return last;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("request " + id + " is " + (last == null ? "?" : last.getString("state"))
                + " after 30 s, expected " + state);
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return;
            }
            Thread.sleep(250);
        }
        throw new AssertionError(what + ": not within 30 s");
    }
}
