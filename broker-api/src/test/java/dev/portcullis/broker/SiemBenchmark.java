package dev.portcullis.broker;

import dev.portcullis.broker.siem.SiemSinksEnvironment;
import dev.portcullis.local.BenchmarkFigures;
import dev.portcullis.local.SiemHttpReceiver;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * From an audit row to each SIEM sink having it, with the workflow driven at a fixed rate (200 flows/s by default) by
 * WorkflowBenchmark's flow (create a request, two approvals, over kept-alive HTTP with real tokens). Rows are timed from
 * their {@code at} (stamped in the transaction, just before its commit) to their arrival: rsyslog's receive time, the
 * HTTP receiver's clock. Baseline in the same run: the create call's HTTP round trip, p99, of the same flows. Not part of
 * the suite (tag "benchmark"); run by deploy/bench/siem.sh.
 */
@QuarkusTest
@QuarkusTestResource(BrokerTestEnvironment.class)
@QuarkusTestResource(value = SiemSinksEnvironment.class, restrictToAnnotatedClass = true)
@io.quarkus.test.junit.TestProfile(WorkflowBenchmark.ProductionSchedules.class)
@Tag("benchmark")
class SiemBenchmark {

    private static final double RATE = Double.parseDouble(System.getProperty("bench.rate", "200"));
    private static final int SECONDS = Integer.getInteger("bench.seconds", 60);
    private static final int WARMUP_SECONDS = Integer.getInteger("bench.warmup-seconds", 30);
    private static final int CLIENTS = Integer.getInteger("bench.clients", 256);
    private static final String FIGURE = "audit row committed to SIEM sink, p99 at 200 flows/s";

    @ConfigProperty(name = "quarkus.http.test-port")
    int port;

    @Inject
    DataSource db;

    record Paced(int flows, double seconds, List<Long> createNanos, long firstSeq, long lastSeq) {}

    @Test
    void measure() throws Exception {
        String alice = Api.token("alice");
        List<String> approvers = List.of(Api.token("bob"), Api.token("carol"));
        String body =
                "{\"target\":\"prod-web-1\",\"login\":\"ubuntu\",\"durationMinutes\":60,\"reason\":\"bench\",\"ticket\":\"INC-1\"}";
        paced(WARMUP_SECONDS, alice, body, approvers);
        Paced run = paced(SECONDS, alice, body, approvers);
        Map<String, List<Long>> latencies = latencies(run);
        double create99 = percentile(run.createNanos(), 99) / 1e6;
        double worst = 0;
        StringBuilder md = new StringBuilder("# Benchmark: SIEM stream\n\n")
                .append("The workflow (create a request, two approvals: WorkflowBenchmark's flow) paced at ")
                .append(fmt(RATE))
                .append(" flows/s for ")
                .append(SECONDS)
                .append(" s after ")
                .append(WARMUP_SECONDS)
                .append(" s of warm-up, ")
                .append(CLIENTS)
                .append(" clients; the broker streams every audit row to ")
                .append(
                        "Debian's rsyslog over TLS, and to a Splunk HEC and an OpenSearch _bulk test receiver (JDK HttpServer) ")
                .append(
                        "on loopback, production poll interval. Latency: the row's `at` (stamped inside its transaction, just before ")
                .append(
                        "the commit) to rsyslog's receive time (`%timegenerated%`) or the HTTP receiver's clock. Baseline in the same ")
                .append("run: the create call's round trip, p99.\n\n")
                .append("Run: `deploy/bench/siem.sh` on ")
                .append(Instant.now().toString(), 0, 10)
                .append(". Achieved: ")
                .append(run.flows())
                .append(" flows in ")
                .append(fmt(run.seconds()))
                .append(" s = ")
                .append(fmt(run.flows() / run.seconds()))
                .append(" flows/s, audit rows ")
                .append(run.firstSeq())
                .append(" to ")
                .append(run.lastSeq())
                .append(".\n\n| sink | rows | p50 ms | p99 ms | max ms |\n| --- | ---: | ---: | ---: | ---: |\n");
        for (var sink : latencies.entrySet()) {
            List<Long> ms = sink.getValue();
            double p99 = percentile(ms, 99);
            worst = Math.max(worst, p99);
            md.append("| ")
                    .append(sink.getKey())
                    .append(" | ")
                    .append(ms.size())
                    .append(" | ")
                    .append(fmt(percentile(ms, 50)))
                    .append(" | ")
                    .append(fmt(p99))
                    .append(" | ")
                    .append(fmt(percentile(ms, 100)))
                    .append(" |\n");
        }
        md.append("\nCreate call round trip: p50 ")
                .append(fmt(percentile(run.createNanos(), 50) / 1e6))
                .append(" ms, p99 ")
                .append(fmt(create99))
                .append(" ms.\n");
        Path out = Path.of(System.getProperty("bench.output", "../docs/benchmarks/siem.md"));
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, md.toString());
        System.out.println(md);
        new BenchmarkFigures("benchmarks/" + out.getFileName())
                .add(
                        FIGURE,
                        worst,
                        "ms",
                        "create request HTTP round trip p99, same flows",
                        Math.max(create99, 0.001),
                        "value<=5000")
                .writeBeside(out);
    }

    /** Flows started at a fixed rate (open loop), whatever the answers take; waits for all of them to end. */
    private Paced paced(int seconds, String requester, String body, List<String> approvers) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
        ThreadLocal<BenchHttp> http = ThreadLocal.withInitial(() -> {
            try {
                return new BenchHttp(port);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        List<Long> create = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger failures = new AtomicInteger();
        long firstSeq = head() + 1;
        int total = (int) Math.round(RATE * seconds);
        long start = System.nanoTime();
        for (int i = 0; i < total; i++) {
            long due = start + (long) (i * 1e9 / RATE);
            long wait = due - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            pool.submit(() -> {
                try {
                    BenchHttp client = http.get();
                    long t0 = System.nanoTime();
                    BenchHttp.Response created = client.post("/api/v1/requests", requester, body);
                    create.add(System.nanoTime() - t0);
                    if (created.status() != 201) {
                        throw new IllegalStateException(created.status() + " " + created.body());
                    }
                    int at = created.body().indexOf("\"id\":\"") + 6;
                    String id = created.body().substring(at, at + 36);
                    for (String approver : approvers) {
                        BenchHttp.Response approved =
                                client.post("/api/v1/requests/" + id + "/approve", approver, "{}");
                        if (approved.status() != 200) {
                            throw new IllegalStateException(approved.status() + " " + approved.body());
                        }
                    }
                } catch (Exception e) {
                    if (failures.getAndIncrement() == 0) {
                        System.err.println("a flow failed: " + e.getMessage());
                    }
                }
            });
        }
        pool.shutdown();
        if (!pool.awaitTermination(30, TimeUnit.MINUTES)) {
            throw new IllegalStateException("flows did not end");
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        if (failures.get() > 0) {
            throw new AssertionError(failures.get() + " flows failed");
        }
        return new Paced(total, elapsed, create, firstSeq, head());
    }

    /** Per sink, ms from each row's at to its first arrival, for the rows of the run; waits (bounded) for the last. */
    private Map<String, List<Long>> latencies(Paced run) throws Exception {
        Map<Long, Instant> at = new ConcurrentHashMap<>();
        try (var c = db.getConnection();
                var s = c.prepareStatement("select id, at from audit_log where id between ? and ?")) {
            s.setLong(1, run.firstSeq());
            s.setLong(2, run.lastSeq());
            try (var rs = s.executeQuery()) {
                while (rs.next()) {
                    at.put(rs.getLong(1), rs.getObject(2, OffsetDateTime.class).toInstant());
                }
            }
        }
        Map<String, Map<Long, Long>> arrived = new java.util.TreeMap<>();
        long deadline = System.currentTimeMillis() + 600_000;
        for (String sink : List.of("syslog", "hec", "bulk")) {
            Map<Long, Long> first = new java.util.HashMap<>();
            while (true) {
                first.clear();
                if (sink.equals("syslog")) {
                    for (String line : SiemSinksEnvironment.rsyslog().received()) {
                        int q = line.indexOf(" seq=\"");
                        long seq = Long.parseLong(line.substring(q + 6, line.indexOf('"', q + 6)));
                        long ms = OffsetDateTime.parse(line.substring(0, line.indexOf(' ')))
                                .toInstant()
                                .toEpochMilli();
                        first.putIfAbsent(seq, ms);
                    }
                } else {
                    for (SiemHttpReceiver.Received r :
                            SiemSinksEnvironment.http().received(sink)) {
                        first.putIfAbsent(r.seq(), r.arrivedAtMillis());
                    }
                }
                if (first.containsKey(run.lastSeq()) || System.currentTimeMillis() > deadline) {
                    break;
                }
                Thread.sleep(200);
            }
            arrived.put(sink, new java.util.HashMap<>(first));
        }
        Map<String, List<Long>> latencies = new java.util.TreeMap<>();
        for (var sink : arrived.entrySet()) {
            List<Long> ms = new ArrayList<>();
            for (var row : at.entrySet()) {
                Long when = sink.getValue().get(row.getKey());
                if (when == null) {
                    throw new AssertionError("row " + row.getKey() + " never reached " + sink.getKey());
                }
                ms.add(when - row.getValue().toEpochMilli());
            }
            latencies.put(sink.getKey(), ms);
        }
        return latencies;
    }

    private long head() throws Exception {
        try (var c = db.getConnection();
                var s = c.createStatement();
                var rs = s.executeQuery("select last_id from audit_head")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static double percentile(List<Long> values, double p) {
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(index, sorted.size() - 1)));
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }
}
