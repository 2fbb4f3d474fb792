package dev.portcullis.broker;

import static dev.portcullis.broker.Api.as;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

/** Bad input gets a clear problem+json answer, never a 500 or a stack trace. */
@QuarkusTest
@QuarkusTestResource(BrokerTestEnvironment.class)
class BadInputTest {

    @Test
    void malformedJson() {
        as("alice")
                .body("{\"target\": \"prod-web-1\", ")
                .post("/api/v1/requests")
                .then()
                .statusCode(400)
                .contentType("application/problem+json")
                .body("code", equalTo("malformed_body"))
                .body(not(containsString("Exception")));
    }

    @Test
    void wrongTypes() {
        as("alice")
                .body("{\"target\": \"prod-web-1\", \"durationMinutes\": \"two hours\"}")
                .post("/api/v1/requests")
                .then()
                .statusCode(400)
                .body("code", equalTo("malformed_body"));
        as("alice")
                .body("[1,2,3]")
                .post("/api/v1/requests")
                .then()
                .statusCode(400)
                .body("code", equalTo("malformed_body"));
        as("alice")
                .body("{\"durationMinutes\": 99999999999999}")
                .post("/api/v1/requests")
                .then()
                .statusCode(400);
    }

    @Test
    void unknownFieldsAreNotSilentlyIgnored() {
        as("alice")
                .body("{\"target\": \"prod-web-1\", \"login\": \"ubuntu\", \"duration\": 60}")
                .post("/api/v1/requests")
                .then()
                .statusCode(400)
                .body("code", equalTo("unknown_field"))
                .body("field", equalTo("duration"));
    }

    @Test
    void missingBodyAndMissingFields() {
        as("alice").post("/api/v1/requests").then().statusCode(422).body("code", equalTo("body_required"));
        as("alice").body("{}").post("/api/v1/requests").then().statusCode(422).body("code", equalTo("target_required"));
        as("alice")
                .body("{\"target\": \"prod-web-1\", \"login\": \"ubuntu\"}")
                .post("/api/v1/requests")
                .then()
                .statusCode(422)
                .body("code", equalTo("duration_required"));
        as("alice")
                .body("{\"target\": \"prod-web-1\", \"login\": \"ubuntu\", \"durationMinutes\": -5}")
                .post("/api/v1/requests")
                .then()
                .statusCode(422)
                .body("code", equalTo("duration_required"));
    }

    @Test
    void oversizedText() {
        String huge = "x".repeat(5000);
        as("alice")
                .body(
                        "{\"target\": \"prod-web-1\", \"login\": \"ubuntu\", \"durationMinutes\": 60, \"ticket\": \"INC-1\", \"reason\": \""
                                + huge + "\"}")
                .post("/api/v1/requests")
                .then()
                .statusCode(422)
                .body("code", equalTo("reason_too_long"));
        as("alice")
                .body("{\"target\": \"" + huge + "\", \"login\": \"ubuntu\", \"durationMinutes\": 60}")
                .post("/api/v1/requests")
                .then()
                .statusCode(422)
                .body("code", equalTo("unknown_target"));
    }

    @Test
    void wrongPathsMethodsAndParameters() {
        as("alice").get("/api/v1/requests/not-a-uuid").then().statusCode(404).contentType("application/problem+json");
        as("alice")
                .get("/api/v1/requests/00000000-0000-0000-0000-000000000000")
                .then()
                .statusCode(404)
                .body("code", equalTo("no_such_request"));
        as("bob")
                .post("/api/v1/requests/00000000-0000-0000-0000-000000000000/approve")
                .then()
                .statusCode(404)
                .body("code", equalTo("no_such_request"));
        as("alice").delete("/api/v1/requests").then().statusCode(405).contentType("application/problem+json");
        as("alice")
                .contentType("text/plain")
                .body("hello")
                .post("/api/v1/requests")
                .then()
                .statusCode(415);
        as("alice")
                .get("/api/v1/requests?scope=everything")
                .then()
                .statusCode(422)
                .body("code", equalTo("bad_scope"));
        as("alice").get("/api/v1/requests?state=ALIVE").then().statusCode(422).body("code", equalTo("bad_state"));
        as("alice").get("/api/v1/requests?limit=0").then().statusCode(422).body("code", equalTo("bad_limit"));
        as("dave").get("/api/v1/audit?limit=100000").then().statusCode(422).body("code", equalTo("bad_limit"));
    }

    @Test
    void badTokensAre401WithAHint() {
        io.restassured.RestAssured.given()
                .auth()
                .oauth2("not.a.jwt")
                .get("/api/v1/me")
                .then()
                .statusCode(401)
                .header("WWW-Authenticate", containsString("Bearer"));
        String alice = Api.token("alice");
        String tampered = alice.substring(0, alice.length() - 4) + (alice.endsWith("AAAA") ? "BBBB" : "AAAA");
        io.restassured.RestAssured.given()
                .auth()
                .oauth2(tampered)
                .get("/api/v1/me")
                .then()
                .statusCode(401);
    }
}
