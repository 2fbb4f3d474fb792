package dev.portcullis.broker;

import static dev.portcullis.broker.Api.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portcullis.recording.RecordingClock;
import dev.portcullis.recording.SessionRecording;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.io.ByteArrayOutputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * The exact bytes of a recording's terminal streams, and replay by time range, through HTTP to the broker: who may
 * read them, what they hold, and that every read is audited.
 */
@QuarkusTest
@QuarkusTestResource(BrokerTestEnvironment.class)
class ReplayByRangeApiTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @ConfigProperty(name = "portcullis.recordings.dir")
    String recordingsDir;

    /** Recording time that moves only when the test says, so events land at chosen seconds. */
    static final class SteppedClock implements RecordingClock {
        private final Instant start = Instant.now();
        private volatile long nanos;

        @Override
        public Instant now() {
            return start.plusNanos(nanos);
        }

        @Override
        public long nanoTime() {
            return nanos;
        }

        void at(double seconds) {
            nanos = (long) (seconds * TimeUnit.SECONDS.toNanos(1));
        }
    }

    /** Control characters, NULs, escape sequences and multi-byte characters: every one must come back as sent. */
    private static final byte[] OUTPUT_PART_1 =
            "$ printf\r\n\u0000\u0001\u0007tab\there\u001b[31mred\u001b[0m\r\n".getBytes(StandardCharsets.UTF_8);

    private static final byte[] OUTPUT_PART_2 = "é ü 漢字 🙂 \u007f end\r\n".getBytes(StandardCharsets.UTF_8);
    private static final byte[] INPUT = "printf\r\u0003exit\r".getBytes(StandardCharsets.UTF_8);

    @Test
    void theExactBytesAreDownloadedByWhoMaySeeTheSessionAndAudited() throws Exception {
        String owner = Api.newEngineer("bytes-");
        String grant = Api.activeWebGrant(owner);
        UUID session = UUID.randomUUID();
        TestBastion bastion = TestBastion.trusted();
        SessionRecording recording = bastion.start(session, owner, grant);
        bastion.register(session, owner, grant, recording.id()).then().statusCode(201);
        recording.terminal().output(OUTPUT_PART_1);
        recording.terminal().input(INPUT);
        recording.terminal().output(OUTPUT_PART_2);
        recording.close("client disconnected", 0);
        TestBastion.end(session, "CLOSED");

        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        expected.write(OUTPUT_PART_1);
        expected.write(OUTPUT_PART_2);
        Response output = as(owner).get("/api/v1/sessions/" + session + "/recording.bin?stream=output");
        assertThat(output.statusCode()).as(output.asString()).isEqualTo(200);
        assertThat(output.contentType()).startsWith("application/octet-stream");
        assertThat(output.header("Content-Disposition"))
                .isEqualTo("attachment; filename=\"session-" + session + ".output.bin\"");
        assertThat(output.header("X-Recording-Status")).isEqualTo("VALID");
        assertThat(output.asByteArray()).isEqualTo(expected.toByteArray());

        Response input = as("dave").get("/api/v1/sessions/" + session + "/recording.bin?stream=input");
        assertThat(input.statusCode()).isEqualTo(200);
        assertThat(input.asByteArray()).isEqualTo(INPUT);
        assertThat(input.header("Content-Disposition")).contains("session-" + session + ".input.bin");

        as("dave")
                .get("/api/v1/sessions/" + session + "/recording.bin?stream=stderr")
                .then()
                .statusCode(422)
                .body("code", equalTo("bad_stream"));
        // someone else's session does not exist for bob; a bastion reads no recording; nobody reads it anonymously
        as("bob")
                .get("/api/v1/sessions/" + session + "/recording.bin?stream=output")
                .then()
                .statusCode(404)
                .body("code", equalTo("no_such_session"));
        Api.asBastion()
                .get("/api/v1/sessions/" + session + "/recording.bin?stream=output")
                .then()
                .statusCode(403);
        Api.anonymous()
                .get("/api/v1/sessions/" + session + "/recording.bin")
                .then()
                .statusCode(401);

        as("dave")
                .get("/api/v1/audit?action=recording.exported&subject=" + session)
                .then()
                .statusCode(200)
                .body("actor", equalTo(List.of("dave", owner)))
                .body("details.format", equalTo(List.of("input.bin", "output.bin")));
    }

    @Test
    void aRangeHoldsOnlyItsEventsAndTheScreenAtItsStart() throws Exception {
        String owner = Api.newEngineer("range-");
        UUID session = timedSession(owner);

        Response index = as("dave").get("/api/v1/sessions/" + session + "/replay");
        assertThat(index.statusCode()).as(index.asString()).isEqualTo(200);
        JsonNode json = JSON.readTree(index.asString());
        assertThat(json.get("version").asInt()).isEqualTo(1);
        assertThat(json.get("duration").asDouble()).isCloseTo(41, within(0.01));
        assertThat(json.get("term").get("cols").asInt()).isEqualTo(80);
        assertThat(json.get("textFaithful").asBoolean()).isTrue();
        List<Double> starts = new ArrayList<>();
        json.get("segments").forEach(s -> starts.add(s.get("start").asDouble()));
        assertThat(starts).containsExactly(0.0, 10.0, 20.0, 30.0, 40.0);
        assertThat(json.get("segments").get(1).get("url").asText())
                .isEqualTo("/api/v1/sessions/" + session + "/replay/range?from=10.0&to=20.0");
        assertThat(json.get("segments").get(4).get("url").asText()).endsWith("&last=true");

        // 10 s to 20 s: the resize and the line at 15 s; the screen at 10 s starts at the clear, without the first
        // screen
        JsonNode range = range(session, "from=10&to=20");
        assertThat(events(range)).containsExactly("10.0 o ", "12.0 r 100x30", "15.0 o line at 15\r\n");
        assertThat(range.get("snapshot").get("cols").asInt()).isEqualTo(80);
        assertThat(range.get("snapshot").get("init").asText()).isEqualTo("\u001b[2Jcleared at 5\r\nline at 8\r\n");

        // the same range as a stand-alone asciicast v2 file: the rebuilt screen at 0, then the events timed from 10 s
        Response cast = as("dave").get("/api/v1/sessions/" + session + "/replay/range.cast?from=10&to=20");
        assertThat(cast.statusCode()).as(cast.asString()).isEqualTo(200);
        assertThat(cast.contentType()).startsWith("application/x-asciicast");
        List<String> lines = cast.asString().lines().toList();
        JsonNode castHeader = JSON.readTree(lines.get(0));
        assertThat(castHeader.get("version").asInt()).isEqualTo(2);
        assertThat(castHeader.get("width").asInt()).isEqualTo(80);
        List<String> castEvents = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            JsonNode e = JSON.readTree(line);
            castEvents.add(
                    e.get(0).asText() + " " + e.get(1).asText() + " " + e.get(2).asText());
        }
        assertThat(castEvents)
                .containsExactly(
                        "0.0 o \u001b[2Jcleared at 5\r\nline at 8\r\n",
                        "0.0 o ",
                        "2.0 r 100x30",
                        "5.0 o line at 15\r\n");

        JsonNode later = range(session, "from=20&to=30");
        assertThat(events(later)).containsExactly("20.0 o ", "25.0 o line at 25\r\n");
        assertThat(later.get("snapshot").get("cols").asInt()).isEqualTo(100);
        assertThat(later.get("snapshot").get("rows").asInt()).isEqualTo(30);
        assertThat(later.get("snapshot").get("init").asText())
                .isEqualTo("\u001b[2Jcleared at 5\r\nline at 8\r\nline at 15\r\n");

        // the last range ends with an event at the recording's end, as the player wants
        JsonNode last = range(session, "from=40&to=" + json.get("duration").asText() + "&last=true");
        List<String> lastEvents = events(last);
        assertThat(lastEvents.get(lastEvents.size() - 1))
                .startsWith(json.get("duration").asText() + " o");
        assertThat(lastEvents).contains("40.0 o last line\r\n");

        for (String bad :
                List.of("from=abc&to=10", "from=10&to=5", "from=-1&to=5", "from=0&to=601", "to=5", "from=NaN&to=5")) {
            as("dave")
                    .get("/api/v1/sessions/" + session + "/replay/range?" + bad)
                    .then()
                    .statusCode(422)
                    .body("code", equalTo("bad_range"));
        }
        as("bob").get("/api/v1/sessions/" + session + "/replay").then().statusCode(404);
        as("bob")
                .get("/api/v1/sessions/" + session + "/replay/range?from=0&to=10")
                .then()
                .statusCode(404)
                .body("code", equalTo("no_such_session"));
        Api.asBastion()
                .get("/api/v1/sessions/" + session + "/replay/range?from=0&to=10")
                .then()
                .statusCode(403);

        // one audit row for dave's replay, however many ranges he read
        as("dave")
                .get("/api/v1/audit?action=recording.replayed&subject=" + session)
                .then()
                .statusCode(200)
                .body("actor", equalTo(List.of("dave")))
                .body("details.via", equalTo(List.of("api")));
    }

    @Test
    void aChunkChangedAfterItsRecordingVerifiedIsNotReplayed() throws Exception {
        String owner = Api.newEngineer("range-tamper-");
        UUID session = timedSession(owner);
        as("dave").get("/api/v1/sessions/" + session + "/replay").then().statusCode(200);
        range(session, "from=10&to=20");

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
        as("dave")
                .get("/api/v1/sessions/" + session + "/replay/range?from=10&to=20")
                .then()
                .statusCode(409)
                .body("code", equalTo("recording_tampered"));
        as("dave")
                .get("/api/v1/sessions/" + session + "/replay")
                .then()
                .statusCode(409)
                .body("code", equalTo("recording_tampered"));
        as("dave").get("/api/v1/sessions/" + session + "/recording.bin").then().statusCode(409);
        as("dave")
                .get("/api/v1/audit?action=recording.export.refused&subject=" + session)
                .then()
                .statusCode(200)
                .body("details.format", equalTo(List.of("output.bin", "range", "range")));
    }

    /**
     * A closed session whose output lands at chosen seconds: a first screen at 1 s, a clear at 5 s, lines at 8, 15 and
     * 25 s, a resize to 100x30 at 12 s, a last line at 40 s, closed at 41 s.
     */
    private static UUID timedSession(String owner) throws Exception {
        String grant = Api.activeWebGrant(owner);
        UUID session = UUID.randomUUID();
        SteppedClock clock = new SteppedClock();
        TestBastion bastion = TestBastion.trusted().withClock(clock);
        SessionRecording recording = bastion.start(session, owner, grant);
        bastion.register(session, owner, grant, recording.id()).then().statusCode(201);
        output(recording, clock, 1, "first screen\r\n");
        output(recording, clock, 5, "\u001b[H\u001b[2Jcleared at 5\r\n");
        output(recording, clock, 8, "line at 8\r\n");
        clock.at(12);
        recording.terminal().resize(100, 30);
        output(recording, clock, 15, "line at 15\r\n");
        output(recording, clock, 25, "line at 25\r\n");
        output(recording, clock, 40, "last line\r\n");
        clock.at(41);
        recording.close("client disconnected", 0);
        TestBastion.end(session, "CLOSED");
        return session;
    }

    private static void output(SessionRecording recording, SteppedClock clock, double at, String text)
            throws Exception {
        clock.at(at);
        recording.terminal().output(text.getBytes(StandardCharsets.UTF_8));
    }

    private static JsonNode range(UUID session, String query) throws Exception {
        Response r = as("dave").get("/api/v1/sessions/" + session + "/replay/range?" + query);
        assertThat(r.statusCode()).as(r.asString()).isEqualTo(200);
        return JSON.readTree(r.asString());
    }

    private static List<String> events(JsonNode range) {
        List<String> events = new ArrayList<>();
        range.get("events")
                .forEach(e -> events.add(e.get(0).asText() + " " + e.get(1).asText() + " "
                        + e.get(2).asText()));
        return events;
    }
}
