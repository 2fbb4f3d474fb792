package dev.portcullis.broker;

import static dev.portcullis.broker.Api.as;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Only auditors and admins place and release legal holds, always with a reason; refusals are audited. */
@QuarkusTest
@QuarkusTestResource(BrokerTestEnvironment.class)
class LegalHoldApiTest {

    @Test
    void noOneButAuditorsAndAdminsPlacesOrReleasesAHold() throws Exception {
        UUID session = RetentionTest.recordedSession(RetentionTest.ticket());
        Map<String, String> body = Map.of("session", session.toString(), "reason", "keep it");
        for (String person : new String[] {"alice", "bob", "carol"}) {
            as(person).body(body).post("/api/v1/holds").then().statusCode(403).body("code", equalTo("missing_group"));
        }
        Api.asBastion().body(body).post("/api/v1/holds").then().statusCode(403);
        Api.anonymous().body(body).post("/api/v1/holds").then().statusCode(401);
        as("dave")
                .get("/api/v1/audit?action=legal_hold.refused&subject=" + session)
                .then()
                .statusCode(200)
                .body("actor", hasItem("alice"))
                .body("actor", hasItem("bob"));
        as("dave").get("/api/v1/sessions/" + session).then().body("legalHold", equalTo(false));

        String hold = as("dave")
                .body(body)
                .post("/api/v1/holds")
                .then()
                .statusCode(201)
                .body("placedBy", equalTo("dave"))
                .body("live", equalTo(true))
                .extract()
                .path("id");
        as("alice").get("/api/v1/holds").then().statusCode(403);
        as("bob")
                .body(Map.of("reason", "let it go"))
                .post("/api/v1/holds/" + hold + "/release")
                .then()
                .statusCode(403)
                .body("code", equalTo("missing_group"));
        as("dave").get("/api/v1/holds").then().statusCode(200).body("id", hasItem(hold));
        as("dave").get("/api/v1/sessions/" + session).then().body("legalHold", equalTo(true));

        as("erin")
                .body(Map.of("reason", "case closed"))
                .post("/api/v1/holds/" + hold + "/release")
                .then()
                .statusCode(200)
                .body("releasedBy", equalTo("erin"))
                .body("releaseReason", equalTo("case closed"));
        as("dave").get("/api/v1/holds").then().statusCode(200).body("id", not(hasItem(hold)));
        as("dave")
                .get("/api/v1/holds?session=" + session)
                .then()
                .statusCode(200)
                .body("id", hasItem(hold));
        as("dave")
                .get("/api/v1/audit?subject=" + session)
                .then()
                .statusCode(200)
                .body("action", hasItem("legal_hold.placed"))
                .body("action", hasItem("legal_hold.released"));
    }

    @Test
    void badHoldRequestsAreClearOneLineRefusals() throws Exception {
        UUID session = RetentionTest.recordedSession(RetentionTest.ticket());
        as("dave")
                .body(Map.of("session", session.toString()))
                .post("/api/v1/holds")
                .then()
                .statusCode(422)
                .contentType("application/problem+json")
                .body("code", equalTo("field_required"))
                .body("field", equalTo("reason"));
        as("dave")
                .body(Map.of("session", session.toString(), "ticket", "INC-1", "reason", "r"))
                .post("/api/v1/holds")
                .then()
                .statusCode(422)
                .body("code", equalTo("hold_subject"));
        as("dave")
                .body(Map.of("reason", "r"))
                .post("/api/v1/holds")
                .then()
                .statusCode(422)
                .body("code", equalTo("hold_subject"));
        as("dave")
                .body(Map.of("session", UUID.randomUUID().toString(), "reason", "r"))
                .post("/api/v1/holds")
                .then()
                .statusCode(404)
                .body("code", equalTo("no_such_session"));
        as("dave")
                .body(Map.of("ticket", "x".repeat(201), "reason", "r"))
                .post("/api/v1/holds")
                .then()
                .statusCode(422)
                .body("code", equalTo("field_too_long"));
        as("dave")
                .body(Map.of("session", session.toString(), "reason", "x".repeat(1001)))
                .post("/api/v1/holds")
                .then()
                .statusCode(422)
                .body("code", equalTo("field_too_long"));
        as("dave")
                .body("{\"session\": \"not-a-uuid\", \"reason\": \"r\"}")
                .post("/api/v1/holds")
                .then()
                .statusCode(org.hamcrest.Matchers.anyOf(equalTo(400), equalTo(422)));

        String hold = as("dave")
                .body(Map.of("session", session.toString(), "reason", "r"))
                .post("/api/v1/holds")
                .then()
                .statusCode(201)
                .extract()
                .path("id");
        as("erin")
                .body(Map.of("session", session.toString(), "reason", "again"))
                .post("/api/v1/holds")
                .then()
                .statusCode(409)
                .body("code", equalTo("already_held"));
        as("dave")
                .body(Map.of())
                .post("/api/v1/holds/" + hold + "/release")
                .then()
                .statusCode(422)
                .body("field", equalTo("reason"));
        as("dave")
                .body(Map.of("reason", "done"))
                .post("/api/v1/holds/" + hold + "/release")
                .then()
                .statusCode(200);
        as("dave")
                .body(Map.of("reason", "done"))
                .post("/api/v1/holds/" + hold + "/release")
                .then()
                .statusCode(409)
                .body("code", equalTo("hold_released"));
        as("dave")
                .body(Map.of("reason", "done"))
                .post("/api/v1/holds/" + UUID.randomUUID() + "/release")
                .then()
                .statusCode(404)
                .body("code", equalTo("no_such_hold"));
    }
}
