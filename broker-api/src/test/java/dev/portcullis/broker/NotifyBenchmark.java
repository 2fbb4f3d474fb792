package dev.portcullis.broker;

import dev.portcullis.broker.siem.SiemSinksEnvironment;
import dev.portcullis.local.BenchmarkFigures;
import dev.portcullis.local.LocalSmtp;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
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
 * Notifications and the SIEM stream under load (deploy/bench/notify.sh runs it twice, with both off and then on):
 * workflow flows/s through the same flow driver as {@link WorkflowBenchmark}, and, with notifications on, the time from
 * a request's create call to its mail to an approver arriving at the SMTP server, flows started at a fixed rate.
 * Not part of the test suite (tag "benchmark").
 */
@QuarkusTest
@QuarkusTestResource(BrokerTestEnvironment.class)
@QuarkusTestResource(value = NotifyBenchmark.SiemWhenOn.class, restrictToAnnotatedClass = true)
@io.quarkus.test.junit.TestProfile(WorkflowBenchmark.ProductionSchedules.class)
@Tag("benchmark")
class NotifyBenchmark {

    /** The SIEM stream's three sinks (rsyslog over TLS, HEC, _bulk) in the "on" run only, at production timing. */
    public static class SiemWhenOn extends SiemSinksEnvironment {
        @Override
        public synchronized Map<String, String> start() {
            return "on".equals(MODE) ? super.start() : Map.of();
        }
    }

    private static final String MODE = System.getProperty("bench.mode", "on");
    private static final int FLOWS = Integer.getInteger("bench.flows", 4000);
    private static final int WARMUP = Integer.getInteger("bench.warmup", 2500);
    private static final int RATE = Integer.getInteger("bench.rate", 200);
    private static final int PACED = Integer.getInteger("bench.paced-flows", 4000);
    private static final Pattern REQUEST = Pattern.compile("request=([0-9a-f-]{36})");

    @ConfigProperty(name = "quarkus.http.test-port")
    int port;

    @Test
    void measure() throws Exception {
        String alice = Api.token("alice");
        List<String> approvers = List.of(Api.token("bob"), Api.token("carol"));
        String web =
                "{\"target\":\"prod-web-1\",\"login\":\"ubuntu\",\"durationMinutes\":60,\"reason\":\"bench\",\"ticket\":\"INC-1\"}";
        Path out = Path.of(System.getProperty("bench.output", "../docs/benchmarks/notify.md"));
        Path offFile = out.resolveSibling("notify-off.tmp");

        for (int i = 0; i < 2; i++) {
            WorkflowBenchmark.run(port, "warm-up", WARMUP, alice, web, approvers);
        }
        WorkflowBenchmark.Run flows =
                WorkflowBenchmark.run(port, "create + 2 approvals (ssh rule)", FLOWS, alice, web, approvers);
        if ("off".equals(MODE)) {
            Files.createDirectories(out.toAbsolutePath().getParent());
            Files.writeString(offFile, String.format(Locale.ROOT, "%.3f%n", flows.flowsPerSecond()));
            System.out.printf(Locale.ROOT, "notifications off: %.1f flows/s%n", flows.flowsPerSecond());
            return;
        }
        double off = Double.parseDouble(Files.readString(offFile).trim()); // measured by the run just before this one
        Paced paced = paced(alice, web, approvers);
        String settings = System.getProperty("bench.broker-settings", "");
        new BenchmarkFigures("benchmarks/" + out.getFileName())
                .add(
                        "request created to approver notified (SMTP), p99 at " + RATE + " flows/s",
                        paced.notifiedP99(),
                        "ms",
                        "request create call (POST /api/v1/requests), p99, same flows",
                        paced.createP99(),
                        "value<=2000")
                .add(
                        "workflow flows/s with notifications and SIEM stream on / off",
                        flows.flowsPerSecond(),
                        "flows/s",
                        "the same flows with notifications and SIEM stream off, same machine, run just before",
                        off,
                        "ratio>=0.9")
                .writeBeside(out);
        String md = "# Benchmark: notifications\n\n"
                + "Run: `deploy/bench/notify.sh` on " + Instant.now().toString().substring(0, 10) + ". Machine: "
                + WorkflowBenchmark.machine()
                + ". Real broker, Keycloak, PostgreSQL and a real SMTP server (GreenMail, in the "
                + "test JVM) on loopback; notifications on means every rule tells `email` (approvers and requester, addresses "
                + "read from Keycloak when sent) and a Standard Webhooks receiver, and the SIEM stream sends every audit "
                + "row to Debian's rsyslog over TLS and to a Splunk HEC and an OpenSearch _bulk test receiver"
                + (settings.isBlank() ? "" : ", with the broker settings `" + settings + "`") + ".\n\n"
                + "| measure | value |\n| --- | ---: |\n"
                + String.format(
                        Locale.ROOT,
                        "| flows/s, notifications and SIEM on (%d flows, %d clients) | %.0f |%n",
                        FLOWS,
                        Integer.getInteger("bench.clients", 128),
                        flows.flowsPerSecond())
                + String.format(Locale.ROOT, "| flows/s, notifications and SIEM off (run before) | %.0f |%n", off)
                + String.format(
                        Locale.ROOT,
                        "| flows started at %d/s (%d flows): create call to bob's mail at the SMTP server, p50 / p99 ms "
                                + "| %.0f / %.0f |%n",
                        RATE,
                        PACED,
                        paced.notifiedP50(),
                        paced.notifiedP99())
                + String.format(Locale.ROOT, "| same flows: create call, p99 ms | %.0f |%n", paced.createP99())
                + String.format(Locale.ROOT, "| mails not arrived within 60 s | %d |%n", paced.missing());
        Files.writeString(out, md);
        Files.deleteIfExists(offFile);
        System.out.println(md);
    }

    record Paced(double notifiedP50, double notifiedP99, double createP99, int missing) {}

    /** Flows started at RATE per second (open loop); for each, the create call's start to bob's mail arriving. */
    private Paced paced(String alice, String web, List<String> approvers) throws Exception {
        Map<String, Long> created = new ConcurrentHashMap<>();
        Map<String, Long> mailed = new ConcurrentHashMap<>();
        List<Long> createNanos = java.util.Collections.synchronizedList(new ArrayList<>());
        LocalSmtp.shared().onArrival(arrival -> {
            if (arrival.to().equals("bob@example.com")) {
                try {
                    Matcher m = REQUEST.matcher(String.valueOf(arrival.message().getContent()));
                    if (m.find()) {
                        mailed.putIfAbsent(m.group(1), arrival.nanoTime());
                    }
                } catch (Exception e) {
                    // not one of ours
                }
            }
        });
        ExecutorService pool = Executors.newFixedThreadPool(256);
        long start = System.nanoTime();
        long interval = 1_000_000_000L / RATE;
        List<Future<?>> flows = new ArrayList<>();
        for (int i = 0; i < PACED; i++) {
            long due = start + i * interval;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            flows.add(pool.submit(() -> {
                try (BenchHttp http = new BenchHttp(port)) {
                    long t0 = System.nanoTime();
                    BenchHttp.Response response = http.post("/api/v1/requests", alice, web);
                    createNanos.add(System.nanoTime() - t0);
                    WorkflowBenchmark.check(response, 201);
                    int at = response.body().indexOf("\"id\":\"") + 6;
                    String id = response.body().substring(at, at + 36);
                    created.put(id, t0);
                    for (String approver : approvers) {
                        WorkflowBenchmark.check(http.post("/api/v1/requests/" + id + "/approve", approver, "{}"), 200);
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : flows) {
            f.get(10, TimeUnit.MINUTES);
        }
        pool.shutdown();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!mailed.keySet().containsAll(created.keySet()) && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        LocalSmtp.shared().onArrival(null);
        List<Long> latencies = new ArrayList<>();
        int missing = 0;
        for (Map.Entry<String, Long> c : created.entrySet()) {
            Long arrived = mailed.get(c.getKey());
            if (arrived == null) {
                missing++;
                latencies.add(TimeUnit.SECONDS.toNanos(60)); // counts as the worst case, never dropped
            } else {
                latencies.add(arrived - c.getValue());
            }
        }
        return new Paced(
                WorkflowBenchmark.percentileMillis(latencies, 50),
                WorkflowBenchmark.percentileMillis(latencies, 99),
                WorkflowBenchmark.percentileMillis(createNanos, 99),
                missing);
    }
}
