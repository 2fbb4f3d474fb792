package dev.portcullis.broker;

import static dev.portcullis.broker.Api.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import dev.portcullis.recording.ChunkedRecording;
import dev.portcullis.recording.FileSystemRecordingStorage;
import dev.portcullis.recording.RecordingMetadata;
import dev.portcullis.recording.SessionRecording;
import dev.portcullis.recording.format.RecordingHeader;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A compromised bastion (it holds the bastion service client's token and writes the recording store) and whoever can
 * write the store without a bastion's key, attacking over HTTP: registering sessions nobody was granted, reading files
 * of the broker's through a recording, and passing off a forged or cut recording as an honest one.
 */
@QuarkusTest
@QuarkusTestResource(BrokerTestEnvironment.class)
class RecordingTrustAttackTest {

    /** Stands for the broker's SSH CA private key: a file the broker can read and nobody else should. */
    private static final String SECRET_MARKER = "TOP-SECRET-CA-KEY-MATERIAL";

    private static List<String> refusedRegistrations(UUID session) {
        return as("dave")
                .get("/api/v1/audit?action=session.registration.refused&subject=" + session)
                .then()
                .statusCode(200)
                .extract()
                .jsonPath()
                .getList("details.code");
    }

    @Test
    void theBastionCannotRegisterASessionInItsOwnNameOrForSomeoneWithoutAGrant() {
        String holder = Api.newEngineer("atk-holder-");
        String grant = Api.activeWebGrant(holder);
        TestBastion bastion = TestBastion.trusted();

        // In its own service-account name, under someone else's live grant.
        UUID own = UUID.randomUUID();
        bastion.register(own, "service-account-portcullis-bastion", grant, null)
                .then()
                .statusCode(403)
                .contentType("application/problem+json")
                .body("code", equalTo("grant_mismatch"));
        assertThat(refusedRegistrations(own)).containsExactly("grant_mismatch");

        // A person without any grant, naming another's grant; or naming no grant at all.
        String nobody = Api.newEngineer("atk-nobody-");
        UUID borrowed = UUID.randomUUID();
        bastion.register(borrowed, nobody, grant, null).then().statusCode(403).body("code", equalTo("grant_mismatch"));
        assertThat(refusedRegistrations(borrowed)).containsExactly("grant_mismatch");
        bastion.register(UUID.randomUUID(), nobody, null, null)
                .then()
                .statusCode(422)
                .body("field", equalTo("requestId"));

        // The holder's own grant, but for another login, or one that is not live (pending, released).
        Map<String, Object> otherLogin =
                SessionIndexTest.opened(UUID.randomUUID(), grant, holder, null, java.time.Instant.now());
        otherLogin.put("login", "root");
        Api.asBastion()
                .body(otherLogin)
                .post("/internal/v1/sessions")
                .then()
                .statusCode(403)
                .body("code", equalTo("grant_mismatch"));
        String pending = as(holder)
                .body(Map.of(
                        "target",
                        "prod-web-1",
                        "login",
                        "ubuntu",
                        "durationMinutes",
                        30,
                        "reason",
                        "INC-9 look again",
                        "ticket",
                        "INC-9"))
                .post("/api/v1/requests")
                .then()
                .statusCode(201)
                .extract()
                .path("id");
        UUID early = UUID.randomUUID();
        bastion.register(early, holder, pending, null).then().statusCode(403).body("code", equalTo("grant_not_live"));
        assertThat(refusedRegistrations(early)).containsExactly("grant_not_live");

        // Nothing of it reached the index; the holder's own session still registers.
        for (UUID refused : List.of(own, borrowed, early)) {
            as("dave").get("/api/v1/sessions/" + refused).then().statusCode(404);
        }
        UUID honest = UUID.randomUUID();
        bastion.register(honest, holder, grant, null).then().statusCode(201);
        as(holder).get("/api/v1/sessions/" + honest).then().statusCode(200);
    }

    @Test
    void serviceAccountsCannotReadSessionsOrRecordings() throws Exception {
        UUID session = RecordingApiTest.recordedSession(TestBastion.trusted(), Api.newEngineer("atk-read-"));
        for (String path : List.of(
                "",
                "/" + session,
                "/" + session + "/events.jsonl",
                "/" + session + "/recording.cast",
                "/" + session + "/verification")) {
            Api.asBastion()
                    .get("/api/v1/sessions" + path)
                    .then()
                    .statusCode(403)
                    .contentType("application/problem+json")
                    .body("code", equalTo("not_a_person"));
        }
        // refused before any session is looked up: no /api/v1 call takes a service client's token
        as("dave")
                .get("/api/v1/audit?action=token.refused&subject=portcullis-bastion")
                .then()
                .statusCode(200)
                .body("actor", org.hamcrest.Matchers.hasItem(startsWith("service-account-")));
    }

    @Test
    void aChunkLinkedToASecretFileIsNeverExported() throws Exception {
        Path secret = Files.createTempFile("portcullis-ca-key-", ".pem");
        Files.writeString(
                secret,
                "-----BEGIN OPENSSH PRIVATE KEY-----\n"
                        + "{\"time\":0.5,\"at\":\"2026-01-01T00:00:00Z\",\"type\":\"exec\",\"command\":\""
                        + SECRET_MARKER + "\"}\n"
                        + "[0.6,\"o\",\"" + SECRET_MARKER + "\"]\n" + SECRET_MARKER
                        + "\n-----END OPENSSH PRIVATE KEY-----\n");
        String owner = Api.newEngineer("atk-link-");
        UUID session = RecordingApiTest.recordedSession(TestBastion.trusted(), owner);
        String recordingId =
                as("dave").get("/api/v1/sessions/" + session).jsonPath().getString("recordingId");
        Path chunk = TestBastion.trusted().store.resolve(recordingId).resolve("chunk-00000001.bin");
        Files.delete(chunk);
        Files.createSymbolicLink(chunk, secret);

        for (String reader : List.of(owner, "dave")) {
            for (String export : List.of("events.jsonl", "recording.cast")) {
                Response response = as(reader).get("/api/v1/sessions/" + session + "/" + export);
                assertThat(response.statusCode()).as(reader + " " + export).isEqualTo(409);
                assertThat(response.jsonPath().getString("code")).isEqualTo("recording_tampered");
                assertThat(response.asString())
                        .contains("symbolic link")
                        .doesNotContain(SECRET_MARKER)
                        .doesNotContain("PRIVATE KEY");
            }
        }
        Response verification = as("dave").get("/api/v1/sessions/" + session + "/verification");
        assertThat(verification.jsonPath().getString("status")).isEqualTo("TAMPERED");
        assertThat(verification.asString()).doesNotContain(SECRET_MARKER);
        as("dave")
                .get("/api/v1/audit?action=recording.export.refused&subject=" + session)
                .then()
                .statusCode(200)
                .body("size()", equalTo(4))
                .body("actor", org.hamcrest.Matchers.hasItems(owner, "dave"));
        Files.delete(secret);
    }

    @Test
    void aRecordingDirectoryLinkedElsewhereIsNeverExported() throws Exception {
        String owner = Api.newEngineer("atk-dir-");
        UUID session = RecordingApiTest.recordedSession(TestBastion.trusted(), owner);
        String recordingId =
                as("dave").get("/api/v1/sessions/" + session).jsonPath().getString("recordingId");
        Path store = TestBastion.trusted().store;
        Path elsewhere = Files.createTempDirectory("portcullis-elsewhere-").resolve("copy");
        Files.move(store.resolve(recordingId), elsewhere);
        Files.createSymbolicLink(store.resolve(recordingId), elsewhere);

        as(owner)
                .get("/api/v1/sessions/" + session + "/events.jsonl")
                .then()
                .statusCode(409)
                .body("code", equalTo("recording_tampered"));
        as("dave")
                .get("/api/v1/sessions/" + session + "/verification")
                .then()
                .statusCode(200)
                .body("status", equalTo("TAMPERED"))
                .body("problem", org.hamcrest.Matchers.containsString("recordings never contain links"));
    }

    @Test
    void deletingTheManifestOfAnEndedSessionIsTampering() throws Exception {
        String owner = Api.newEngineer("atk-manifest-");
        UUID session = RecordingApiTest.recordedSession(TestBastion.trusted(), owner);
        as("dave")
                .get("/api/v1/sessions/" + session + "/verification")
                .then()
                .statusCode(200)
                .body("status", equalTo("VALID"));
        String recordingId =
                as("dave").get("/api/v1/sessions/" + session).jsonPath().getString("recordingId");
        Path dir = TestBastion.trusted().store.resolve(recordingId);
        Files.delete(dir.resolve("manifest.json"));
        Files.delete(dir.resolve("manifest.sig"));

        as("dave")
                .get("/api/v1/sessions/" + session + "/verification")
                .then()
                .statusCode(200)
                .body("status", equalTo("TAMPERED"))
                .body("problem", startsWith("the session has ended but its recording has no manifest"));
        as(owner)
                .get("/api/v1/sessions/" + session + "/recording.cast")
                .then()
                .statusCode(409)
                .body("code", equalTo("recording_tampered"));
    }

    @Test
    void aRecordingSignedByAnotherTrustedBastionsKeyIsTampered() throws Exception {
        String owner = Api.newEngineer("atk-otherkey-");
        UUID session = RecordingApiTest.recordedSession(TestBastion.trusted(), owner);
        String recordingId =
                as("dave").get("/api/v1/sessions/" + session).jsonPath().getString("recordingId");
        String grant = as("dave").get("/api/v1/sessions/" + session).jsonPath().getString("requestId");

        // The other bastion writes a recording of its own choosing under this session's id and puts it in place.
        TestBastion other = TestBastion.otherTrusted();
        Path scratch = Files.createTempDirectory("portcullis-forge-");
        dev.portcullis.recording.Recordings forger =
                new dev.portcullis.recording.Recordings(new FileSystemRecordingStorage(scratch), other.signer);
        RecordingMetadata metadata = RecordingMetadata.builder(recordingId, java.time.Instant.now())
                .attribute("user", owner)
                .attribute("login", "ubuntu")
                .attribute("target", "prod-web-1")
                .attribute("grant", grant)
                .attribute("session", session.toString())
                .build();
        SessionRecording forged = forger.start(metadata, dev.portcullis.recording.RecordingFailureListener.none());
        forged.terminal().output("$ nothing happened here\r\n".getBytes(StandardCharsets.UTF_8));
        forged.close("client disconnected", 0);
        replace(other.store.resolve(recordingId), scratch.resolve(recordingId));

        as("dave")
                .get("/api/v1/sessions/" + session + "/verification")
                .then()
                .statusCode(200)
                .body("status", equalTo("TAMPERED"))
                .body(
                        "problem",
                        equalTo(
                                "the manifest is signed by another key than the one this recording must be signed with"));
        as(owner).get("/api/v1/sessions/" + session + "/recording.cast").then().statusCode(409);
    }

    @Test
    void aForgedRecordingWithoutManifestOrCheckpointIsTampered() throws Exception {
        String owner = Api.newEngineer("atk-forged-");
        String grant = Api.activeWebGrant(owner);
        TestBastion bastion = TestBastion.trusted();
        UUID session = UUID.randomUUID();
        String recordingId = "forged-" + session;
        bastion.register(session, owner, grant, recordingId)
                .then()
                .statusCode(201); // not in the store yet: checked on read

        // Someone who can write the store but has no bastion key writes the "recording" (no checkpoint, no manifest).
        RecordingMetadata metadata = RecordingMetadata.builder(recordingId, java.time.Instant.now())
                .attribute("user", owner)
                .attribute("login", "ubuntu")
                .attribute("target", "prod-web-1")
                .attribute("grant", grant)
                .attribute("session", session.toString())
                .build();
        ChunkedRecording chunks = ChunkedRecording.create(
                new FileSystemRecordingStorage(bastion.store),
                recordingId,
                RecordingHeader.encode(metadata),
                Clock.systemUTC());
        chunks.append("[1.000000,\"o\",\"$ ls\\r\\nnothing to see\\r\\n\"]\n".getBytes(StandardCharsets.UTF_8));

        as("dave")
                .get("/api/v1/sessions/" + session + "/verification")
                .then()
                .statusCode(200)
                .body("status", equalTo("TAMPERED"))
                .body(
                        "problem",
                        equalTo(
                                "no manifest and no signed checkpoint: nothing proves that a bastion wrote this recording"));
        as(owner)
                .get("/api/v1/sessions/" + session + "/recording.cast")
                .then()
                .statusCode(409)
                .body("code", equalTo("recording_tampered"));
    }

    @Test
    void aRecordingThatNamesAnotherSessionIsRefusedAtRegistration() throws Exception {
        String owner = Api.newEngineer("atk-swap-");
        String grant = Api.activeWebGrant(owner);
        TestBastion bastion = TestBastion.trusted();
        UUID recorded = UUID.randomUUID();
        SessionRecording recording = bastion.start(recorded, owner, grant);
        try {
            UUID other = UUID.randomUUID();
            bastion.register(other, owner, grant, recording.id())
                    .then()
                    .statusCode(403)
                    .body("code", equalTo("recording_mismatch"))
                    .body("detail", org.hamcrest.Matchers.containsString("names session '" + recorded + "'"));
            assertThat(refusedRegistrations(other)).containsExactly("recording_mismatch");
            // Claiming the other trusted bastion's key for it fails too: the recording's checkpoint is not signed with
            // it.
            Map<String, Object> body =
                    SessionIndexTest.opened(recorded, grant, owner, recording.id(), java.time.Instant.now());
            body.put("recordingKey", TestBastion.otherTrusted().keyId());
            Api.asBastion()
                    .body(body)
                    .post("/internal/v1/sessions")
                    .then()
                    .statusCode(403)
                    .body("code", equalTo("recording_mismatch"));
            bastion.register(recorded, owner, grant, recording.id()).then().statusCode(201);
        } finally {
            recording.close();
        }
    }

    /** Swaps a recording directory for another, as someone with write access to the store can. */
    private static void replace(Path target, Path replacement) throws Exception {
        try (Stream<Path> files = Files.list(target)) {
            for (Path f : files.toList()) {
                Files.delete(f);
            }
        }
        Files.delete(target);
        Files.move(replacement, target);
    }
}
