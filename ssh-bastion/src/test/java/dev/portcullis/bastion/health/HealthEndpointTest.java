package dev.portcullis.bastion.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.recording.FileSystemRecordingStorage;
import dev.portcullis.recording.RecordingSigner;
import dev.portcullis.workflow.port.GrantAuthority;
import dev.portcullis.workflow.port.SessionIndex;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bastion's health and metrics endpoint over real HTTP: liveness, readiness with each check named (503 when one is
 * down), Prometheus metrics fed by the metered ports, GET only.
 */
class HealthEndpointTest {

    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> call(String method, int port, String path) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                        .method(method, HttpRequest.BodyPublishers.noBody())
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void probesNameEveryCheckAndMetricsCountSessions(@TempDir Path dir) throws Exception {
        BastionMetrics metrics = new BastionMetrics();
        AtomicBoolean brokerUp = new AtomicBoolean(true);
        AtomicBoolean listening = new AtomicBoolean(true);
        Readiness readiness = new Readiness()
                .add(
                        "broker",
                        () -> brokerUp.get()
                                ? Readiness.up("broker", "lease held")
                                : Readiness.down("broker", "no lease"))
                .add("recording-storage", () -> RecordingProbe.writable(dir.resolve("recordings")))
                .add("signing-key", () -> RecordingProbe.signs(RecordingSigner.generate()))
                .add("grant-stream", () -> {
                    throw new IllegalStateException("stream gone");
                });
        try (HealthServer server = HealthServer.start("127.0.0.1", 0, listening::get, readiness, metrics)) {
            int port = server.port();
            assertThat(call("GET", port, "/health/live").statusCode()).isEqualTo(200);
            HttpResponse<String> ready = call("GET", port, "/health/ready");
            assertThat(ready.statusCode()).isEqualTo(503);
            assertThat(ready.body())
                    .contains(
                            "\"status\":\"DOWN\"",
                            "{\"name\":\"broker\",\"status\":\"UP\"",
                            "\"name\":\"recording-storage\",\"status\":\"UP\"",
                            "\"name\":\"signing-key\",\"status\":\"UP\"",
                            "\"name\":\"grant-stream\",\"status\":\"DOWN\",\"detail\":\"stream gone\"");
            assertThat(Files.list(dir.resolve("recordings")))
                    .as("the storage probe leaves nothing behind")
                    .isEmpty();
            brokerUp.set(false);
            assertThat(call("GET", port, "/health/ready").body()).contains("\"detail\":\"no lease\"");
            listening.set(false);
            assertThat(call("GET", port, "/health/live").statusCode()).isEqualTo(503);
            assertThat(call("POST", port, "/metrics").statusCode()).isEqualTo(405);
            assertThat(call("GET", port, "/nothing").statusCode()).isEqualTo(404);

            java.util.List<Object> indexed = new java.util.ArrayList<>();
            SessionIndex index = new MeteredSessionIndex(
                    new SessionIndex() {
                        @Override
                        public void opened(Opened s) {
                            indexed.add(s);
                        }

                        @Override
                        public void closed(Closed s) {
                            indexed.add(s);
                        }
                    },
                    metrics);
            UUID session = UUID.randomUUID();
            index.opened(new SessionIndex.Opened(
                    session,
                    UUID.randomUUID(),
                    "alice",
                    "prod-db",
                    "app",
                    "postgres",
                    null,
                    "bastion-1",
                    "127.0.0.1:5000",
                    Instant.now()));
            assertThat(call("GET", port, "/metrics").body())
                    .containsPattern("portcullis_bastion_sessions_open\\{protocol=\"postgres\"} 1(\\.0)?\n");
            index.closed(new SessionIndex.Closed(session, Instant.now(), 120, 4096, "CLOSED", null));
            index.closed(new SessionIndex.Closed(session, Instant.now(), 120, 4096, "CLOSED", null)); // once only
            GrantAuthority refusing = ask -> new GrantAuthority.Refused("no_grant", "no active grant");
            new MeteredGrantAuthority(refusing, metrics)
                    .authorize(new GrantAuthority.Ask("bob", "prod-web-1", "ubuntu", GrantAuthority.Use.SHELL));
            GrantAuthority away = ask -> {
                throw new GrantAuthority.AuthorityUnavailableException("broker away", null);
            };
            assertThatThrownBy(() -> new MeteredGrantAuthority(away, metrics)
                            .authorize(new GrantAuthority.Ask("bob", "prod-db", "app", GrantAuthority.Use.DATABASE)))
                    .isInstanceOf(GrantAuthority.AuthorityUnavailableException.class);
            new MeteredRecordingStorage(new FileSystemRecordingStorage(dir.resolve("store")), metrics)
                    .create("r1", new byte[] {1});
            metrics.recordingQueue(() -> 7);
            String scraped = call("GET", port, "/metrics").body();
            assertThat(scraped)
                    .containsPattern("portcullis_bastion_sessions_open\\{protocol=\"postgres\"} 0(\\.0)?\n")
                    .containsPattern(
                            "portcullis_bastion_sessions_ended_total\\{protocol=\"postgres\",status=\"CLOSED\"} 1(\\.0)?\n")
                    .containsPattern("portcullis_bastion_bytes_out_total\\{protocol=\"postgres\"} 4096(\\.0)?\n")
                    .containsPattern(
                            "portcullis_bastion_sessions_refused_total\\{protocol=\"ssh\",reason=\"no_grant\"} 1(\\.0)?\n")
                    .containsPattern(
                            "portcullis_bastion_sessions_refused_total\\{protocol=\"postgres\",reason=\"authority_unavailable\"} 1")
                    .containsPattern("portcullis_bastion_recording_queue_depth 7(\\.0)?\n")
                    .contains("portcullis_bastion_recording_write_seconds_count{object=\"header\",outcome=\"ok\"} 1")
                    .contains("portcullis_bastion_grant_events_lag_seconds", "jvm_memory_used_bytes");
            assertThat(indexed).as("the index behind the meter saw every call").hasSize(3);
        }
    }
}
