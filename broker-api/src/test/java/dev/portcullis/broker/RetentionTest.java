package dev.portcullis.broker;

import static dev.portcullis.broker.Api.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import dev.portcullis.broker.persistence.HashChainedAuditLog;
import dev.portcullis.broker.persistence.RecordingTombstones;
import dev.portcullis.broker.recordings.RetentionSweep;
import dev.portcullis.broker.scheduling.RetentionSchedule;
import dev.portcullis.recording.ChunkChain;
import dev.portcullis.recording.SessionRecording;
import dev.portcullis.workflow.port.AuditEvent;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;
import org.quartz.Scheduler;

/**
 * Retention deletes the payload of exactly the recordings whose recorded retention ran out and that no legal hold
 * covers, with a signed tombstone in the audit chain; such a recording verifies as DELETED_BY_POLICY and the chain
 * still verifies. Chunks missing without a genuine tombstone stay TAMPERED. The test policy keeps engineers-prod-ssh
 * recordings 30 days; the sweep is run with a chosen "now" past the sessions' retention.
 */
@QuarkusTest
@QuarkusTestResource(BrokerTestEnvironment.class)
public class RetentionTest {

    private static final String RULE = "engineers-prod-ssh";

    @ConfigProperty(name = "portcullis.recordings.dir")
    String recordingsDir;

    @Inject
    RetentionSweep sweep;

    @Inject
    HashChainedAuditLog auditLog;

    @Inject
    Scheduler quartz;

    /** A closed, recorded session under a fresh grant of a new engineer, requested with {@code ticket}. */
    public static UUID recordedSession(String ticket) throws Exception {
        String user = Api.newEngineer("ret-");
        String grant = as(user).body(Map.of(
                        "target",
                        "prod-web-1",
                        "login",
                        "ubuntu",
                        "durationMinutes",
                        60,
                        "reason",
                        ticket + " retention test",
                        "ticket",
                        ticket))
                .post("/api/v1/requests")
                .then()
                .statusCode(201)
                .extract()
                .path("id");
        Api.approve("bob", grant).then().statusCode(200);
        Api.approve("carol", grant).then().statusCode(200);
        UUID id = UUID.randomUUID();
        TestBastion bastion = TestBastion.trusted();
        SessionRecording recording = bastion.start(id, user, grant);
        bastion.register(id, user, grant, recording.id()).then().statusCode(201);
        recording.terminal().output("$ cat /etc/shadow\r\n".getBytes(StandardCharsets.UTF_8));
        recording.sync();
        recording.terminal().output("root:*:19000:0:99999:7:::\r\n".getBytes(StandardCharsets.UTF_8));
        recording.close("client disconnected", 0);
        TestBastion.end(id, "CLOSED");
        return id;
    }

    public static String ticket() {
        return "INC-" + (System.nanoTime() % 1_000_000_000L);
    }

    private static Response session(UUID id) {
        return as("dave").get("/api/v1/sessions/" + id);
    }

    /** The moment every one of these sessions is past its retention, counted from its registration and its end. */
    public static Instant duePast(UUID... ids) {
        Instant due = Instant.EPOCH;
        for (UUID id : ids) {
            Response s = session(id);
            Instant until = Instant.parse(s.jsonPath().getString("retainUntil"));
            Instant ended = Instant.parse(s.jsonPath().getString("endedAt")).plus(Duration.ofDays(30));
            for (Instant t : List.of(until, ended)) {
                due = t.isAfter(due) ? t : due;
            }
        }
        return due.plusMillis(1);
    }

    private static String status(UUID id) {
        return as("dave")
                .get("/api/v1/sessions/" + id + "/verification")
                .then()
                .statusCode(200)
                .extract()
                .path("status");
    }

    private Path recordingDir(UUID id) {
        return Path.of(recordingsDir, session(id).jsonPath().getString("recordingId"));
    }

    private List<String> chunkFiles(UUID id) throws Exception {
        try (var files = Files.list(recordingDir(id))) {
            return files.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith("chunk-"))
                    .toList();
        }
    }

    private static List<String> tombstones(UUID id) {
        return as("dave")
                .get("/api/v1/audit?action=" + RecordingTombstones.ACTION + "&subject=" + id)
                .jsonPath()
                .getList("actor");
    }

    @Test
    void retentionDeletesExactlyTheExpiredUnheldRecordingsAndTheChainStillVerifies() throws Exception {
        UUID expired = recordedSession(ticket());
        UUID heldSession = recordedSession(ticket());
        String heldTicket = ticket();
        UUID heldByTicket = recordedSession(heldTicket);
        Instant now = duePast(expired, heldSession, heldByTicket);
        UUID notYet = recordedSession(ticket());
        assertThat(Instant.parse(session(notYet).jsonPath().getString("retainUntil")))
                .isAfter(now);

        // the retention the rule had is recorded with the session
        session(expired).then().body("retention", equalTo("30d")).body("legalHold", equalTo(false));
        String hold = as("dave")
                .body(Map.of("session", heldSession.toString(), "reason", "litigation 2026-17"))
                .post("/api/v1/holds")
                .then()
                .statusCode(201)
                .extract()
                .path("id");
        as("erin")
                .body(Map.of("ticket", heldTicket, "reason", "investigation of " + heldTicket))
                .post("/api/v1/holds")
                .then()
                .statusCode(201)
                .body("ticket", equalTo(heldTicket));
        session(heldByTicket).then().body("legalHold", equalTo(true));

        sweep.sweep(now);

        assertThat(chunkFiles(expired)).as("the payload is gone").isEmpty();
        try (var files = Files.list(recordingDir(expired))) {
            assertThat(files.map(p -> p.getFileName().toString()).toList())
                    .as("the proof stays")
                    .contains("header.json", "manifest.json", "manifest.sig", "checkpoint-00000000.sig");
        }
        Response verification = as("dave").get("/api/v1/sessions/" + expired + "/verification");
        assertThat(verification.jsonPath().getString("status")).isEqualTo("DELETED_BY_POLICY");
        assertThat(verification.jsonPath().getString("problem")).contains("rule '" + RULE + "', retention 30d");
        for (UUID kept : List.of(heldSession, heldByTicket, notYet)) {
            assertThat(chunkFiles(kept)).as("kept: " + kept).isNotEmpty();
            assertThat(status(kept)).isEqualTo("VALID");
        }
        assertThat(tombstones(expired)).containsExactly(RecordingTombstones.ACTOR);
        session(expired).then().body("recordingDeletedAt", org.hamcrest.Matchers.notNullValue());
        as("dave")
                .get("/api/v1/sessions/" + expired + "/recording.cast")
                .then()
                .statusCode(404)
                .contentType("application/problem+json")
                .body("code", equalTo("recording_deleted_by_policy"))
                .body("detail", org.hamcrest.Matchers.containsString("deleted by policy"));
        as("dave").get("/api/v1/audit/verify").then().statusCode(200).body("valid", equalTo(true));

        // a second run changes nothing: one tombstone per recording
        sweep.sweep(now);
        assertThat(tombstones(expired)).hasSize(1);
        assertThat(status(heldSession)).isEqualTo("VALID");

        // released, the hold no longer keeps it: the next run deletes it
        as("dave")
                .body(Map.of("reason", "case closed"))
                .post("/api/v1/holds/" + hold + "/release")
                .then()
                .statusCode(200)
                .body("live", equalTo(false))
                .body("releasedBy", equalTo("dave"));
        sweep.sweep(now);
        assertThat(status(heldSession)).isEqualTo("DELETED_BY_POLICY");
        assertThat(status(heldByTicket)).as("still held by its ticket").isEqualTo("VALID");
        as("dave")
                .get("/api/v1/audit?subject=" + heldSession)
                .then()
                .statusCode(200)
                .body(
                        "action",
                        org.hamcrest.Matchers.hasItems(
                                "legal_hold.placed", "legal_hold.released", RecordingTombstones.ACTION));
        as("dave").get("/api/v1/audit/verify").then().statusCode(200).body("valid", equalTo(true));
    }

    /** What retention deleted cannot be found by a search either; what it kept still can. */
    @Test
    void retentionDeletesTheSearchEntriesOfTheRecordingsItDeletes() throws Exception {
        UUID expired = recordedSession(ticket());
        Instant now = duePast(expired);
        UUID notYet = recordedSession(ticket());
        String marker = "retained" + System.nanoTime();
        for (UUID id : List.of(expired, notYet)) {
            Api.asBastion()
                    .body(Map.of(
                            "entries",
                            List.of(Map.of(
                                    "session",
                                    id.toString(),
                                    "offsetMicros",
                                    1,
                                    "kind",
                                    "command",
                                    "text",
                                    "cat /etc/shadow # " + marker))))
                    .post("/internal/v1/search/entries")
                    .then()
                    .statusCode(200)
                    .body("stored", equalTo(1));
        }
        assertThat(as("dave").get("/api/v1/search?q=" + marker).jsonPath().getList("hits.sessionId", String.class))
                .containsExactlyInAnyOrder(expired.toString(), notYet.toString());

        sweep.sweep(now);

        assertThat(chunkFiles(expired)).as("the payload is gone").isEmpty();
        assertThat(as("dave").get("/api/v1/search?q=" + marker).jsonPath().getList("hits.sessionId", String.class))
                .as("only the kept recording's entries are left")
                .containsExactly(notYet.toString());
    }

    @Test
    void aChunkDeletedByHandWithoutATombstoneIsTamperedAndRetentionDoesNotExplainItAway() throws Exception {
        UUID session = recordedSession(ticket());
        Files.delete(recordingDir(session).resolve("chunk-00000001.bin"));
        as("dave")
                .get("/api/v1/sessions/" + session + "/verification")
                .then()
                .statusCode(200)
                .body("status", equalTo("TAMPERED"))
                .body("problem", equalTo("chunk 1 is missing"));
        sweep.sweep(duePast(session));
        assertThat(tombstones(session))
                .as("a recording that does not verify is kept, not tombstoned")
                .isEmpty();
        assertThat(status(session)).isEqualTo("TAMPERED");
    }

    @Test
    void aTombstoneAppendedWithoutTheAuditHeadKeyIsIgnored() throws Exception {
        UUID session = recordedSession(ticket());
        String recording = session(session).jsonPath().getString("recordingId");
        String manifest =
                ChunkChain.sha256(Files.readAllBytes(recordingDir(session).resolve("manifest.json")));
        // whoever can append to the audit trail through the database forges a tombstone, then deletes the chunks
        auditLog.append(new AuditEvent(
                Instant.now(),
                RecordingTombstones.ACTOR,
                RecordingTombstones.ACTION,
                "session",
                session.toString(),
                Map.of(
                        "recording",
                        recording,
                        "rule",
                        RULE,
                        "retention",
                        "30d",
                        "deletedAt",
                        Instant.now().toString(),
                        "manifestSha256",
                        manifest,
                        "signature",
                        Base64.getEncoder().encodeToString(new byte[64]))));
        for (String chunk : chunkFiles(session)) {
            Files.delete(recordingDir(session).resolve(chunk));
        }
        as("dave")
                .get("/api/v1/sessions/" + session + "/verification")
                .then()
                .statusCode(200)
                .body("status", equalTo("TAMPERED"))
                .body("problem", startsWith("the manifest lists"));
    }

    @Test
    void twoBrokersSweepingAtOnceDeleteEachRecordingOnce() throws Exception {
        List<UUID> sessions = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            sessions.add(recordedSession(ticket()));
        }
        Instant now = duePast(sessions.toArray(UUID[]::new));
        ExecutorService brokers = Executors.newFixedThreadPool(2);
        try {
            Callable<RetentionSweep.Result> run = () -> sweep.sweep(now);
            List<Future<RetentionSweep.Result>> runs = brokers.invokeAll(List.of(run, run), 2, TimeUnit.MINUTES);
            for (Future<RetentionSweep.Result> r : runs) {
                assertThat(r.get().failed()).isZero();
            }
        } finally {
            brokers.shutdownNow();
        }
        for (UUID s : sessions) {
            assertThat(tombstones(s)).as("one tombstone for " + s).hasSize(1);
            assertThat(status(s)).isEqualTo("DELETED_BY_POLICY");
        }
        // the job itself fires from the clustered JDBC store, one broker at a time
        assertThat(quartz.getMetaData().isJobStoreClustered()).isTrue();
        assertThat(quartz.getJobDetail(RetentionSchedule.JOB).isConcurrentExecutionDisallowed())
                .isTrue();
        assertThat(quartz.getTrigger(RetentionSchedule.TRIGGER)).isNotNull();
        as("dave").get("/api/v1/audit/verify").then().statusCode(200).body("valid", equalTo(true));
    }
}
