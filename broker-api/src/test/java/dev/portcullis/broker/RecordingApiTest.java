package dev.portcullis.broker;

import static dev.portcullis.broker.Api.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portcullis.recording.SessionRecording;
import dev.portcullis.recording.event.ExecEvent;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/** Auditors replay and verify what a bastion recorded; the session's own user may download theirs. */
@QuarkusTest
@QuarkusTestResource(BrokerTestEnvironment.class)
class RecordingApiTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @ConfigProperty(name = "portcullis.recordings.dir")
    String recordingsDir;

    /** A closed shell session under a live grant of {@code user}, recorded and indexed as a bastion does it. */
    static UUID recordedSession(TestBastion bastion, String user) throws Exception {
        String grant = Api.activeWebGrant(user);
        UUID id = UUID.randomUUID();
        SessionRecording recording = bastion.start(id, user, grant);
        bastion.register(id, user, grant, recording.id()).then().statusCode(201);
        recording
                .terminal()
                .output("$ uptime\r\n 09:30:01 up 3 days,  load average: 0.01\r\n".getBytes(StandardCharsets.UTF_8));
        recording.terminal().input("exit\r".getBytes(StandardCharsets.UTF_8));
        recording.events().record(new ExecEvent("uptime"));
        recording.close("client disconnected", 0);
        TestBastion.end(id, "CLOSED");
        return id;
    }

    @Test
    void theUserAndAuditorsDownloadTheRecordingAndEveryDownloadIsAudited() throws Exception {
        String owner = Api.newEngineer("rec-");
        UUID session = recordedSession(TestBastion.trusted(), owner);

        Response cast = as(owner).get("/api/v1/sessions/" + session + "/recording.cast");
        assertThat(cast.statusCode()).as(cast.asString()).isEqualTo(200);
        assertThat(cast.contentType()).startsWith("application/x-asciicast");
        List<String> lines = cast.asString().lines().toList();
        JsonNode header = JSON.readTree(lines.get(0));
        assertThat(header.get("version").asInt()).isEqualTo(2);
        assertThat(header.get("width").asInt()).isEqualTo(80);
        StringBuilder output = new StringBuilder();
        for (String line : lines.subList(1, lines.size())) {
            JsonNode event = JSON.readTree(line);
            if (event.get(1).asText().equals("o")) {
                output.append(event.get(2).asText());
            }
        }
        assertThat(output.toString()).isEqualTo("$ uptime\r\n 09:30:01 up 3 days,  load average: 0.01\r\n");

        Response events = as("dave").get("/api/v1/sessions/" + session + "/events.jsonl");
        assertThat(events.statusCode()).isEqualTo(200);
        assertThat(events.asString()
                        .lines()
                        .map(this::json)
                        .filter(e -> "exec".equals(e.path("type").asText()))
                        .map(e -> e.get("command").asText()))
                .containsExactly("uptime");
        as("erin").get("/api/v1/sessions/" + session + "/recording.cast").then().statusCode(200);

        // Someone else's recording does not exist for bob.
        as("bob")
                .get("/api/v1/sessions/" + session + "/recording.cast")
                .then()
                .statusCode(404)
                .body("code", equalTo("no_such_session"));
        as("bob").get("/api/v1/sessions/" + session + "/verification").then().statusCode(404);
        Api.anonymous()
                .get("/api/v1/sessions/" + session + "/recording.cast")
                .then()
                .statusCode(401);

        as("dave")
                .get("/api/v1/audit?action=recording.exported&subject=" + session)
                .then()
                .statusCode(200)
                .body("actor", equalTo(List.of("erin", "dave", owner)))
                .body("details.format", equalTo(List.of("cast", "events.jsonl", "cast")));
    }

    @Test
    void aRecordingVerifiesUntilAByteOfItChanges() throws Exception {
        String owner = Api.newEngineer("rec-tamper-");
        UUID session = recordedSession(TestBastion.trusted(), owner);
        as("dave")
                .get("/api/v1/sessions/" + session + "/verification")
                .then()
                .statusCode(200)
                .body("status", equalTo("VALID"))
                .body("problem", nullValue());
        as(owner)
                .get("/api/v1/sessions/" + session + "/verification")
                .then()
                .statusCode(200)
                .body("status", equalTo("VALID"));

        String recordingId =
                as("dave").get("/api/v1/sessions/" + session).jsonPath().getString("recordingId");
        Path chunk = Path.of(recordingsDir, recordingId, "chunk-00000001.bin");
        try (RandomAccessFile file = new RandomAccessFile(chunk.toFile(), "rw")) {
            long at = file.length() - 5;
            file.seek(at);
            int b = file.read();
            file.seek(at);
            file.write(b ^ 0x01);
        }
        Response verification = as("dave").get("/api/v1/sessions/" + session + "/verification");
        assertThat(verification.statusCode()).isEqualTo(200);
        assertThat(verification.jsonPath().getString("status")).isEqualTo("TAMPERED");
        assertThat(verification.jsonPath().getString("problem")).isNotBlank();
    }

    @Test
    void aBastionWhoseKeyIsNotTrustedCannotRegisterARecordedSession() throws Exception {
        String owner = Api.newEngineer("rec-foreign-");
        String grant = Api.activeWebGrant(owner);
        TestBastion foreign = TestBastion.untrusted();
        UUID id = UUID.randomUUID();
        SessionRecording recording = foreign.start(id, owner, grant);
        try {
            foreign.register(id, owner, grant, recording.id())
                    .then()
                    .statusCode(403)
                    .body("code", equalTo("untrusted_recording_key"));
        } finally {
            recording.close();
        }
        as("dave").get("/api/v1/sessions/" + id).then().statusCode(404);
    }

    @Test
    void aRecordingStillBeingWrittenIsIncompleteAndValidOnceClosed() throws Exception {
        String owner = Api.newEngineer("rec-open-");
        String grant = Api.activeWebGrant(owner);
        TestBastion bastion = TestBastion.trusted();
        UUID session = UUID.randomUUID();
        SessionRecording recording = bastion.start(session, owner, grant);
        bastion.register(session, owner, grant, recording.id()).then().statusCode(201);
        try {
            as("dave")
                    .get("/api/v1/sessions/" + session + "/verification")
                    .then()
                    .statusCode(200)
                    .body("status", equalTo("INCOMPLETE"))
                    .body("problem", org.hamcrest.Matchers.startsWith("no manifest"));
            Response cast = as("dave").get("/api/v1/sessions/" + session + "/recording.cast");
            assertThat(cast.statusCode()).isEqualTo(200);
            assertThat(cast.header("X-Recording-Status")).isEqualTo("INCOMPLETE");
        } finally {
            recording.close("client disconnected", null);
        }
        TestBastion.end(session, "CLOSED");
        as("dave")
                .get("/api/v1/sessions/" + session + "/verification")
                .then()
                .statusCode(200)
                .body("status", equalTo("VALID"));
        assertThat(as("dave")
                        .get("/api/v1/sessions/" + session + "/recording.cast")
                        .header("X-Recording-Status"))
                .isEqualTo("VALID");
    }

    @Test
    void aSessionWithoutARecordingHasNothingToDownload() {
        String owner = Api.newEngineer("rec-none-");
        String grant = Api.activeWebGrant(owner);
        UUID session = UUID.randomUUID();
        TestBastion.trusted().register(session, owner, grant, null).then().statusCode(201);
        TestBastion.end(session, "CLOSED");
        for (String what : List.of("recording.cast", "events.jsonl", "verification")) {
            as("dave")
                    .get("/api/v1/sessions/" + session + "/" + what)
                    .then()
                    .statusCode(404)
                    .contentType("application/problem+json")
                    .body("code", equalTo("no_recording"));
        }
        UUID lost = UUID.randomUUID();
        TestBastion.trusted()
                .register(lost, owner, grant, "never-written-" + UUID.randomUUID())
                .then()
                .statusCode(201);
        TestBastion.end(lost, "CLOSED");
        as(owner)
                .get("/api/v1/sessions/" + lost + "/recording.cast")
                .then()
                .statusCode(404)
                .body("code", equalTo("recording_missing"));
        as("dave")
                .get("/api/v1/sessions/" + lost + "/verification")
                .then()
                .statusCode(200)
                .body("status", equalTo("TAMPERED"));
    }

    private JsonNode json(String line) {
        try {
            return JSON.readTree(line);
        } catch (Exception e) {
            throw new AssertionError(line, e);
        }
    }
}
