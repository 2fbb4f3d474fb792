package dev.portcullis.broker;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

/**
 * What the Kubernetes probes and the metrics scraper of deploy/k8s call, without a token: readiness (which
 * includes the database), liveness, start-up, and Prometheus metrics.
 */
@QuarkusTest
@QuarkusTestResource(BrokerTestEnvironment.class)
class HealthAndMetricsTest {

    @Test
    void theProbesOfTheDeploymentAnswerUp() {
        given().get("/q/health/ready")
                .then()
                .statusCode(200)
                .body("status", equalTo("UP"))
                .body(containsString("Database connections health check"));
        given().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
        given().get("/q/health/started").then().statusCode(200).body("status", equalTo("UP"));
    }

    /** The Portcullis figures the Grafana dashboard of deploy/ draws, after one request approved through Keycloak. */
    @Test
    void portcullisFiguresAreServed() {
        Api.activeWebGrant(Api.newEngineer("metrics-"));
        given().get("/q/metrics")
                .then()
                .statusCode(200)
                .body(
                        containsString("portcullis_requests{state=\"ACTIVE\"}"),
                        containsString("portcullis_reviews_total{decision=\"APPROVE\"}"),
                        containsString("portcullis_grant_events_total{kind=\"started\"}"),
                        containsString("portcullis_request_to_active_seconds{stat=\"avg\",window=\"1h\"}"),
                        containsString("portcullis_sessions_open{protocol=\"ssh\"}"),
                        containsString("portcullis_bastion_leases_live"),
                        containsString("portcullis_keycloak_calls_seconds_count{"),
                        containsString("portcullis_audit_append_seconds_count{"));
    }

    @Test
    void prometheusMetricsAreServed() {
        given().get("/api/v1/ssh/ca").then().statusCode(200);
        given().get("/q/metrics")
                .then()
                .statusCode(200)
                .body(containsString("jvm_memory_used_bytes"), containsString("http_server_requests_seconds_count"));
    }
}
