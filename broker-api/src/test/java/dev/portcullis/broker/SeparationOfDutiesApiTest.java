package dev.portcullis.broker;

import static dev.portcullis.broker.Api.approve;
import static dev.portcullis.broker.Api.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import dev.portcullis.local.LocalKeycloak;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The separation-of-duties matrix against the real broker, PostgreSQL and Keycloak. */
@QuarkusTest
@QuarkusTestResource(BrokerTestEnvironment.class)
class SeparationOfDutiesApiTest {

    @Test
    void nobodyApprovesTheirOwnRequestEvenWithApproverRights() {
        LocalKeycloak keycloak = LocalKeycloak.shared();
        String name = "sod-self-" + System.nanoTime() % 100000;
        keycloak.createUser(name, keycloak.demoPassword(), "engineers", "sre-approvers");
        String id = as(name).body(Map.of(
                        "target",
                        "prod-web-1",
                        "login",
                        "ubuntu",
                        "durationMinutes",
                        30,
                        "reason",
                        "r",
                        "ticket",
                        "INC-7"))
                .post("/api/v1/requests")
                .then()
                .statusCode(201)
                .extract()
                .path("id");
        as(name).get("/api/v1/requests/" + id).then().body("canReview", equalTo(false));
        approve(name, id)
                .then()
                .statusCode(403)
                .body("code", equalTo("self_review"))
                .body("detail", containsString("someone else must review it"));
        Api.deny(name, id, "self").then().statusCode(403).body("code", equalTo("self_review"));
        as("dave")
                .get("/api/v1/audit?action=request.approved.refused&subject=" + id)
                .then()
                .statusCode(200)
                .body("[0].actor", equalTo(name))
                .body("[0].details.code", equalTo("self_review"));
    }

    @Test
    void eachPersonCountsOnce() {
        String id = Api.aliceRequestsWeb();
        approve("bob", id).then().statusCode(200);
        approve("bob", id).then().statusCode(409).body("code", equalTo("already_reviewed"));
        Api.deny("bob", id, "changed my mind").then().statusCode(409).body("code", equalTo("already_reviewed"));
        as("alice")
                .get("/api/v1/requests/" + id)
                .then()
                .body("state", equalTo("PENDING"))
                .body("approvals", equalTo(1));
    }

    @Test
    void nonMembersCannotReview() {
        String id = Api.aliceRequestsWeb();
        approve("dave", id)
                .then()
                .statusCode(403)
                .body("code", equalTo("not_an_approver"))
                .body("detail", containsString("/sre-approvers"));
        approve("erin", id).then().statusCode(403).body("code", equalTo("not_an_approver"));
    }

    @Test
    void anApproverRemovedFromTheGroupInKeycloakIsRefusedWhileTheirTokenIsStillValid() {
        LocalKeycloak keycloak = LocalKeycloak.shared();
        String name = "sod-removed-" + System.nanoTime() % 100000;
        keycloak.createUser(name, keycloak.demoPassword(), "sre-approvers");
        String token = keycloak.accessToken(name); // still says sre-approvers after the removal below
        String id = Api.aliceRequestsWeb();
        keycloak.removeUserFromGroup(name, "sre-approvers");

        io.restassured.RestAssured.given()
                .auth()
                .oauth2(token)
                .contentType("application/json")
                .body(Map.of())
                .post("/api/v1/requests/" + id + "/approve")
                .then()
                .statusCode(403)
                .body("code", equalTo("not_an_approver"))
                .body("detail", containsString("checked live"));
        as("alice").get("/api/v1/requests/" + id).then().body("approvals", equalTo(0));
    }

    @Test
    void aDisabledApproverIsRefusedWhileTheirTokenIsStillValid() {
        LocalKeycloak keycloak = LocalKeycloak.shared();
        String name = "sod-disabled-" + System.nanoTime() % 100000;
        keycloak.createUser(name, keycloak.demoPassword(), "sre-approvers");
        String token = keycloak.accessToken(name);
        String id = Api.aliceRequestsWeb();
        keycloak.setUserEnabled(name, false);

        io.restassured.RestAssured.given()
                .auth()
                .oauth2(token)
                .contentType("application/json")
                .body(Map.of())
                .post("/api/v1/requests/" + id + "/approve")
                .then()
                .statusCode(403)
                .body("code", equalTo("reviewer_disabled"));
    }

    @Test
    void approveAfterCancelIsRefused() {
        String id = Api.aliceRequestsWeb();
        as("alice").post("/api/v1/requests/" + id + "/cancel").then().statusCode(200);
        approve("bob", id).then().statusCode(409).body("code", equalTo("request_closed"));
    }

    @Test
    void concurrentApprovalsGiveExactlyTheRightOutcome() throws Exception {
        LocalKeycloak keycloak = LocalKeycloak.shared();
        List<String> approvers = new ArrayList<>(List.of("bob", "carol"));
        for (int i = 0; i < 3; i++) {
            String name = "sod-race-" + i + "-" + System.nanoTime() % 100000;
            keycloak.createUser(name, keycloak.demoPassword(), "sre-approvers");
            approvers.add(name);
        }
        approvers.forEach(Api::token); // fetch tokens before the race
        String id = Api.aliceRequestsWeb();

        int attempts = 100;
        ExecutorService pool = Executors.newFixedThreadPool(32);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Response>> results = new ArrayList<>();
        for (int i = 0; i < attempts; i++) {
            String approver = approvers.get(i % approvers.size());
            Callable<Response> call = () -> {
                start.await();
                return approve(approver, id);
            };
            results.add(pool.submit(call));
        }
        start.countDown();
        List<String> winners = Collections.synchronizedList(new ArrayList<>());
        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < attempts; i++) {
            Response r = results.get(i).get(60, TimeUnit.SECONDS);
            statuses.add(r.statusCode());
            if (r.statusCode() == 200) {
                winners.add(approvers.get(i % approvers.size()));
            } else {
                assertThat(r.statusCode()).as(r.asString()).isEqualTo(409);
                assertThat(r.jsonPath().getString("code")).isIn("already_reviewed", "not_pending");
            }
        }
        pool.shutdown();

        assertThat(winners)
                .as("exactly the two approvals the rule needs, from two different people")
                .hasSize(2)
                .doesNotHaveDuplicates();
        Response after = as("alice").get("/api/v1/requests/" + id);
        assertThat(after.jsonPath().getString("state")).isEqualTo("ACTIVE");
        assertThat(after.jsonPath().getList("reviews.reviewer", String.class))
                .containsExactlyInAnyOrderElementsOf(winners);
        assertThat(as("dave")
                        .get("/api/v1/audit?action=request.approved&subject=" + id)
                        .jsonPath()
                        .getList("actor", String.class))
                .containsExactlyInAnyOrderElementsOf(winners);
        as("dave").get("/api/v1/audit/verify").then().statusCode(200).body("valid", equalTo(true));
    }
}
