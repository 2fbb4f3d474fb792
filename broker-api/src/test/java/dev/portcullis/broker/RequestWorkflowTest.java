package dev.portcullis.broker;

import static dev.portcullis.broker.Api.approve;
import static dev.portcullis.broker.Api.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(BrokerTestEnvironment.class)
class RequestWorkflowTest {

    @Test
    void aliceRequestsBobAndCarolApproveAndTheGrantIsActiveForTheRequestedTime() {
        String id = Api.aliceRequestsWeb();

        as("alice")
                .get("/api/v1/requests/" + id)
                .then()
                .statusCode(200)
                .body("state", equalTo("PENDING"))
                .body("approvals", equalTo(0))
                .body("approvalsRequired", equalTo(2))
                .body("approverGroups", hasItem("/sre-approvers"))
                .body("canReview", equalTo(false));
        as("bob").get("/api/v1/requests?scope=review").then().statusCode(200).body("id", hasItem(id));
        as("alice").get("/api/v1/requests?scope=review").then().statusCode(200).body("id", not(hasItem(id)));

        approve("bob", id)
                .then()
                .statusCode(200)
                .body("state", equalTo("PENDING"))
                .body("approvals", equalTo(1));
        as("bob").get("/api/v1/requests?scope=review").then().statusCode(200).body("id", not(hasItem(id)));
        approve("carol", id)
                .then()
                .statusCode(200)
                .body("state", equalTo("ACTIVE"))
                .body("live", equalTo(true))
                .body("reviews.reviewer", equalTo(List.of("bob", "carol")));

        Map<String, Object> grant = as("alice")
                .get("/api/v1/requests/" + id)
                .then()
                .statusCode(200)
                .extract()
                .jsonPath()
                .getMap("");
        Instant granted = Instant.parse((String) grant.get("grantedAt"));
        Instant ends = Instant.parse((String) grant.get("endsAt"));
        assertThat(Duration.between(granted, ends)).isEqualTo(Duration.ofMinutes(60));

        as("alice").get("/api/v1/requests?state=ACTIVE").then().statusCode(200).body("id", hasItem(id));
        as("dave")
                .get("/api/v1/audit?subject=" + id)
                .then()
                .statusCode(200)
                .body("action", equalTo(List.of("request.approved", "request.approved", "request.created")))
                .body("actor", equalTo(List.of("carol", "bob", "alice")));
    }

    @Test
    void targetsListOnlyWhatThePolicyLetsMeRequest() {
        as("alice")
                .get("/api/v1/targets")
                .then()
                .statusCode(200)
                .body("login", equalTo(List.of("app_readonly", "ubuntu")))
                .body("find { it.target == 'prod-web-1' }.maxDurationMinutes", equalTo(240))
                .body("find { it.target == 'prod-web-1' }.ticketPattern", equalTo("INC-[0-9]+"))
                .body("find { it.target == 'prod-db' }.access", equalTo("read"));
        as("bob").get("/api/v1/targets").then().statusCode(200).body("size()", equalTo(0));
        as("alice")
                .get("/api/v1/me")
                .then()
                .statusCode(200)
                .body("username", equalTo("alice"))
                .body("groups", hasItem("/engineers"))
                .body("auditor", equalTo(false));
        as("dave").get("/api/v1/me").then().statusCode(200).body("auditor", equalTo(true));
    }

    @Test
    void policyViolationsAreClearFieldErrors() {
        as("alice")
                .body(Map.of(
                        "target",
                        "prod-web-1",
                        "login",
                        "ubuntu",
                        "durationMinutes",
                        600,
                        "reason",
                        "r",
                        "ticket",
                        "INC-1"))
                .post("/api/v1/requests")
                .then()
                .statusCode(422)
                .contentType("application/problem+json")
                .body("code", equalTo("duration_too_long"))
                .body("field", equalTo("duration"))
                .body("detail", containsString("at most 4h"));
        as("alice")
                .body(Map.of(
                        "target",
                        "prod-web-1",
                        "login",
                        "ubuntu",
                        "durationMinutes",
                        60,
                        "reason",
                        "r",
                        "ticket",
                        "JIRA-9"))
                .post("/api/v1/requests")
                .then()
                .statusCode(422)
                .body("code", equalTo("ticket_invalid"))
                .body("field", equalTo("ticket"));
        as("alice")
                .body(Map.of(
                        "target",
                        "prod-web-1",
                        "login",
                        "root",
                        "durationMinutes",
                        60,
                        "reason",
                        "r",
                        "ticket",
                        "INC-1"))
                .post("/api/v1/requests")
                .then()
                .statusCode(403)
                .body("code", equalTo("not_allowed"))
                .body("detail", equalTo("no policy rule lets you request root@prod-web-1"));
    }

    @Test
    void oneDenyClosesTheRequestWithItsReason() {
        String id = Api.aliceRequestsWeb();
        approve("bob", id).then().statusCode(200);
        Api.deny("carol", id, "").then().statusCode(422).body("code", equalTo("reason_required"));
        Api.deny("carol", id, "change freeze")
                .then()
                .statusCode(200)
                .body("state", equalTo("DENIED"))
                .body("endReason", equalTo("change freeze"))
                .body("endedBy", equalTo("carol"));
        approve("carol", id).then().statusCode(409).body("code", equalTo("request_closed"));
    }

    @Test
    void theRequesterCanCancelAndReleaseEarly() {
        String pending = Api.aliceRequestsWeb();
        as("bob")
                .post("/api/v1/requests/" + pending + "/cancel")
                .then()
                .statusCode(403)
                .body("code", equalTo("not_requester"));
        as("alice")
                .post("/api/v1/requests/" + pending + "/cancel")
                .then()
                .statusCode(200)
                .body("state", equalTo("CANCELLED"));
        approve("bob", pending)
                .then()
                .statusCode(409)
                .body("code", equalTo("request_closed"))
                .body("detail", containsString("already cancelled"));

        String active = Api.aliceRequestsWeb();
        approve("bob", active).then().statusCode(200);
        approve("carol", active).then().statusCode(200);
        as("alice")
                .post("/api/v1/requests/" + active + "/release")
                .then()
                .statusCode(200)
                .body("state", equalTo("EXPIRED"))
                .body("endReason", containsString("released early"))
                .body("live", equalTo(false));
    }

    @Test
    void createdRequestHasALocationHeader() {
        as("alice")
                .body(Map.of("target", "prod-db", "login", "app_readonly", "durationMinutes", 30))
                .post("/api/v1/requests")
                .then()
                .statusCode(201)
                .header("Location", containsString("/api/v1/requests/"))
                .body("access", equalTo("read"))
                .body("reason", equalTo(null))
                .body("pendingUntil", notNullValue());
    }
}
