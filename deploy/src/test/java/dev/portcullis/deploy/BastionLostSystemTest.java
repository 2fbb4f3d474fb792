package dev.portcullis.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Honest session states when a bastion process dies: killed with SIGKILL while carrying a session, it says nothing,
 * its lease with the broker lapses, and the broker marks the session ABORTED (bastion lost) with the time; the
 * recording verifies as INCOMPLETE and says why. A bastion restarted on the same state closes its own leftovers at once.
 */
class BastionLostSystemTest {

    private static String get(String url, int expected) throws Exception {
        java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient()
                .send(
                        java.net.http.HttpRequest.newBuilder(java.net.URI.create(url))
                                .build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(url + ": " + r.body()).isEqualTo(expected);
        return r.body();
    }

    /** A short lease, so the test waits seconds, not the default quarter-minute. */
    private static final Map<String, String> SHORT_LEASE =
            Map.of("PORTCULLIS_BASTION_LEASE_DURATION", "6s", "PORTCULLIS_BASTION_LEASE_SWEEP_INTERVAL", "1s");

    @Test
    void aKilledBastionsSessionIsAbortedAndARestartClosesLeftovers() throws Exception {
        try (LostBastionScenario s = LostBastionScenario.start("bastion-lost", "bastion_lost", SHORT_LEASE)) {
            // 1. killed without a goodbye: the lease lapses and the broker aborts the session
            String session = s.holdSession();
            assertThat(s.awaitStatus(session, "OPEN", Duration.ofSeconds(5))
                            .path("endedAt")
                            .isNull())
                    .isTrue();
            // the bastion's own health and metrics, on its health port, say so too
            String ready = get("http://127.0.0.1:" + s.stack.healthPort + "/health/ready", 200);
            assertThat(ready)
                    .contains(
                            "\"status\":\"UP\"",
                            "\"name\":\"broker\"",
                            "\"name\":\"recording-storage\"",
                            "\"name\":\"signing-key\"",
                            "\"name\":\"grant-stream\"");
            assertThat(get("http://127.0.0.1:" + s.stack.healthPort + "/metrics", 200))
                    .containsPattern("portcullis_bastion_sessions_open\\{protocol=\"ssh\"} 1(\\.0)?\n")
                    .containsPattern("portcullis_bastion_sessions_started_total\\{protocol=\"ssh\"} 1(\\.0)?\n")
                    .contains(
                            "portcullis_bastion_recording_write_seconds_count{object=\"header\",outcome=\"ok\"}",
                            "portcullis_bastion_broker_call_seconds_count{call=\"/internal/v1/sessions\",outcome=\"ok\"}");
            Instant killed = Instant.now();
            s.stack.bastion.kill();
            JsonNode aborted = s.awaitStatus(session, "ABORTED", Duration.ofSeconds(90));
            assertThat(aborted.get("detail").asText())
                    .startsWith("bastion lost: ")
                    .contains("stopped renewing its lease");
            assertThat(Instant.parse(aborted.get("endedAt").asText())).isAfter(killed);
            JsonNode verification =
                    s.stack.api("GET", "/api/v1/sessions/" + session + "/verification", s.dave(), null, 200);
            assertThat(verification.get("status").asText()).isEqualTo("INCOMPLETE");
            assertThat(verification.get("problem").asText()).startsWith("bastion lost: ");

            // 2. restarted on the same state directory: the previous instance's session is closed at start, not at
            // lapse
            s.stack.startBastion("");
            String leftover = s.holdSession();
            s.stack.bastion.kill();
            s.stack.startBastion("");
            JsonNode closedAtStart = s.awaitStatus(leftover, "ABORTED", Duration.ofSeconds(90));
            assertThat(closedAtStart.get("detail").asText())
                    .startsWith("bastion lost: ")
                    .contains("restarted");

            // 3. a bastion that stops normally ends its sessions itself, each sealed and reported CLOSED with the
            // reason, at once: none is left OPEN for the lease to lapse, and none is called lost
            String normal = s.holdSession();
            s.stack.bastion.stop();
            JsonNode stopped = s.awaitEnded(normal, Duration.ofSeconds(5));
            assertThat(stopped.get("status").asText()).isEqualTo("CLOSED");
            assertThat(stopped.get("detail").asText()).isEqualTo("the bastion is shutting down; reconnect to continue");
            JsonNode sealed = s.stack.api("GET", "/api/v1/sessions/" + normal + "/verification", s.dave(), null, 200);
            assertThat(sealed.get("status").asText()).isEqualTo("VALID");
        }
    }
}
