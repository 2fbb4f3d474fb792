package dev.portcullis.broker;

import static dev.portcullis.broker.Api.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import dev.portcullis.recording.SessionRecording;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Watching and ending one live session, attacked over HTTP: the session's owner, another engineer, an approver, a
 * bastion's service account cannot watch; nobody but an admin ends a session, and not without a reason. An admin's
 * end leaves the grant as it was.
 */
@QuarkusTest
@QuarkusTestResource(BrokerTestEnvironment.class)
class LiveSessionAttackTest {

    private final HttpClient http = HttpClient.newHttpClient();

    /** An open, registered session of {@code owner}; returns {grant, session}. */
    private static String[] openSession(String owner) throws Exception {
        String grant = Api.activeWebGrant(owner);
        UUID id = UUID.randomUUID();
        SessionRecording recording = TestBastion.trusted().start(id, owner, grant);
        TestBastion.trusted().register(id, owner, grant, recording.id()).then().statusCode(201);
        return new String[] {grant, id.toString()};
    }

    @Test
    void onlyAuditorsAndAdminsWatchALiveSession() throws Exception {
        String owner = Api.newEngineer("live-own-");
        String other = Api.newEngineer("live-eng-");
        String session = openSession(owner)[1];
        for (String who : List.of(owner, other, "bob")) {
            as(who).get("/api/v1/sessions/" + session + "/live")
                    .then()
                    .statusCode(403)
                    .body("code", equalTo("missing_group"));
        }
        Api.asBastion()
                .get("/api/v1/sessions/" + session + "/live")
                .then()
                .statusCode(403)
                .body("code", equalTo("not_a_person"));
        List<String> refused = as("dave")
                .get("/api/v1/audit?action=session.watch.refused&subject=" + session)
                .then()
                .statusCode(200)
                .extract()
                .jsonPath()
                .getList("actor");
        assertThat(refused).contains(owner, other, "bob");

        // dave, an auditor, gets the stream: first the terminal's size, as asciinema-player's eventsource reads it
        HttpResponse<java.io.InputStream> stream = http.send(
                HttpRequest.newBuilder(URI.create(
                                "http://localhost:" + RestAssured.port + "/api/v1/sessions/" + session + "/live"))
                        .header("Authorization", "Bearer " + Api.token("dave"))
                        .header("Accept", "text/event-stream")
                        .timeout(Duration.ofSeconds(30))
                        .build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(stream.statusCode()).isEqualTo(200);
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
            String line = lines.readLine();
            for (int i = 0; i < 20 && line != null && !line.startsWith("data:"); i++) {
                line = lines.readLine();
            }
            assertThat(line).startsWith("data:").contains("\"cols\":80").contains("\"rows\":24");
        }
        as("dave")
                .get("/api/v1/audit?action=session.watch.started&subject=" + session)
                .then()
                .statusCode(200)
                .body("[0].actor", equalTo("dave"));
    }

    @Test
    void onlyAnAdminEndsOneSessionWithAReasonAndTheGrantStays() throws Exception {
        String owner = Api.newEngineer("live-end-");
        String other = Api.newEngineer("live-end-eng-");
        String[] opened = openSession(owner);
        String grant = opened[0];
        String session = opened[1];
        for (String who : List.of(owner, other, "dave", "bob")) {
            as(who).body(Map.of("reason", "INC-1 stop"))
                    .post("/api/v1/sessions/" + session + "/end")
                    .then()
                    .statusCode(403)
                    .body("code", equalTo("missing_group"));
        }
        Api.asBastion()
                .body(Map.of("reason", "INC-1 stop"))
                .post("/api/v1/sessions/" + session + "/end")
                .then()
                .statusCode(403)
                .body("code", equalTo("not_a_person"));
        for (Map<String, String> bad : List.of(
                Map.<String, String>of(),
                Map.of("reason", "  "),
                Map.of("reason", "two\nlines"),
                Map.of("reason", "x".repeat(501)))) {
            as("erin")
                    .body(bad)
                    .post("/api/v1/sessions/" + session + "/end")
                    .then()
                    .statusCode(422)
                    .body("code", equalTo("reason_required"));
        }
        as("erin")
                .body(Map.of("reason", "INC-1 stop"))
                .post("/api/v1/sessions/" + UUID.randomUUID() + "/end")
                .then()
                .statusCode(404);

        // no bastion holds this session here, so it stays OPEN: the answer says the end is under way
        as("erin")
                .body(Map.of("reason", "INC-1 stop"))
                .post("/api/v1/sessions/" + session + "/end")
                .then()
                .statusCode(202)
                .body("status", equalTo("OPEN"));
        as(owner).get("/api/v1/requests/" + grant).then().statusCode(200).body("state", equalTo("ACTIVE"));
        as("dave")
                .get("/api/v1/audit?action=session.end.requested&subject=" + session)
                .then()
                .statusCode(200)
                .body("[0].actor", equalTo("erin"))
                .body("[0].details.reason", equalTo("INC-1 stop"));
        List<String> refused = as("dave")
                .get("/api/v1/audit?action=session.end.refused&subject=" + session)
                .then()
                .statusCode(200)
                .extract()
                .jsonPath()
                .getList("actor");
        assertThat(refused).contains(owner, other, "dave", "bob");

        // a session that is over cannot be ended or watched again
        TestBastion.end(UUID.fromString(session), "TERMINATED");
        as("erin")
                .body(Map.of("reason", "INC-1 stop"))
                .post("/api/v1/sessions/" + session + "/end")
                .then()
                .statusCode(409)
                .body("code", equalTo("session_not_live"));
        as("dave").get("/api/v1/sessions/" + session + "/live").then().statusCode(409);
        as("dave").get("/api/v1/sessions/" + session).then().statusCode(200).body("status", equalTo("TERMINATED"));
    }
}
