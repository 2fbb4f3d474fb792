package dev.portcullis.broker;

import static dev.portcullis.broker.Api.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;

import dev.portcullis.broker.recordings.VerdictSweep;
import dev.portcullis.recording.SessionRecording;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * The search index through the real API: a bastion feeds entries of its own sessions, people search them. Auditors
 * see every session's hits, everyone else only their own; a bastion cannot add entries to another client's sessions;
 * bad queries get one line; every search is audited.
 */
@QuarkusTest
@QuarkusTestResource(BrokerTestEnvironment.class)
class SearchApiTest {

    @Inject
    VerdictSweep verdicts;

    @ConfigProperty(name = "portcullis.recordings.dir")
    String recordingsDir;

    private static UUID session(String user, String grant) {
        UUID id = UUID.randomUUID();
        Api.asBastion()
                .body(SessionIndexTest.opened(
                        id, grant, user, null, Instant.now().minusSeconds(30)))
                .post("/internal/v1/sessions")
                .then()
                .statusCode(201);
        return id;
    }

    private static Map<String, Object> entry(UUID session, long micros, String kind, String text, String detail) {
        Map<String, Object> e = new HashMap<>();
        e.put("session", session.toString());
        e.put("offsetMicros", micros);
        e.put("kind", kind);
        e.put("text", text);
        e.put("detail", detail);
        return e;
    }

    private static JsonPath feed(List<Map<String, Object>> entries) {
        return Api.asBastion()
                .body(Map.of("entries", entries))
                .post("/internal/v1/search/entries")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
    }

    @Test
    void auditorsFindEveryonesEntriesOthersOnlyTheirOwn() {
        String mine = Api.newEngineer("srch-a-");
        String theirs = Api.newEngineer("srch-b-");
        UUID a = session(mine, Api.activeWebGrant(mine));
        UUID b = session(theirs, Api.activeWebGrant(theirs));
        String marker = "needle" + System.nanoTime();
        JsonPath taken = feed(List.of(
                entry(a, 1_000_000, "command", "cd /var/lib", null),
                entry(a, 2_500_000, "command", "rm -rf /var/lib/" + marker, null),
                entry(a, 3_000_000, "output", "done", null),
                entry(
                        b,
                        4_000_000,
                        "query",
                        "DELETE FROM orders WHERE id = $1  -- parameters: $1=" + marker,
                        "DELETE 1, 1 rows")));
        assertThat(taken.getInt("stored")).isEqualTo(4);
        assertThat(taken.getList("unknownSessions")).isEmpty();

        JsonPath dave = as("dave")
                .get("/api/v1/search?q=" + marker)
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
        assertThat(dave.getString("scope")).isEqualTo("everyone");
        assertThat(dave.getList("hits.username")).containsExactlyInAnyOrder(mine, theirs);
        Map<String, Object> typed = dave.getMap("hits.find { it.kind == 'command' }");
        assertThat(typed)
                .containsEntry("text", "rm -rf /var/lib/" + marker)
                .containsEntry("before", "cd /var/lib")
                .containsEntry("after", "done")
                .containsEntry("target", "prod-web-1")
                .containsEntry("login", "ubuntu")
                .containsEntry("sessionId", a.toString())
                .containsEntry("verification", "NONE")
                .containsEntry("replay", "/ui/sessions/" + a + "?t=2");
        assertThat(((Number) typed.get("offsetSeconds")).doubleValue()).isEqualTo(2.5);
        Map<String, Object> query = dave.getMap("hits.find { it.kind == 'query' }");
        assertThat(query).containsEntry("detail", "DELETE 1, 1 rows");

        // filters
        assertThat(as("dave")
                        .get("/api/v1/search?q=" + marker + "&kind=query")
                        .then()
                        .statusCode(200)
                        .extract()
                        .jsonPath()
                        .getList("hits.sessionId"))
                .containsExactly(b.toString());
        assertThat(as("dave")
                        .get("/api/v1/search?q=" + marker + "&person=" + mine)
                        .then()
                        .statusCode(200)
                        .extract()
                        .jsonPath()
                        .getList("hits.sessionId"))
                .containsExactly(a.toString());
        assertThat(as("dave")
                        .get("/api/v1/search?q=" + marker + "&to=2000-01-01")
                        .then()
                        .statusCode(200)
                        .extract()
                        .jsonPath()
                        .getList("hits"))
                .isEmpty();
        assertThat(as("dave")
                        .get("/api/v1/search?q=RM -RF /VAR/LIB/" + marker.toUpperCase())
                        .then()
                        .statusCode(200)
                        .extract()
                        .jsonPath()
                        .getList("hits.kind"))
                .as("case-insensitive")
                .containsExactly("command");

        // attacker: a person who is not an auditor sees only her own hits, however she asks
        JsonPath own = Api.as(mine)
                .get("/api/v1/search?q=" + marker)
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
        assertThat(own.getString("scope")).isEqualTo("own");
        assertThat(own.getList("hits.username")).containsOnly(mine).hasSize(1);
        Api.as(theirs)
                .get("/api/v1/search?q=rm -rf /var/lib/" + marker)
                .then()
                .statusCode(200)
                .body("count", equalTo(0));
        Api.as(mine)
                .get("/api/v1/search?q=" + marker + "&person=" + theirs)
                .then()
                .statusCode(403)
                .contentType("application/problem+json")
                .body("code", equalTo("missing_group"));

        // every search is audited, with what was asked
        JsonPath audit = as("dave")
                .get("/api/v1/audit?action=search.performed&actor=" + mine + "&limit=5")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
        assertThat(audit.getString("[0].details.q")).isEqualTo(marker);
        assertThat(audit.getString("[0].details.scope")).isEqualTo("own");
    }

    @Test
    void aLiteralSearchTreatsWildcardsAsText() {
        String user = Api.newEngineer("srch-w-");
        UUID s = session(user, Api.activeWebGrant(user));
        String marker = "w" + System.nanoTime();
        feed(List.of(
                entry(s, 0, "command", "echo " + marker + " 100%_sure", null),
                entry(s, 1, "command", "echo " + marker + " 100xxsure", null)));
        assertThat(as("dave")
                        .get("/api/v1/search?q=" + marker + " 100%_sure")
                        .then()
                        .statusCode(200)
                        .extract()
                        .jsonPath()
                        .getList("hits.text"))
                .containsExactly("echo " + marker + " 100%_sure");
    }

    /** Attacker: a bastion adds entries only to sessions its own client registered. */
    @Test
    void aBastionCannotFeedAnotherClientsSession() throws Exception {
        String user = Api.newEngineer("srch-x-");
        String grant = Api.activeWebGrant(user);
        UUID foreign = UUID.randomUUID();
        try (Connection db = DatabaseAdmin.superuser();
                PreparedStatement insert = db.prepareStatement(
                        "insert into bastion_session (id, request_id, username, target, login, protocol, started_at, status,"
                                + " registered_by) values (?, ?, ?, 'prod-web-1', 'ubuntu', 'ssh', now(), 'OPEN',"
                                + " 'portcullis-bastion-b')")) {
            insert.setObject(1, foreign);
            insert.setObject(2, UUID.fromString(grant));
            insert.setString(3, user);
            insert.executeUpdate();
        }
        UUID own = session(user, grant);
        String planted = "planted" + System.nanoTime();
        Api.asBastion()
                .body(Map.of(
                        "entries",
                        List.of(entry(own, 0, "command", planted, null), entry(foreign, 0, "command", planted, null))))
                .post("/internal/v1/search/entries")
                .then()
                .statusCode(403)
                .contentType("application/problem+json")
                .body("code", equalTo("not_your_session"))
                .body("detail", containsString(foreign.toString()));
        as("dave").get("/api/v1/search?q=" + planted).then().statusCode(200).body("count", equalTo(0));
        as("dave")
                .get("/api/v1/audit?action=search.entries.refused&subject=" + foreign)
                .then()
                .statusCode(200)
                .body("[0].actor", equalTo("portcullis-bastion"))
                .body("[0].details.code", equalTo("not_your_session"));

        // a session not registered yet is named for a later try, the rest is stored
        UUID later = UUID.randomUUID();
        JsonPath taken =
                feed(List.of(entry(own, 0, "command", planted, null), entry(later, 0, "command", planted, null)));
        assertThat(taken.getInt("stored")).isEqualTo(1);
        assertThat(taken.getList("unknownSessions")).containsExactly(later.toString());

        // people are no bastions, bastions are no people
        as(user).body(Map.of("entries", List.of(entry(own, 0, "command", "x", null))))
                .post("/internal/v1/search/entries")
                .then()
                .statusCode(403)
                .body("code", equalTo("not_a_bastion"));
        Api.asBastion()
                .get("/api/v1/search?q=" + planted)
                .then()
                .statusCode(403)
                .body("code", equalTo("not_a_person"));
    }

    private static Map<String, Object> hit(String marker) {
        return as("dave")
                .get("/api/v1/search?q=" + marker)
                .then()
                .statusCode(200)
                .extract()
                .jsonPath()
                .getMap("hits[0]");
    }

    /**
     * A hit shows the stored verdict on its recording: none while the session runs, the background check's once it
     * ended. Attacker: a recording changed after it verified reads TAMPERED beside its hits as soon as anything verifies
     * it in full again (here an auditor's verification; the background re-check stores it the same way).
     */
    @Test
    void aHitShowsTheStoredVerdictUntilAFullVerificationFindsTheRecordingChanged() throws Exception {
        String user = Api.newEngineer("srch-v-");
        String grant = Api.activeWebGrant(user);
        UUID id = UUID.randomUUID();
        TestBastion bastion = TestBastion.trusted();
        SessionRecording recording = bastion.start(id, user, grant);
        bastion.register(id, user, grant, recording.id()).then().statusCode(201);
        String marker = "verdict" + System.nanoTime();
        recording.terminal().output(("$ rm -rf /srv/" + marker + "\r\n").getBytes(StandardCharsets.UTF_8));
        recording.sync();
        feed(List.of(entry(id, 1, "command", "rm -rf /srv/" + marker, null)));
        assertThat(hit(marker)).containsEntry("verification", "UNCHECKED").containsEntry("verifiedAt", null);

        recording.terminal().output("done\r\n".getBytes(StandardCharsets.UTF_8));
        recording.close("client disconnected", 0);
        TestBastion.end(id, "CLOSED");
        verdicts.sweep(); // what the background check does within a second of the end
        Map<String, Object> checked = hit(marker);
        assertThat(checked).containsEntry("verification", "VALID");
        assertThat(Instant.parse((String) checked.get("verifiedAt")))
                .isAfter(Instant.now().minusSeconds(60));

        Path chunk = Path.of(recordingsDir, recording.id(), "chunk-00000001.bin");
        try (RandomAccessFile file = new RandomAccessFile(chunk.toFile(), "rw")) {
            long at = file.length() - 5;
            file.seek(at);
            int b = file.read();
            file.seek(at);
            file.write(b ^ 0x01);
        }
        assertThat(hit(marker)).as("a search verifies nothing itself").containsEntry("verification", "VALID");
        as("dave")
                .get("/api/v1/sessions/" + id + "/verification")
                .then()
                .statusCode(200)
                .body("status", equalTo("TAMPERED"));
        assertThat(hit(marker)).containsEntry("verification", "TAMPERED");
        verdicts.sweep();
        assertThat(hit(marker)).as("the end's check does not undo it").containsEntry("verification", "TAMPERED");
    }

    @Test
    void badQueriesGetOneLine() {
        List<String[]> cases = new ArrayList<>();
        cases.add(new String[] {"limit=5", "query_required"});
        cases.add(new String[] {"q=", "query_required"});
        cases.add(new String[] {"q=%20%20", "query_required"});
        cases.add(new String[] {"q=rm", "query_too_short"});
        cases.add(new String[] {"q=" + "a".repeat(201), "query_too_long"});
        cases.add(new String[] {"q=%25%25%25%25", "query_too_vague"});
        cases.add(new String[] {"q=abc%0Adef", "query_not_text"});
        cases.add(new String[] {"q=abc&kind=regex", "bad_kind"});
        cases.add(new String[] {"q=abc&protocol=rdp", "bad_protocol"});
        cases.add(new String[] {"q=abc&from=yesterday", "bad_time"});
        cases.add(new String[] {"q=abc&from=2026-02-01&to=2026-01-01", "bad_range"});
        cases.add(new String[] {"q=abc&limit=100000", "bad_limit"});
        for (String[] c : cases) {
            String detail = as("dave")
                    .urlEncodingEnabled(false)
                    .get("/api/v1/search?" + c[0])
                    .then()
                    .statusCode(400)
                    .contentType("application/problem+json")
                    .body("code", equalTo(c[1]))
                    .body("detail", not(containsString("\n")))
                    .body("detail", not(containsString("Exception")))
                    .extract()
                    .jsonPath()
                    .getString("detail");
            assertThat(detail).as(c[0]).isNotBlank();
        }
        as("dave")
                .get("/api/v1/audit?action=search.refused&actor=dave&limit=1")
                .then()
                .statusCode(200)
                .body("[0].details.code", equalTo("bad_limit"));
    }
}
