package dev.portcullis.broker;

import static dev.portcullis.broker.Api.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Bastions report sessions; their users see their own, auditors and admins see everyone's. */
@QuarkusTest
@QuarkusTestResource(BrokerTestEnvironment.class)
class SessionIndexTest {

    static Map<String, Object> opened(
            UUID sessionId, String requestId, String username, String recordingId, Instant startedAt) {
        Map<String, Object> body = new HashMap<>();
        body.put("sessionId", sessionId.toString());
        body.put("requestId", requestId);
        body.put("username", username);
        body.put("target", "prod-web-1");
        body.put("login", "ubuntu");
        body.put("protocol", "ssh");
        body.put("recordingId", recordingId);
        body.put("bastion", "bastion-a");
        body.put("clientAddress", "192.0.2.10:50522");
        body.put("startedAt", startedAt.toString());
        return body;
    }

    static Map<String, Object> ended(Instant endedAt, long bytesIn, long bytesOut, String status, String detail) {
        Map<String, Object> body = new HashMap<>();
        body.put("endedAt", endedAt.toString());
        body.put("bytesIn", bytesIn);
        body.put("bytesOut", bytesOut);
        body.put("status", status);
        body.put("detail", detail);
        return body;
    }

    @Test
    void aSessionIsIndexedOnceAndItsEndIsRecordedOnce() {
        String name = Api.newEngineer("sess-");
        String grant = Api.activeWebGrant(name);
        UUID id = UUID.randomUUID();
        Instant started = Instant.parse("2026-03-01T09:30:00.123456Z");
        Map<String, Object> body = opened(id, grant, name, "rec-" + id, started);
        body.put("recordingKey", TestBastion.trusted().keyId());
        JsonPath created = Api.asBastion()
                .body(body)
                .post("/internal/v1/sessions")
                .then()
                .statusCode(201)
                .header("Location", "/api/v1/sessions/" + id)
                .extract()
                .jsonPath();
        assertThat(created.getString("status")).isEqualTo("OPEN");
        assertThat(created.getString("requestId")).isEqualTo(grant);
        assertThat(Instant.parse(created.getString("startedAt"))).isEqualTo(started);
        assertThat(created.getString("endedAt")).isNull();

        // A bastion retrying after a lost answer must not make a second session.
        Api.asBastion()
                .body(body)
                .post("/internal/v1/sessions")
                .then()
                .statusCode(409)
                .contentType("application/problem+json")
                .body("code", equalTo("session_exists"));

        Instant end = started.plusSeconds(95);
        JsonPath closed = Api.asBastion()
                .body(ended(end, 1200, 48000, "CLOSED", "client disconnected"))
                .post("/internal/v1/sessions/" + id + "/end")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
        assertThat(closed.getString("status")).isEqualTo("CLOSED");
        assertThat(closed.getLong("bytesIn")).isEqualTo(1200);
        assertThat(closed.getLong("bytesOut")).isEqualTo(48000);
        assertThat(closed.getString("detail")).isEqualTo("client disconnected");
        assertThat(Instant.parse(closed.getString("endedAt"))).isEqualTo(end);

        // A repeat (or a late GRANT_ENDED from a timer) is accepted and changes nothing.
        Api.asBastion()
                .body(ended(end.plusSeconds(5), 1, 2, "GRANT_ENDED", "grant ended"))
                .post("/internal/v1/sessions/" + id + "/end")
                .then()
                .statusCode(200)
                .body("status", equalTo("CLOSED"))
                .body("bytesIn", equalTo(1200))
                .body("detail", equalTo("client disconnected"));
        as(name).get("/api/v1/sessions/" + id)
                .then()
                .statusCode(200)
                .body("status", equalTo("CLOSED"))
                .body("bytesOut", equalTo(48000));

        JsonPath audit = as("dave")
                .get("/api/v1/audit?subject=" + id)
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
        assertThat(audit.getList("action")).containsExactly("session.closed", "session.opened");
        assertThat(audit.getList("actor")).containsOnly(name);
        assertThat(audit.getMap("[0].details"))
                .containsEntry("status", "CLOSED")
                .containsEntry("bytesIn", "1200")
                .containsEntry("bytesOut", "48000");
        assertThat(audit.getMap("[1].details"))
                .containsEntry("request", grant)
                .containsEntry("bastion", "bastion-a")
                .containsEntry("recording", "rec-" + id);
    }

    @Test
    void badReportsAreRejected() {
        UUID id = UUID.randomUUID();
        Instant now = Instant.parse("2026-03-01T10:00:00Z");
        for (String field : List.of("sessionId", "username", "target", "login", "protocol", "startedAt")) {
            Map<String, Object> body = opened(id, null, "alice", null, now);
            body.remove(field);
            Api.asBastion()
                    .body(body)
                    .post("/internal/v1/sessions")
                    .then()
                    .statusCode(422)
                    .body("field", equalTo(field));
        }
        Map<String, Object> telnet = opened(id, null, "alice", null, now);
        telnet.put("protocol", "telnet");
        Api.asBastion()
                .body(telnet)
                .post("/internal/v1/sessions")
                .then()
                .statusCode(422)
                .body("code", equalTo("bad_protocol"));
        Api.asBastion()
                .body(opened(id, null, "alice", "../../etc", now))
                .post("/internal/v1/sessions")
                .then()
                .statusCode(422)
                .body("code", equalTo("bad_recording_id"));
        Api.asBastion()
                .body(opened(id, UUID.randomUUID().toString(), "alice", null, now))
                .post("/internal/v1/sessions")
                .then()
                .statusCode(422)
                .body("code", equalTo("no_such_request"));
        Api.asBastion()
                .body(opened(id, null, "alice", null, now))
                .post("/internal/v1/sessions")
                .then()
                .statusCode(422)
                .body("field", equalTo("requestId"));
        String name = Api.newEngineer("sess-bad-");
        String grant = Api.activeWebGrant(name);
        Api.asBastion()
                .body(opened(id, grant, name, "rec-" + id, now))
                .post("/internal/v1/sessions")
                .then()
                .statusCode(422)
                .body("code", equalTo("recording_key_required"));
        Map<String, Object> badKey = opened(id, grant, name, "rec-" + id, now);
        badKey.put("recordingKey", "../../etc/passwd");
        Api.asBastion()
                .body(badKey)
                .post("/internal/v1/sessions")
                .then()
                .statusCode(422)
                .body("code", equalTo("bad_recording_key"));

        Api.asBastion()
                .body(ended(now, 0, 0, "CLOSED", null))
                .post("/internal/v1/sessions/" + UUID.randomUUID() + "/end")
                .then()
                .statusCode(404)
                .body("code", equalTo("no_such_session"));
        Api.asBastion()
                .body(opened(id, grant, name, null, now))
                .post("/internal/v1/sessions")
                .then()
                .statusCode(201);
        Api.asBastion()
                .body(ended(now, 0, 0, "OPEN", null))
                .post("/internal/v1/sessions/" + id + "/end")
                .then()
                .statusCode(422)
                .body("code", equalTo("bad_status"));
        Api.asBastion()
                .body(ended(now, -1, 0, "CLOSED", null))
                .post("/internal/v1/sessions/" + id + "/end")
                .then()
                .statusCode(422)
                .body("field", equalTo("bytesIn"));
        Map<String, Object> noEnd = ended(now, 0, 0, "CLOSED", null);
        noEnd.remove("endedAt");
        Api.asBastion()
                .body(noEnd)
                .post("/internal/v1/sessions/" + id + "/end")
                .then()
                .statusCode(422)
                .body("field", equalTo("endedAt"));
        as(name).get("/api/v1/sessions/" + id).then().statusCode(200).body("status", equalTo("OPEN"));
    }

    @Test
    void onlyBastionsReportSessions() {
        Map<String, Object> body =
                opened(UUID.randomUUID(), null, "alice", null, Instant.parse("2026-03-01T10:00:00Z"));
        Api.anonymous().body(body).post("/internal/v1/sessions").then().statusCode(401);
        as("alice")
                .body(body)
                .post("/internal/v1/sessions")
                .then()
                .statusCode(403)
                .body("code", equalTo("not_a_bastion"));
        as("erin")
                .body(ended(Instant.now(), 0, 0, "CLOSED", null))
                .post("/internal/v1/sessions/" + UUID.randomUUID() + "/end")
                .then()
                .statusCode(403)
                .body("code", equalTo("not_a_bastion"));
    }

    @Test
    void peopleSeeTheirOwnSessionsAuditorsAndAdminsSeeEveryones() {
        String owner = Api.newEngineer("sess-own-");
        String other = Api.newEngineer("sess-other-");
        UUID first = UUID.randomUUID();
        UUID second = UUID.randomUUID();
        UUID theirs = UUID.randomUUID();
        Instant t = Instant.parse("2026-03-02T08:00:00Z");
        String ownersGrant = Api.activeWebGrant(owner);
        String othersGrant = Api.activeWebGrant(other);
        Api.asBastion()
                .body(opened(first, ownersGrant, owner, null, t))
                .post("/internal/v1/sessions")
                .then()
                .statusCode(201);
        Api.asBastion()
                .body(opened(second, ownersGrant, owner, null, t.plusSeconds(60)))
                .post("/internal/v1/sessions")
                .then()
                .statusCode(201);
        Api.asBastion()
                .body(opened(theirs, othersGrant, other, null, t.plusSeconds(30)))
                .post("/internal/v1/sessions")
                .then()
                .statusCode(201);
        Api.asBastion()
                .body(ended(t.plusSeconds(10), 5, 6, "GRANT_ENDED", "grant revoked"))
                .post("/internal/v1/sessions/" + first + "/end")
                .then()
                .statusCode(200);

        // Newest first, only their own, with or without naming themselves.
        as(owner)
                .get("/api/v1/sessions")
                .then()
                .statusCode(200)
                .body("id", equalTo(List.of(second.toString(), first.toString())));
        as(owner)
                .get("/api/v1/sessions?user=" + owner + "&status=grant_ended")
                .then()
                .statusCode(200)
                .body("id", equalTo(List.of(first.toString())));
        as(owner).get("/api/v1/sessions?user=" + other).then().statusCode(403).contentType("application/problem+json");
        as(owner).get("/api/v1/sessions/" + theirs).then().statusCode(404).body("code", equalTo("no_such_session"));
        as(other).get("/api/v1/sessions").then().statusCode(200).body("id", equalTo(List.of(theirs.toString())));
        as("bob")
                .get("/api/v1/sessions?target=prod-web-1&limit=1000")
                .then()
                .statusCode(200)
                .body("id", not(hasItem(first.toString())));

        for (String auditor : List.of("dave", "erin")) {
            as(auditor)
                    .get("/api/v1/sessions?user=" + owner)
                    .then()
                    .statusCode(200)
                    .body("id", equalTo(List.of(second.toString(), first.toString())));
            as(auditor).get("/api/v1/sessions/" + theirs).then().statusCode(200).body("username", equalTo(other));
            as(auditor)
                    .get("/api/v1/sessions?target=prod-web-1&status=OPEN&limit=1000")
                    .then()
                    .statusCode(200)
                    .body("id", hasItem(theirs.toString()))
                    .body("id", not(hasItem(first.toString())));
        }
        as("dave").get("/api/v1/sessions/" + UUID.randomUUID()).then().statusCode(404);
        as("dave").get("/api/v1/sessions?limit=0").then().statusCode(422).body("code", equalTo("bad_limit"));
        as("dave").get("/api/v1/sessions?limit=1001").then().statusCode(422).body("code", equalTo("bad_limit"));
        as("dave")
                .get("/api/v1/sessions?status=FINISHED")
                .then()
                .statusCode(422)
                .body("code", equalTo("bad_status"));
        as("dave")
                .get("/api/v1/sessions?user=" + owner + "&limit=1")
                .then()
                .statusCode(200)
                .body("id", equalTo(List.of(second.toString())));
        Api.anonymous().get("/api/v1/sessions").then().statusCode(401);
    }
}
