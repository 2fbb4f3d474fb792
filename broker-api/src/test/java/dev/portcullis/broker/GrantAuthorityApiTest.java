package dev.portcullis.broker;

import static dev.portcullis.broker.Api.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The question a bastion asks for every session and channel, answered from live grants. */
@QuarkusTest
@QuarkusTestResource(BrokerTestEnvironment.class)
class GrantAuthorityApiTest {

    private static Response authorize(String username, String target, String login, String use) {
        Map<String, Object> body = new HashMap<>();
        body.put("username", username);
        body.put("target", target);
        body.put("login", login);
        body.put("use", use);
        return Api.asBastion().body(body).post("/internal/v1/grants/authorize");
    }

    @Test
    void anApprovedGrantIsAllowedWithWhatTheBastionNeedsAndReleasingItEndsThat() {
        String name = Api.newEngineer("authz-");
        authorize(name, "prod-web-1", "ubuntu", "SHELL")
                .then()
                .statusCode(200)
                .body("allowed", equalTo(false))
                .body("code", equalTo("no_grant"))
                .body("message", equalTo("no active grant for ubuntu@prod-web-1"));

        String id = Api.activeWebGrant(name);
        JsonPath allowed = authorize(name, "prod-web-1", "ubuntu", "SHELL")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
        assertThat(allowed.getBoolean("allowed")).isTrue();
        assertThat(allowed.getMap("$")).doesNotContainKeys("code", "message");
        assertThat(allowed.getString("grant.requestId")).isEqualTo(id);
        assertThat(allowed.getString("grant.holder")).isEqualTo(name);
        Map<String, Object> target =
                new HashMap<>(Map.of("name", "prod-web-1", "kind", "SSH", "host", "127.0.0.1", "port", 2222));
        target.put("database", null);
        assertThat(allowed.getMap("grant.target")).isEqualTo(target);
        assertThat(allowed.getString("grant.login")).isEqualTo("ubuntu");
        assertThat(allowed.getString("grant.access")).isEqualTo("WRITE");
        String endsAt = as(name).get("/api/v1/requests/" + id).jsonPath().getString("endsAt");
        assertThat(Instant.parse(allowed.getString("grant.endsAt"))).isEqualTo(Instant.parse(endsAt));
        assertThat(allowed.getMap("grant.session"))
                .isEqualTo(Map.of(
                        "portForwarding",
                        false,
                        "agentForwarding",
                        false,
                        "recordInput",
                        true,
                        "recordQueryParameters",
                        true));

        // The rule does not turn forwarding on: the same grant refuses it, with a message for the user.
        authorize(name, "prod-web-1", "ubuntu", "PORT_FORWARDING")
                .then()
                .statusCode(200)
                .body("allowed", equalTo(false))
                .body("code", equalTo("port_forwarding_refused"))
                .body("message", equalTo("port forwarding is not allowed for ubuntu@prod-web-1"));
        // Another login, another target, another person: no grant.
        authorize(name, "prod-web-1", "root", "SHELL")
                .then()
                .body("allowed", equalTo(false))
                .body("message", equalTo("no active grant for root@prod-web-1"));
        authorize("carol", "prod-web-1", "ubuntu", "SHELL")
                .then()
                .body("allowed", equalTo(false))
                .body("code", equalTo("no_grant"));
        authorize(name, "prod-db", "app_readonly", "DATABASE")
                .then()
                .body("allowed", equalTo(false))
                .body("code", equalTo("no_grant"));
        authorize(name, "prod-web-1", "ubuntu", "DATABASE")
                .then()
                .body("allowed", equalTo(false))
                .body("code", equalTo("wrong_protocol"));
        authorize(name, "nowhere", "ubuntu", "SHELL")
                .then()
                .body("allowed", equalTo(false))
                .body("code", equalTo("unknown_target"));

        as(name).post("/api/v1/requests/" + id + "/release").then().statusCode(200);
        authorize(name, "prod-web-1", "ubuntu", "SHELL")
                .then()
                .statusCode(200)
                .body("allowed", equalTo(false))
                .body("code", equalTo("no_grant"))
                .body("message", equalTo("no active grant for ubuntu@prod-web-1"));
    }

    @Test
    void refusalsAreAuditedAsTheAsker() {
        String name = Api.newEngineer("authz-audit-");
        authorize(name, "prod-web-1", "ubuntu", "exec").then().statusCode(200).body("allowed", equalTo(false));
        as("dave")
                .get("/api/v1/audit?actor=" + name + "&action=session.refused")
                .then()
                .statusCode(200)
                .body("size()", equalTo(1))
                .body("[0].subjectId", equalTo("prod-web-1"))
                .body(
                        "[0].details",
                        equalTo(Map.of("code", "no_grant", "target", "prod-web-1", "login", "ubuntu", "use", "EXEC")));
    }

    @Test
    void incompleteQuestionsAreRejected() {
        for (String field : new String[] {"username", "target", "login", "use"}) {
            Map<String, Object> body = new HashMap<>(
                    Map.of("username", "alice", "target", "prod-web-1", "login", "ubuntu", "use", "SHELL"));
            body.put(field, " ");
            Api.asBastion()
                    .body(body)
                    .post("/internal/v1/grants/authorize")
                    .then()
                    .statusCode(422)
                    .contentType("application/problem+json")
                    .body("field", equalTo(field));
            body.remove(field);
            Api.asBastion()
                    .body(body)
                    .post("/internal/v1/grants/authorize")
                    .then()
                    .statusCode(422)
                    .body("field", equalTo(field));
        }
        authorize("alice", "prod-web-1", "ubuntu", "TELEPORT")
                .then()
                .statusCode(422)
                .body("code", equalTo("bad_use"))
                .body(
                        "detail",
                        equalTo(
                                "use must be one of [SESSION, SHELL, EXEC, SFTP, PORT_FORWARDING, AGENT_FORWARDING, DATABASE]"));
    }

    /** The bastion's periodic re-check: one call tells which of its sessions' grants are no longer live. */
    @Test
    void theStatusOfGrantsTellsLiveFromEndedAndUnknownAsNotLive() {
        String name = Api.newEngineer("status-");
        String live = Api.activeWebGrant(name);
        String revoked = Api.activeWebGrant(name);
        as("erin")
                .body(Map.of("reason", "laptop stolen"))
                .post("/api/v1/requests/" + revoked + "/revoke")
                .then()
                .statusCode(200);
        String unknown = java.util.UUID.randomUUID().toString();
        JsonPath answer = Api.asBastion()
                .body(Map.of("requestIds", List.of(live, revoked, unknown)))
                .post("/internal/v1/grants/status")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
        assertThat(answer.getList("grants.requestId")).containsExactly(live, revoked, unknown);
        assertThat(answer.getList("grants.live")).containsExactly(true, false, false);
        assertThat(answer.getList("grants.state")).containsExactly("ACTIVE", "REVOKED", "UNKNOWN");
        assertThat(answer.getString("grants[1].reason")).isEqualTo("laptop stolen");
        assertThat(answer.getString("grants[1].target")).isEqualTo("prod-web-1");
        assertThat(answer.getString("grants[1].login")).isEqualTo("ubuntu");

        as(name).body(Map.of("requestIds", List.of(live)))
                .post("/internal/v1/grants/status")
                .then()
                .statusCode(403)
                .body("code", equalTo("not_a_bastion"));
        Api.asBastion()
                .body(Map.of("requestIds", List.of("not-a-uuid")))
                .post("/internal/v1/grants/status")
                .then()
                .statusCode(400);
        Api.asBastion()
                .body("{}")
                .post("/internal/v1/grants/status")
                .then()
                .statusCode(422)
                .body("code", equalTo("body_required"));
    }

    @Test
    void onlyBastionsMayAsk() {
        Map<String, String> body =
                Map.of("username", "alice", "target", "prod-web-1", "login", "ubuntu", "use", "SHELL");
        Api.anonymous().body(body).post("/internal/v1/grants/authorize").then().statusCode(401);
        as("alice")
                .body(body)
                .post("/internal/v1/grants/authorize")
                .then()
                .statusCode(403)
                .body("code", equalTo("not_a_bastion"));
        as("erin")
                .body(body)
                .post("/internal/v1/grants/authorize")
                .then()
                .statusCode(403)
                .body("code", equalTo("not_a_bastion"));
    }
}
