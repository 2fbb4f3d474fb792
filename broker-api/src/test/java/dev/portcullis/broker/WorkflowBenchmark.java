package dev.portcullis.broker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.broker.identity.KeycloakDirectory;
import dev.portcullis.local.BenchmarkFigures;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Full request/approve flows per second through the real broker, PostgreSQL and Keycloak, and the
 * latency of approve. Not part of the test suite (tag "benchmark"); run by deploy/bench/workflow.sh,
 * which writes the figures to docs/benchmarks/workflow.md.
 */
@QuarkusTest
@QuarkusTestResource(BrokerTestEnvironment.class)
@io.quarkus.test.junit.TestProfile(WorkflowBenchmark.ProductionSchedules.class)
@Tag("benchmark")
class WorkflowBenchmark {

    /**
     * The broker's own schedules as in production: the test profile runs continuous verification every 2 s so tests
     * see revocations quickly, which over the benchmark's thousands of active grants was a sixth of the broker's CPU.
     */
    public static class ProductionSchedules implements io.quarkus.test.junit.QuarkusTestProfile {
        @Override
        public java.util.Map<String, String> getConfigOverrides() {
            // Logs go to a file, as a service's do: on the console of a test they travel through Surefire's pipe to the
            // Maven
            // process, which then spent a third of a core relaying two lines per flow on the very cores being measured.
            // and tokens re-checked against Keycloak as in production (the test profile's 1 s is for the rename tests)
            return java.util.Map.of(
                    "portcullis.verify-interval",
                    "10s",
                    "portcullis.identity.recheck-interval",
                    "10s",
                    "quarkus.log.console.enabled",
                    "false",
                    "quarkus.log.file.enabled",
                    "true",
                    "quarkus.log.file.path",
                    "target/workflow-benchmark.log");
        }
    }

    /**
     * Closed-loop clients: each waits for its flow's answers before the next flow. An approval waits for a Keycloak read
     * that starts after it arrives (reads of a group start at most every 100 ms), and an activation for its trigger batch,
     * so a flow with two approvals takes about half a second under load, and 200 flows/s means some 100 flows in flight
     * (Little's law): 16 clients measured their own round trips, not what the broker can take.
     */
    private static final int CLIENTS = Integer.getInteger("bench.clients", 128);
    /** Member-list reads straight through the directory (unspaced) before the flows, so Keycloak is measured warm too. */
    private static final int KEYCLOAK_WARMUP = Integer.getInteger("bench.keycloak-warmup", 1500);

    private static final int FLOWS = Integer.getInteger("bench.flows", 4000);
    private static final int WARMUP = Integer.getInteger("bench.warmup", 2500);

    @ConfigProperty(name = "quarkus.http.test-port")
    int port;

    @Inject
    KeycloakDirectory directory;

    /** CPU time used during a run, per process group, from /proc (through ProcessHandle). */
    record Cpu(double broker, double keycloak, double postgres) {
        static Cpu now() {
            long kcPid;
            try {
                kcPid = Long.parseLong(Files.readString(dev.portcullis.local.LocalKeycloak.shared()
                                .home()
                                .resolve("keycloak.pid"))
                        .trim());
            } catch (IOException e) {
                kcPid = -1;
            }
            double broker = cpu(ProcessHandle.current());
            double keycloak = ProcessHandle.of(kcPid)
                    .map(p -> cpu(p)
                            + p.descendants()
                                    .mapToDouble(WorkflowBenchmark::cpu)
                                    .sum())
                    .orElse(0.0);
            double postgres = ProcessHandle.allProcesses()
                    .filter(p ->
                            p.info().command().map(c -> c.endsWith("/postgres")).orElse(false))
                    .mapToDouble(WorkflowBenchmark::cpu)
                    .sum();
            return new Cpu(broker, keycloak, postgres);
        }

        Cpu minus(Cpu before) {
            return new Cpu(broker - before.broker, keycloak - before.keycloak, postgres - before.postgres);
        }
    }

    static double cpu(ProcessHandle p) {
        return p.info().totalCpuDuration().map(d -> d.toNanos() / 1e9).orElse(0.0);
    }

    record Run(String name, int flows, double seconds, List<Long> approveNanos, List<Long> createNanos, Cpu cpu) {
        double flowsPerSecond() {
            return flows / seconds;
        }
    }

    @Test
    void measure() throws Exception {
        String alice = Api.token("alice");
        String bob = Api.token("bob");
        String carol = Api.token("carol");
        String erin = Api.token("erin");
        String web =
                "{\"target\":\"prod-web-1\",\"login\":\"ubuntu\",\"durationMinutes\":60,\"reason\":\"bench\",\"ticket\":\"INC-1\"}";
        String db = "{\"target\":\"prod-db\",\"login\":\"app_readonly\",\"durationMinutes\":60}";

        // A broker runs for days, and so does Keycloak: measure them warm. Keycloak's JIT compiler was still busy
        // through
        // the measured runs when only the flows warmed it (their reads are spaced: a few per second), so the reads the
        // approvals make run first on their own. Then both flows, long enough for the broker's compilers to settle.
        for (int i = 0; i < KEYCLOAK_WARMUP; i++) {
            directory.members(i % 2 == 0 ? "/sre-approvers" : "/dba-approvers");
        }
        for (int i = 0; i < 2; i++) {
            run("warm-up", WARMUP, alice, web, List.of(bob, carol));
            run("warm-up", WARMUP, alice, db, List.of(erin));
        }
        Run twoApprovals = run("create + 2 approvals (ssh rule)", FLOWS, alice, web, List.of(bob, carol));
        Run oneApproval = run("create + 1 approval (db rule)", FLOWS, alice, db, List.of(erin));
        // The baseline, in the same run: as many authenticated calls per flow, by the same clients, to GET /api/v1/me
        // (token check only: no database, no Keycloak admin call), i.e. what the HTTP and token path alone allows.
        bareFlowsPerSecond(WARMUP, 3, alice);
        double bareThree = bareFlowsPerSecond(FLOWS, 3, alice);
        double bareTwo = bareFlowsPerSecond(FLOWS, 2, alice);
        write(List.of(twoApprovals, oneApproval));
        Path out = Path.of(System.getProperty("bench.output", "../docs/benchmarks/workflow.md"));
        new BenchmarkFigures("benchmarks/" + out.getFileName())
                .add(
                        "request + 2 approvals (ssh rule), " + CLIENTS + " clients",
                        twoApprovals.flowsPerSecond(),
                        "flows/s",
                        "3 authenticated GET /api/v1/me per flow, same clients",
                        bareThree,
                        "value>=200")
                .add(
                        "request + 1 approval (db rule), " + CLIENTS + " clients",
                        oneApproval.flowsPerSecond(),
                        "flows/s",
                        "2 authenticated GET /api/v1/me per flow, same clients",
                        bareTwo,
                        "value>=200")
                .writeBeside(out);
    }

    /** Pseudo-flows of {@code calls} sequential GET /api/v1/me per second, with the benchmark's clients. */
    private double bareFlowsPerSecond(int flows, int calls, String token) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
        AtomicInteger next = new AtomicInteger();
        long start = System.nanoTime();
        List<Future<?>> workers = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            workers.add(pool.submit(() -> {
                try (BenchHttp http = new BenchHttp(port)) {
                    while (next.getAndIncrement() < flows) {
                        for (int i = 0; i < calls; i++) {
                            check(http.get("/api/v1/me", token), 200);
                        }
                    }
                }
                return null;
            }));
        }
        for (Future<?> w : workers) {
            w.get(30, TimeUnit.MINUTES);
        }
        pool.shutdown();
        return flows / ((System.nanoTime() - start) / 1e9);
    }

    private Run run(String name, int flows, String requester, String body, List<String> approvers) throws Exception {
        return run(port, name, flows, requester, body, approvers);
    }

    /** The flow driver: closed-loop clients, each creating a request and approving it until it is ACTIVE (NotifyBenchmark too). */
    static Run run(int port, String name, int flows, String requester, String body, List<String> approvers)
            throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
        List<Long> approve = Collections.synchronizedList(new ArrayList<>());
        List<Long> create = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger next = new AtomicInteger();
        Cpu cpuBefore = Cpu.now();
        long start = System.nanoTime();
        List<Future<?>> workers = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            workers.add(pool.submit(() -> {
                try (BenchHttp http = new BenchHttp(port)) {
                    while (next.getAndIncrement() < flows) {
                        long t0 = System.nanoTime();
                        BenchHttp.Response created = http.post("/api/v1/requests", requester, body);
                        create.add(System.nanoTime() - t0);
                        check(created, 201);
                        int at = created.body().indexOf("\"id\":\"") + 6;
                        String id = created.body().substring(at, at + 36);
                        for (String approver : approvers) {
                            long t1 = System.nanoTime();
                            BenchHttp.Response approved =
                                    http.post("/api/v1/requests/" + id + "/approve", approver, "{}");
                            approve.add(System.nanoTime() - t1);
                            check(approved, 200);
                        }
                    }
                }
                return null;
            }));
        }
        for (Future<?> w : workers) {
            w.get(30, TimeUnit.MINUTES);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        pool.shutdown();
        return new Run(name, flows, seconds, approve, create, Cpu.now().minus(cpuBefore));
    }

    static void check(BenchHttp.Response response, int status) {
        if (response.status() != status) {
            throw new AssertionError(response.status() + " " + response.body());
        }
    }

    static double percentileMillis(List<Long> nanos, double p) {
        List<Long> sorted = new ArrayList<>(nanos);
        Collections.sort(sorted);
        int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(index, sorted.size() - 1))) / 1e6;
    }

    private static void write(List<Run> runs) throws IOException {
        Path out = Path.of(System.getProperty("bench.output", "../docs/benchmarks/workflow.md"));
        StringBuilder md = new StringBuilder();
        md.append("# Benchmark: access-request workflow\n\n");
        md.append(
                        "Full flows (create a request, then approve it until it is ACTIVE) through the real broker over HTTP, ")
                .append(
                        "with real Keycloak tokens, a live Keycloak check on every approval (the rule's approver groups' member lists ")
                .append(
                        "with enabled flags, read after the approval arrived; approvals that arrive together share a read, and reads of a group start at most every 100 ms) and ")
                .append(
                        "the real PostgreSQL (hash-chained audit row per transition, a Quartz trigger in the JDBC job store for each grant's end). ")
                .append("Target: >= 200 flows/s. Measured after ")
                .append(4 * WARMUP)
                .append(" warm-up flows of both kinds and ")
                .append(KEYCLOAK_WARMUP)
                .append(" member-list reads (each run's first minutes are Keycloak's and the broker's JIT compiling). ")
                .append("PostgreSQL is a throwaway cluster (fsync off, as in tests).\n\n");
        md.append("Run: `deploy/bench/workflow.sh` on ")
                .append(Instant.now().toString(), 0, 10)
                .append(". Machine: ")
                .append(machine())
                .append(". ")
                .append(CLIENTS)
                .append(
                        " concurrent clients in the broker's JVM (one kept-alive HTTP/1.1 connection each); PostgreSQL, Keycloak ")
                .append("and the broker share the same cores.\n\n");
        md.append(
                        "| flow | flows | seconds | flows/s | approve p50 ms | approve p99 ms | create p50 ms | create p99 ms ")
                .append("| CPU ms per flow: broker (+ clients) | Keycloak | PostgreSQL |\n");
        md.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        for (Run r : runs) {
            md.append(String.format(
                    Locale.ROOT,
                    "| %s | %d | %.1f | %.0f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f |%n",
                    r.name(),
                    r.flows(),
                    r.seconds(),
                    r.flowsPerSecond(),
                    percentileMillis(r.approveNanos(), 50),
                    percentileMillis(r.approveNanos(), 99),
                    percentileMillis(r.createNanos(), 50),
                    percentileMillis(r.createNanos(), 99),
                    1000 * r.cpu().broker() / r.flows(),
                    1000 * r.cpu().keycloak() / r.flows(),
                    1000 * r.cpu().postgres() / r.flows()));
        }
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, md.toString());
        System.out.println(md);
        assertThat(runs).allSatisfy(r -> assertThat(r.flows()).isPositive());
    }

    static String machine() {
        String cpu = "unknown CPU";
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                    .filter(l -> l.startsWith("model name"))
                    .findFirst()
                    .map(l -> l.substring(l.indexOf(':') + 1).trim())
                    .orElse(cpu);
        } catch (IOException ignored) {
            // keep "unknown CPU"
        }
        return Runtime.getRuntime().availableProcessors() + " cores (" + cpu + "), "
                + (Runtime.getRuntime().maxMemory() >> 20) + " MiB max heap, Java "
                + System.getProperty("java.version");
    }
}
