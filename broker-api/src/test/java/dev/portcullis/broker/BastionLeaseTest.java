package dev.portcullis.broker;

import static dev.portcullis.broker.Api.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import dev.portcullis.recording.SessionRecording;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Bastion leases (the test profile's lease lasts 3 s, swept every second): the sessions of a bastion that stops
 * renewing are marked ABORTED with the time and why, and their recordings verify as INCOMPLETE saying so; a restarted
 * bastion's leftovers are closed at once; a lease is its client's alone.
 */
@QuarkusTest
@QuarkusTestResource(BrokerTestEnvironment.class)
class BastionLeaseTest {

    private static JsonPath lease(UUID instance, UUID previous) {
        Map<String, Object> body = new HashMap<>();
        body.put("instance", instance.toString());
        body.put("bastion", "bastion-a");
        body.put("previousInstance", previous == null ? null : previous.toString());
        return Api.asBastion()
                .body(body)
                .post("/internal/v1/bastion-leases")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
    }

    /** A recorded session of a new engineer's live grant, not registered yet. */
    private record Prepared(UUID session, String user, String grant, String recordingId, String keyId) {}

    private static Prepared prepare() throws Exception {
        String user = Api.newEngineer("lease-");
        String grant = Api.activeWebGrant(user);
        UUID session = UUID.randomUUID();
        TestBastion bastion = TestBastion.trusted();
        SessionRecording recording = bastion.start(session, user, grant);
        recording.terminal().output("working...\r\n".getBytes());
        recording.sync();
        return new Prepared(session, user, grant, recording.id(), bastion.keyId());
    }

    /** Registers the session under {@code instance}, renewing the lease just before (grants take a while to make). */
    private static UUID register(Prepared p, UUID instance) {
        lease(instance, null);
        Map<String, Object> body =
                SessionIndexTest.opened(p.session(), p.grant(), p.user(), p.recordingId(), Instant.now());
        body.put("recordingKey", p.keyId());
        body.put("bastionInstance", instance.toString());
        Api.asBastion().body(body).post("/internal/v1/sessions").then().statusCode(201);
        return p.session();
    }

    private static JsonPath awaitStatus(UUID session, String status) throws InterruptedException {
        JsonPath last = null;
        for (int i = 0; i < 300; i++) {
            last = as("dave")
                    .get("/api/v1/sessions/" + session)
                    .then()
                    .statusCode(200)
                    .extract()
                    .jsonPath();
            if (status.equals(last.getString("status"))) {
                return last;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("session " + session + " did not become " + status + "; last " + last.prettify());
    }

    @Test
    void aLapsedLeaseAbortsItsSessionsWithTheTimeAndTheRecordingSaysWhy() throws Exception {
        UUID instance = UUID.randomUUID();
        Prepared prepared = prepare();
        JsonPath taken = lease(instance, null);
        assertThat(Instant.parse(taken.getString("expiresAt"))).isAfter(Instant.now());
        assertThat(taken.getLong("renewEverySeconds")).isPositive();
        UUID session = register(prepared, instance); // renewed once more there, then never again: the bastion is gone

        JsonPath aborted = awaitStatus(session, "ABORTED");
        assertThat(aborted.getString("detail")).startsWith("bastion lost: bastion-a stopped renewing its lease");
        assertThat(Instant.parse(aborted.getString("endedAt")))
                .isAfter(Instant.parse(taken.getString("expiresAt")).minusSeconds(1));
        as("dave")
                .get("/api/v1/sessions/" + session + "/verification")
                .then()
                .statusCode(200)
                .body("status", equalTo("INCOMPLETE"))
                .body("problem", org.hamcrest.Matchers.startsWith("bastion lost: bastion-a stopped renewing"));
        as("dave")
                .get("/api/v1/audit?action=session.aborted&subject=" + session)
                .then()
                .statusCode(200)
                .body("size()", equalTo(1));
        // the lease is over: the bastion (back from a partition) must take a new one
        Api.asBastion()
                .body(Map.of("instance", instance.toString(), "bastion", "bastion-a"))
                .post("/internal/v1/bastion-leases")
                .then()
                .statusCode(409)
                .body("code", equalTo("lease_ended"));
        // and a late end from it changes nothing
        Api.asBastion()
                .body(SessionIndexTest.ended(Instant.now(), 1, 2, "CLOSED", "late"))
                .post("/internal/v1/sessions/" + session + "/end")
                .then()
                .statusCode(200)
                .body("status", equalTo("ABORTED"));
    }

    @Test
    void aRestartedBastionClosesItsPreviousInstancesLeftoversAtOnce() throws Exception {
        UUID before = UUID.randomUUID();
        UUID session = register(prepare(), before);
        JsonPath after = lease(UUID.randomUUID(), before);
        assertThat(after.getInt("abortedLeftovers")).isEqualTo(1);
        JsonPath row = as("dave")
                .get("/api/v1/sessions/" + session)
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
        assertThat(row.getString("status")).isEqualTo("ABORTED");
        assertThat(row.getString("detail")).startsWith("bastion lost: bastion-a restarted");
    }

    @Test
    void aBastionThatStopsAbortsOnlyWhatItCouldNotReport() throws Exception {
        UUID instance = UUID.randomUUID();
        Prepared first = prepare();
        Prepared second = prepare();
        UUID reported = register(first, instance);
        UUID unreported = register(second, instance);
        TestBastion.end(reported, "CLOSED");
        Api.asBastion()
                .post("/internal/v1/bastion-leases/" + instance + "/end")
                .then()
                .statusCode(200)
                .body("abortedSessions", equalTo(1));
        assertThat(as("dave").get("/api/v1/sessions/" + reported).jsonPath().getString("status"))
                .isEqualTo("CLOSED");
        assertThat(as("dave").get("/api/v1/sessions/" + unreported).jsonPath().getString("detail"))
                .isEqualTo("bastion lost: the bastion stopped without reporting the end of this session");
    }

    /** Attacker: a session named under a lease this client does not hold is refused, and audited. */
    @Test
    void aSessionIsRegisteredOnlyUnderALiveLeaseOfItsOwnClient() throws Exception {
        String user = Api.newEngineer("lease-");
        String grant = Api.activeWebGrant(user);
        UUID session = UUID.randomUUID();
        Map<String, Object> body = SessionIndexTest.opened(session, grant, user, null, Instant.now());
        body.put("bastionInstance", UUID.randomUUID().toString());
        Api.asBastion()
                .body(body)
                .post("/internal/v1/sessions")
                .then()
                .statusCode(403)
                .body("code", equalTo("no_live_lease"));
        as("dave")
                .get("/api/v1/audit?action=session.registration.refused&subject=" + session)
                .then()
                .statusCode(200)
                .body("size()", equalTo(1));
        as("dave").get("/api/v1/sessions/" + session).then().statusCode(404);
    }

    /** Attacker: another segment's bastion cannot renew, end, or abort (as a "previous instance") a lease not its own. */
    @Test
    void aLeaseIsItsClientsAlone() throws Exception {
        UUID foreign = UUID.randomUUID();
        try (Connection db = DatabaseAdmin.superuser();
                PreparedStatement insert = db.prepareStatement(
                        "insert into bastion_lease (instance_id, bastion, client_id, started_at, renewed_at, expires_at) "
                                + "values (?, 'bastion-b', 'portcullis-bastion-b', now(), now(), now() + interval '1 hour')")) {
            insert.setObject(1, foreign);
            insert.executeUpdate();
        }
        Api.asBastion()
                .body(Map.of("instance", foreign.toString(), "bastion", "bastion-a"))
                .post("/internal/v1/bastion-leases")
                .then()
                .statusCode(403)
                .body("code", equalTo("lease_not_yours"));
        Api.asBastion()
                .post("/internal/v1/bastion-leases/" + foreign + "/end")
                .then()
                .statusCode(404);
        assertThat(lease(UUID.randomUUID(), foreign).getInt("abortedLeftovers")).isZero();
        try (Connection db = DatabaseAdmin.superuser();
                PreparedStatement q =
                        db.prepareStatement("select ended_at is null from bastion_lease where instance_id = ?")) {
            q.setObject(1, foreign);
            var rs = q.executeQuery();
            assertThat(rs.next() && rs.getBoolean(1))
                    .as("the other client's lease is untouched")
                    .isTrue();
            rs.close();
        }
        // and a person cannot take one at all
        as("alice")
                .body(Map.of("instance", UUID.randomUUID().toString(), "bastion", "x"))
                .post("/internal/v1/bastion-leases")
                .then()
                .statusCode(403)
                .body("code", equalTo("not_a_bastion"));
    }
}
