package dev.portcullis.broker;

import static dev.portcullis.broker.Api.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;

import dev.portcullis.recording.FileSystemRecordingStorage;
import dev.portcullis.recording.RecordingFailureListener;
import dev.portcullis.recording.RecordingKeys;
import dev.portcullis.recording.RecordingSigner;
import dev.portcullis.recording.Recordings;
import dev.portcullis.recording.SessionRecording;
import dev.portcullis.recording.event.ExecEvent;

/** Auditors replay and verify what a bastion recorded; the session's own user may download theirs. */
@QuarkusTest
@QuarkusTestResource(BrokerTestEnvironment.class)
class RecordingApiTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @ConfigProperty(name = "portcullis.recordings.dir")
    String recordingsDir;

    @ConfigProperty(name = "portcullis.recordings.trusted-keys")
    String trustedKey;

    /** The recorder a bastion holds, with the key the broker trusts (or another one). */
    private Recordings bastion(boolean trusted) throws Exception {
        Path publicKey = Path.of(trustedKey);
        RecordingSigner signer = trusted
                ? RecordingKeys.load(publicKey.resolveSibling("recording-key.pem"), publicKey)
                : RecordingSigner.generate();
        return new Recordings(new FileSystemRecordingStorage(Path.of(recordingsDir)), signer);
    }

    private static SessionRecording start(Recordings recordings, String user) throws Exception {
        return recordings.start(recordings.newMetadata().terminalSize(80, 24).title(user + "@prod-web-1").recordInput(true)
                .attribute("user", user).build(), RecordingFailureListener.none());
    }

    /** A closed shell session, recorded and indexed as a bastion does it. */
    private static UUID recordedSession(Recordings recordings, String user) throws Exception {
        SessionRecording recording = start(recordings, user);
        recording.terminal().output("$ uptime\r\n 09:30:01 up 3 days,  load average: 0.01\r\n".getBytes(StandardCharsets.UTF_8));
        recording.terminal().input("exit\r".getBytes(StandardCharsets.UTF_8));
        recording.events().record(new ExecEvent("uptime"));
        recording.close("client disconnected", 0);
        return indexed(user, recording.id(), true);
    }

    private static UUID indexed(String user, String recordingId, boolean ended) {
        UUID id = UUID.randomUUID();
        Instant started = Instant.parse("2026-03-03T12:00:00Z");
        Api.asBastion().body(SessionIndexTest.opened(id, null, user, recordingId, started)).post("/internal/v1/sessions").then().statusCode(201);
        if (ended) {
            Api.asBastion().body(SessionIndexTest.ended(started.plusSeconds(3), 5, 60, "CLOSED", null))
                    .post("/internal/v1/sessions/" + id + "/end").then().statusCode(200);
        }
        return id;
    }

    @Test
    void theUserAndAuditorsDownloadTheRecordingAndEveryDownloadIsAudited() throws Exception {
        String owner = Api.newEngineer("rec-");
        UUID session = recordedSession(bastion(true), owner);

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
        assertThat(events.asString().lines().map(this::json).filter(e -> "exec".equals(e.path("type").asText())).map(e -> e.get("command").asText()))
                .containsExactly("uptime");
        as("erin").get("/api/v1/sessions/" + session + "/recording.cast").then().statusCode(200);

        // Someone else's recording does not exist for bob.
        as("bob").get("/api/v1/sessions/" + session + "/recording.cast").then().statusCode(404).body("code", equalTo("no_such_session"));
        as("bob").get("/api/v1/sessions/" + session + "/verification").then().statusCode(404);
        Api.anonymous().get("/api/v1/sessions/" + session + "/recording.cast").then().statusCode(401);

        as("dave").get("/api/v1/audit?action=recording.exported&subject=" + session).then().statusCode(200)
                .body("actor", equalTo(List.of("erin", "dave", owner)))
                .body("details.format", equalTo(List.of("cast", "events.jsonl", "cast")));
    }

    @Test
    void aRecordingVerifiesUntilAByteOfItChanges() throws Exception {
        String owner = Api.newEngineer("rec-tamper-");
        UUID session = recordedSession(bastion(true), owner);
        as("dave").get("/api/v1/sessions/" + session + "/verification").then().statusCode(200)
                .body("status", equalTo("VALID")).body("problem", nullValue());
        as(owner).get("/api/v1/sessions/" + session + "/verification").then().statusCode(200).body("status", equalTo("VALID"));

        String recordingId = as("dave").get("/api/v1/sessions/" + session).jsonPath().getString("recordingId");
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
    void aRecordingSignedByAnUntrustedKeyIsTampered() throws Exception {
        UUID session = recordedSession(bastion(false), Api.newEngineer("rec-foreign-"));
        as("dave").get("/api/v1/sessions/" + session + "/verification").then().statusCode(200)
                .body("status", equalTo("TAMPERED"))
                .body("problem", org.hamcrest.Matchers.startsWith("the manifest is signed by a key this broker does not trust"));
    }

    @Test
    void aRecordingStillBeingWrittenIsIncompleteAndValidOnceClosed() throws Exception {
        String owner = Api.newEngineer("rec-open-");
        SessionRecording recording = start(bastion(true), owner);
        UUID session = indexed(owner, recording.id(), false);
        try {
            as("dave").get("/api/v1/sessions/" + session + "/verification").then().statusCode(200)
                    .body("status", equalTo("INCOMPLETE")).body("problem", org.hamcrest.Matchers.startsWith("no manifest"));
        } finally {
            recording.close("client disconnected", null);
        }
        as("dave").get("/api/v1/sessions/" + session + "/verification").then().statusCode(200).body("status", equalTo("VALID"));
    }

    @Test
    void aSessionWithoutARecordingHasNothingToDownload() {
        String owner = Api.newEngineer("rec-none-");
        UUID session = indexed(owner, null, true);
        for (String what : List.of("recording.cast", "events.jsonl", "verification")) {
            as("dave").get("/api/v1/sessions/" + session + "/" + what).then().statusCode(404)
                    .contentType("application/problem+json").body("code", equalTo("no_recording"));
        }
        UUID lost = indexed(owner, "never-written-" + UUID.randomUUID(), true);
        as(owner).get("/api/v1/sessions/" + lost + "/recording.cast").then().statusCode(404).body("code", equalTo("recording_missing"));
        as("dave").get("/api/v1/sessions/" + lost + "/verification").then().statusCode(200).body("status", equalTo("TAMPERED"));
    }

    private JsonNode json(String line) {
        try {
            return JSON.readTree(line);
        } catch (Exception e) {
            throw new AssertionError(line, e);
        }
    }
}
