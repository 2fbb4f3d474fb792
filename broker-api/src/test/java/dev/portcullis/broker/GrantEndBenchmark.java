package dev.portcullis.broker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.local.BenchmarkFigures;
import dev.portcullis.local.LocalKeycloak;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * 1,000 active grants ending within the same minute: the delay from each grant's end time to its
 * grant-ended event reaching a bastion subscribed to the event stream. Quartz triggers only (the safety
 * sweep is off in the test profile). Run by deploy/bench/grant-end.sh; figures in docs/benchmarks/grant-end.md.
 */
@QuarkusTest
@QuarkusTestResource(BrokerTestEnvironment.class)
@Tag("benchmark")
class GrantEndBenchmark {

    private static final int GRANTS = Integer.getInteger("bench.grants", 1000);
    private static final Pattern ENDED = Pattern.compile("\"requestId\":\"([0-9a-f-]{36})\".*\"at\":\"([^\"]+)\"");

    @ConfigProperty(name = "quarkus.http.test-port")
    int port;

    private final HttpClient http = HttpClient.newHttpClient();
    private static final java.util.Queue<String> LINES = new java.util.concurrent.ConcurrentLinkedQueue<>();

    @Test
    void measure() throws Exception {
        LocalKeycloak kc = LocalKeycloak.shared();
        String bastion = kc.clientCredentialsToken(kc.bastionClientId(), kc.bastionClientSecret());
        Map<String, Instant> received = new ConcurrentHashMap<>();
        http.sendAsync(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/internal/v1/grant-events"))
                                .header("Authorization", "Bearer " + bastion)
                                .build(),
                        HttpResponse.BodyHandlers.ofLines())
                .thenAccept(r -> r.body().forEach(line -> {
                    if (line.startsWith("data:")) {
                        LINES.add(line);
                    }
                    if (line.startsWith("data:") && line.contains("\"kind\":\"ended\"")) {
                        Matcher m = ENDED.matcher(line);
                        if (m.find()) {
                            received.put(m.group(1), Instant.now());
                        }
                    }
                }));

        // Make the grants: one-minute grants under the one-approval rule, as fast as the broker takes them.
        String alice = Api.token("alice");
        String erin = Api.token("erin");
        Map<String, Instant> endsAt = new ConcurrentHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(16);
        List<Future<?>> work = new ArrayList<>();
        Instant firstCreated = Instant.now();
        for (int i = 0; i < GRANTS; i++) {
            work.add(pool.submit(() -> {
                String created = post(
                        "/api/v1/requests",
                        alice,
                        "{\"target\":\"prod-db\",\"login\":\"app_readonly\",\"durationMinutes\":1}");
                int at = created.indexOf("\"id\":\"") + 6;
                String id = created.substring(at, at + 36);
                String approved = post("/api/v1/requests/" + id + "/approve", erin, "{}");
                int e = approved.indexOf("\"endsAt\":\"") + 10;
                endsAt.put(id, Instant.parse(approved.substring(e, approved.indexOf('"', e))));
                return null;
            }));
        }
        for (Future<?> f : work) {
            f.get(10, TimeUnit.MINUTES);
        }
        pool.shutdown();
        Instant lastApproved = Instant.now();
        Instant lastEnd = endsAt.values().stream().max(Instant::compareTo).orElseThrow();

        // Wait for every grant-ended event, at most two minutes past the last end time.
        Instant deadline = lastEnd.plusSeconds(120);
        while (received.keySet().containsAll(endsAt.keySet()) == false
                && Instant.now().isBefore(deadline)) {
            Thread.sleep(200);
        }
        List<Long> delays = new ArrayList<>();
        int missing = 0;
        for (Map.Entry<String, Instant> grant : endsAt.entrySet()) {
            Instant got = received.get(grant.getKey());
            if (got == null) {
                missing++;
            } else {
                delays.add(Duration.between(grant.getValue(), got).toMillis());
            }
        }
        Collections.sort(delays);
        Instant firstEnd = endsAt.values().stream().min(Instant::compareTo).orElseThrow();
        List<Long> baseline = releasedByHand(alice, erin, received);
        String md = "# Benchmark: grant end to bastion\n\n"
                + GRANTS + " one-minute grants, all ending within "
                + Duration.between(firstEnd, lastEnd).toSeconds()
                + " s of each other; the delay from each grant's end time to its grant-ended event reaching a bastion subscribed to "
                + "`/internal/v1/grant-events` (server-sent events over HTTP on loopback). Path: Quartz trigger in the clustered JDBC job "
                + "store -> `Expire` transition (optimistic lock, audit row, outbox row) -> event stream poll (100 ms). Target: p99 <= 1 s.\n\n"
                + "Run: `deploy/bench/grant-end.sh` on "
                + Instant.now().toString().substring(0, 10) + ". Machine: "
                + Runtime.getRuntime().availableProcessors() + " cores, Java " + System.getProperty("java.version")
                + "; broker, PostgreSQL, Keycloak and the subscriber on the same machine. Grants made in "
                + Duration.between(firstCreated, lastApproved).toSeconds() + " s.\n\n"
                + "| grants | events received | missing | p50 ms | p99 ms | max ms |\n| ---: | ---: | ---: | ---: | ---: | ---: |\n"
                + String.format(
                        Locale.ROOT,
                        "| %d | %d | %d | %d | %d | %d |%n",
                        GRANTS,
                        delays.size(),
                        missing,
                        pct(delays, 50),
                        pct(delays, 99),
                        delays.isEmpty() ? -1 : delays.get(delays.size() - 1))
                + "\nBaseline in the same run: " + baseline.size()
                + " grants released by hand (16 at a time), from the release call to "
                + "the grant-ended event at the same subscriber (no scheduler on the path): p50 " + pct(baseline, 50)
                + " ms, p99 "
                + pct(baseline, 99) + " ms.\n";
        Path out = Path.of(System.getProperty("bench.output", "../docs/benchmarks/grant-end.md"));
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, md);
        if (!delays.isEmpty() && !baseline.isEmpty()) {
            // the machine-readable figures for deploy/bench/all.sh (contract: deploy/bench/README.md)
            new BenchmarkFigures("benchmarks/" + out.getFileName())
                    .add(
                            "grant end time to grant-ended event at a bastion, p99 (" + GRANTS
                                    + " grants ending together)",
                            pct(delays, 99),
                            "ms",
                            "release by hand to the same event, p99",
                            Math.max(1, pct(baseline, 99)),
                            "value<=1000")
                    .add(
                            "grant end time to grant-ended event at a bastion, p50",
                            pct(delays, 50),
                            "ms",
                            "release by hand to the same event, p50",
                            Math.max(1, pct(baseline, 50)),
                            "-")
                    .writeBeside(out);
        }
        System.out.println(md);
        if (missing > 0) {
            endsAt.keySet().stream()
                    .filter(id -> !received.containsKey(id))
                    .limit(5)
                    .forEach(id -> System.out.println("MISSING " + id + " state="
                            + Api.as("dave")
                                    .get("/api/v1/requests/" + id)
                                    .jsonPath()
                                    .getString("state") + " audit="
                            + Api.as("dave")
                                    .get("/api/v1/audit?subject=" + id)
                                    .jsonPath()
                                    .getList("action")));
            endsAt.keySet().stream()
                    .filter(id -> !received.containsKey(id))
                    .limit(5)
                    .forEach(id -> System.out.println("LINES for " + id + ": "
                            + LINES.stream().filter(l -> l.contains(id)).toList()));
            System.out.println("total data lines " + LINES.size());
        }
        assertThat(missing).as("every grant-ended event arrives").isZero();
    }

    /**
     * The baseline: one-hour grants ended by their holder (release), the delay from the release call to the grant-ended
     * event, sorted. Same broker, database, stream and subscriber as the measured path, without the scheduler.
     */
    private List<Long> releasedByHand(String requester, String approver, Map<String, Instant> received)
            throws Exception {
        int count = Math.min(GRANTS, Integer.getInteger("bench.baseline-grants", 200));
        ExecutorService pool = Executors.newFixedThreadPool(16);
        List<Future<String>> made = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            made.add(pool.submit(() -> {
                String created = post(
                        "/api/v1/requests",
                        requester,
                        "{\"target\":\"prod-db\",\"login\":\"app_readonly\",\"durationMinutes\":60}");
                int at = created.indexOf("\"id\":\"") + 6;
                String id = created.substring(at, at + 36);
                post("/api/v1/requests/" + id + "/approve", approver, "{}");
                return id;
            }));
        }
        Map<String, Instant> releasedAt = new ConcurrentHashMap<>();
        List<Future<?>> releases = new ArrayList<>();
        for (Future<String> f : made) {
            String id = f.get(10, TimeUnit.MINUTES);
            releases.add(pool.submit(() -> {
                releasedAt.put(id, Instant.now());
                return post("/api/v1/requests/" + id + "/release", requester, "{}");
            }));
        }
        for (Future<?> f : releases) {
            f.get(10, TimeUnit.MINUTES);
        }
        pool.shutdown();
        Instant deadline = Instant.now().plusSeconds(60);
        while (!received.keySet().containsAll(releasedAt.keySet())
                && Instant.now().isBefore(deadline)) {
            Thread.sleep(100);
        }
        List<Long> delays = new ArrayList<>();
        releasedAt.forEach((id, at) -> {
            Instant got = received.get(id);
            if (got != null) {
                delays.add(Duration.between(at, got).toMillis());
            }
        });
        Collections.sort(delays);
        return delays;
    }

    private static long pct(List<Long> sorted, int p) {
        if (sorted.isEmpty()) return -1;
        return sorted.get(Math.max(0, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
    }

    private String post(String path, String token, String body) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                        .header("Authorization", "Bearer " + token)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() >= 300) {
            throw new IllegalStateException(r.statusCode() + " " + r.body());
        }
        return r.body();
    }
}
