package dev.portcullis.bastion;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.local.BenchmarkFigures;
import dev.portcullis.local.Commands;
import dev.portcullis.recording.event.QueryEvent;
import dev.portcullis.recording.read.RecordingReader;
import dev.portcullis.workflow.port.SessionIndex;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pgbench -S} through the recording database proxy against the same through Debian's pgbouncer in session mode
 * (which records nothing), in one run on the same PostgreSQL server, TLS on both sides (each requires it of its
 * clients; both certificates are self-signed ECDSA P-256, and neither uses TLS to the server, which is on loopback;
 * both log in to it with SCRAM). Three figures, each a TPS ratio: new connections ({@code -C}, a connection per
 * transaction: what tools that connect per command pay), and steady state with the simple and the extended query
 * protocol. Every statement is recorded: the test counts the recorded statements against pgbench's own count. Run by
 * {@code deploy/bench/postgres.sh}.
 */
@Tag("benchmark")
class DatabaseProxyBenchmark {

    private static final int SECONDS = Integer.getInteger("bench.seconds", 20);
    private static final int CLIENTS = Integer.getInteger("bench.clients", 8);
    private static final int CONNECT_CLIENTS = Integer.getInteger("bench.connectClients", 4);
    private static final int ROUNDS = Integer.getInteger("bench.rounds", 2);
    private static final int SCALE = Integer.getInteger("bench.scale", 10);
    private static final Pattern TPS =
            Pattern.compile("tps = ([0-9.]+) \\((?:without initial connection time|including reconnection times)\\)");
    private static final Pattern PROCESSED = Pattern.compile("number of transactions actually processed: ([0-9]+)");

    /** One way of running pgbench, measured through both paths. */
    private record Mode(String figure, String flags, boolean connectEach, String target) {}

    private static final List<Mode> MODES = List.of(
            new Mode("pgbench -S -C through the proxy / pgbouncer, TLS both", "-C -M simple", true, "ratio>=0.5"),
            new Mode("pgbench -S simple through the proxy / pgbouncer, TLS both", "-M simple", false, "ratio>=0.9"),
            new Mode(
                    "pgbench -S extended through the proxy / pgbouncer, TLS both", "-M extended", false, "ratio>=0.9"));

    @Test
    void pgbenchSelectOnlyThroughTheRecordingProxyAgainstPgbouncer(@TempDir Path dir) throws Exception {
        try (DatabaseFixture f = new DatabaseFixture(dir, true)) {
            f.pg.sql(
                    "orders",
                    "drop table if exists pgbench_accounts, pgbench_branches, pgbench_tellers, pgbench_history");
            Commands.Result init = Commands.run(
                    List.of(
                            f.pg.binDir().resolve("pgbench").toString(),
                            "-i",
                            "-q",
                            "-s",
                            String.valueOf(SCALE),
                            "-h",
                            "127.0.0.1",
                            "-p",
                            String.valueOf(f.pg.port()),
                            "-U",
                            f.pg.superuser(),
                            "orders"),
                    null,
                    Duration.ofMinutes(10),
                    Map.of("PGPASSWORD", f.pg.password()));
            assertThat(init.exit()).as(init.err()).isZero();
            f.pg.sql(
                    "orders",
                    "grant select on pgbench_accounts, pgbench_branches, pgbench_tellers to "
                            + DatabaseFixture.WRITE_ROLE);
            f.grant("alice", DatabaseFixture.WRITE_ROLE, Duration.ofHours(4));
            String credential = f.credential("alice");
            String password = f.rolePasswords.get(DatabaseFixture.WRITE_ROLE);
            try (Pgbouncer bouncer =
                    Pgbouncer.start(dir.resolve("pgbouncer"), f.pg.port(), DatabaseFixture.WRITE_ROLE, password)) {
                StringBuilder md = new StringBuilder();
                md.append("# PostgreSQL proxy benchmark\n\n")
                        .append("Run by `deploy/bench/postgres.sh` (JUnit `DatabaseProxyBenchmark`, tag `benchmark`). ")
                        .append(String.format(Locale.ROOT, "`pgbench -S -n` (scale %d) ", SCALE))
                        .append("against PostgreSQL 15 on loopback, ")
                        .append("once through Debian's pgbouncer in session mode ")
                        .append("(records nothing) and once through the ")
                        .append("Portcullis database proxy in the benchmark's JVM with ")
                        .append("every statement recorded (hash-chained ")
                        .append("chunks, signed manifest), alternating, ")
                        .append(ROUNDS)
                        .append(" rounds of ")
                        .append(SECONDS)
                        .append(" s each after a warm-up. ")
                        .append("**TLS on both sides**: pgbench connects with ")
                        .append("`sslmode=require` and each of the two requires ")
                        .append("TLS of its clients (`client_tls_sslmode = require` in ")
                        .append("pgbouncer; a self-signed ECDSA P-256 ")
                        .append("certificate each); neither uses TLS to the server, and ")
                        .append("both log in to it with SCRAM-SHA-256 ")
                        .append("and keep server connections between clients ")
                        .append("(pgbouncer's pool; the proxy's `UpstreamPool`, ")
                        .append("reset with `DISCARD ALL` and checked). ")
                        .append("All processes share ")
                        .append("")
                        .append(Runtime.getRuntime().availableProcessors())
                        .append(" cores: ")
                        .append(BastionBenchmark.machine())
                        .append(".\n\n");
                BenchmarkFigures figures = new BenchmarkFigures("benchmarks/postgres.md");
                for (Mode mode : MODES) {
                    if (!mode.figure().contains(System.getProperty("bench.only", ""))) {
                        continue; // a developer's partial run; the script runs every mode
                    }
                    int clients = mode.connectEach() ? CONNECT_CLIENTS : CLIENTS;
                    // warm both paths (JIT, caches, connections), then alternate
                    pgbench(f, mode, clients, bouncer.port(), password, 3);
                    pgbench(f, mode, clients, f.port(), credential, 3);
                    int sessionsBefore = f.index.opened.size();
                    List<double[]> bouncerRuns = new ArrayList<>();
                    List<double[]> proxyRuns = new ArrayList<>();
                    long bouncerCpu = 0;
                    long proxyCpu = 0;
                    for (int round = 0; round < ROUNDS; round++) {
                        long before = cpuMillis(bouncer.pid());
                        bouncerRuns.add(pgbench(f, mode, clients, bouncer.port(), password, SECONDS));
                        bouncerCpu += cpuMillis(bouncer.pid()) - before;
                        before = cpuMillis(ProcessHandle.current().pid());
                        proxyRuns.add(pgbench(f, mode, clients, f.port(), credential, SECONDS));
                        proxyCpu += cpuMillis(ProcessHandle.current().pid()) - before;
                    }
                    long bouncerTransactions =
                            bouncerRuns.stream().mapToLong(r -> (long) r[1]).sum();
                    double bouncerTps = bouncerRuns.stream()
                            .mapToDouble(r -> r[0])
                            .average()
                            .orElseThrow();
                    double proxyTps =
                            proxyRuns.stream().mapToDouble(r -> r[0]).average().orElseThrow();
                    long proxyTransactions =
                            proxyRuns.stream().mapToLong(r -> (long) r[1]).sum();

                    // every statement of the measured proxy runs is in a recording
                    List<SessionIndex.Opened> measured =
                            List.copyOf(f.index.opened.subList(sessionsBefore, f.index.opened.size()));
                    long recorded = recorded(f, measured);
                    assertThat(recorded).as("recorded statements").isGreaterThanOrEqualTo(proxyTransactions);

                    double ratio = proxyTps / bouncerTps;
                    md.append("## ")
                            .append(mode.figure())
                            .append("\n\n")
                            .append(String.format(
                                    Locale.ROOT,
                                    "`pgbench -S -n %s -c %d -j 2 -T %d`%s.%n%n",
                                    mode.flags(),
                                    clients,
                                    SECONDS,
                                    mode.connectEach()
                                            ? " (a new connection, TLS and login for every transaction)"
                                            : ""))
                            .append("| path | TPS per round | mean TPS |\n| --- | --- | ---: |\n")
                            .append(row("pgbouncer, session mode, client TLS required", bouncerRuns, bouncerTps))
                            .append(row(
                                    "Portcullis proxy, client TLS required, every statement recorded",
                                    proxyRuns,
                                    proxyTps))
                            .append(String.format(
                                    Locale.ROOT,
                                    "%nProxy / pgbouncer: **%.2f** (target %s).%n%n",
                                    ratio,
                                    mode.target()))
                            .append(String.format(
                                    Locale.ROOT,
                                    "CPU per transaction (user + system, "
                                            + "from /proc): pgbouncer %.1f µs, the proxy's JVM %.1f µs (TLS, relay, "
                                            + "recording and everything else the JVM did meanwhile).%n%n",
                                    bouncerCpu * 1000.0 / bouncerTransactions,
                                    proxyCpu * 1000.0 / proxyTransactions))
                            .append(String.format(
                                    Locale.ROOT,
                                    "Recorded: %d `query` events in %d session "
                                            + "recordings for the %d transactions pgbench reports for the measured proxy "
                                            + "runs.%n%n",
                                    recorded,
                                    measured.size(),
                                    proxyTransactions));
                    figures.add(
                            mode.figure(),
                            proxyTps,
                            "TPS",
                            "pgbouncer, session mode, client TLS required (records nothing)",
                            bouncerTps,
                            mode.target());
                }
                md.append(String.format(
                        Locale.ROOT,
                        "Server connections the proxy kept idle at the end: %d.%n",
                        f.bastion.databaseProxy().pooledConnections()));
                String out = System.getProperty("bench.output");
                if (out != null) {
                    Files.writeString(Path.of(out), md.toString());
                    figures.writeBeside(Path.of(out));
                }
                System.out.println(md);
            }
        }
    }

    /** The statements pgbench ran that are in the sessions' recordings. */
    private static long recorded(DatabaseFixture f, List<SessionIndex.Opened> sessions) throws Exception {
        long recorded = 0;
        for (SessionIndex.Opened session : sessions) {
            awaitClosed(f, session);
            try (var events =
                    RecordingReader.open(f.storage, session.recordingId()).events()) {
                recorded += events.map(e -> e.event())
                        .filter(e -> e instanceof QueryEvent q && q.query().startsWith("SELECT abalance"))
                        .count();
            }
        }
        return recorded;
    }

    private static String row(String name, List<double[]> runs, double mean) {
        StringBuilder each = new StringBuilder();
        for (double[] r : runs) {
            each.append(each.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.0f", r[0]));
        }
        return String.format(Locale.ROOT, "| %s | %s | %.0f |%n", name, each, mean);
    }

    /** @return {tps, transactions} */
    private static double[] pgbench(DatabaseFixture f, Mode mode, int clients, int port, String password, int seconds)
            throws IOException {
        List<String> cmd =
                new ArrayList<>(List.of(f.pg.binDir().resolve("pgbench").toString(), "-S", "-n"));
        cmd.addAll(List.of(mode.flags().split(" ")));
        cmd.addAll(List.of(
                "-c",
                String.valueOf(clients),
                "-j",
                "2",
                "-T",
                String.valueOf(seconds),
                "host=127.0.0.1 port=" + port + " dbname=" + DatabaseFixture.TARGET + " user="
                        + DatabaseFixture.WRITE_ROLE + " sslmode=require connect_timeout=10"));
        Commands.Result r = Commands.run(cmd, null, Duration.ofSeconds(seconds + 120), Map.of("PGPASSWORD", password));
        Matcher tps = TPS.matcher(r.out());
        Matcher processed = PROCESSED.matcher(r.out());
        if (r.exit() != 0 || !tps.find() || !processed.find()) {
            throw new IOException("pgbench failed (exit " + r.exit() + "): " + r.out() + r.err());
        }
        return new double[] {Double.parseDouble(tps.group(1)), Double.parseDouble(processed.group(1))};
    }

    /** User + system CPU time of a process so far, in milliseconds (clock ticks of /proc/PID/stat). */
    private static long cpuMillis(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
        return ticks * 10; // USER_HZ is 100 on Linux
    }

    private static void awaitClosed(DatabaseFixture f, SessionIndex.Opened session) throws InterruptedException {
        for (int i = 0; i < 400 && !f.index.closed.containsKey(session.sessionId()); i++) {
            Thread.sleep(50);
        }
        assertThat(f.index.closed).containsKey(session.sessionId());
    }

    /** Debian's pgbouncer on a free loopback port, in session mode, run as the postgres user when this is root. */
    static final class Pgbouncer implements AutoCloseable {
        private final Path dir;
        private final int port;

        private Pgbouncer(Path dir, int port) {
            this.dir = dir;
            this.port = port;
        }

        static Pgbouncer start(Path dir, int serverPort, String role, String password)
                throws IOException, InterruptedException {
            Files.createDirectories(dir);
            int port;
            try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                port = s.getLocalPort();
            }
            Files.writeString(dir.resolve("userlist.txt"), "\"" + role + "\" \"" + password + "\"\n");
            // the same kind of certificate as the proxy's self-signed one: ECDSA P-256
            Commands.Result cert = Commands.run(List.of(
                    "openssl",
                    "req",
                    "-x509",
                    "-newkey",
                    "ec",
                    "-pkeyopt",
                    "ec_paramgen_curve:prime256v1",
                    "-nodes",
                    "-days",
                    "2",
                    "-subj",
                    "/CN=pgbouncer-bench",
                    "-keyout",
                    dir.resolve("tls.key").toString(),
                    "-out",
                    dir.resolve("tls.crt").toString()));
            if (cert.exit() != 0) {
                throw new IOException("openssl could not make pgbouncer's certificate: " + cert.err());
            }
            Files.writeString(dir.resolve("pgbouncer.ini"), """
                    [databases]
                    %s = host=127.0.0.1 port=%d dbname=orders
                    [pgbouncer]
                    listen_addr = 127.0.0.1
                    listen_port = %d
                    unix_socket_dir =
                    auth_type = scram-sha-256
                    auth_file = %s
                    pool_mode = session
                    max_client_conn = 200
                    default_pool_size = 50
                    client_tls_sslmode = require
                    client_tls_key_file = %s
                    client_tls_cert_file = %s
                    logfile = %s
                    pidfile = %s
                    """.formatted(
                            DatabaseFixture.TARGET,
                            serverPort,
                            port,
                            dir.resolve("userlist.txt"),
                            dir.resolve("tls.key"),
                            dir.resolve("tls.crt"),
                            dir.resolve("pgbouncer.log"),
                            dir.resolve("pgbouncer.pid")));
            boolean root = "root".equals(System.getProperty("user.name"));
            List<String> cmd = new ArrayList<>();
            if (root) {
                // pgbouncer refuses to run as root; its files must be the postgres user's
                Commands.run(List.of("chown", "-R", "postgres", dir.toString()));
                for (Path p = dir; p != null; p = p.getParent()) {
                    if (p.startsWith(Path.of(System.getProperty("java.io.tmpdir")))
                            && !p.equals(Path.of(System.getProperty("java.io.tmpdir")))) {
                        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
                    }
                }
                cmd.addAll(List.of("runuser", "-u", "postgres", "--"));
            }
            cmd.addAll(List.of(
                    "/usr/sbin/pgbouncer", "-d", dir.resolve("pgbouncer.ini").toString()));
            Commands.Result r = Commands.run(cmd);
            if (r.exit() != 0) {
                throw new IOException("pgbouncer did not start: " + r.err() + r.out());
            }
            for (int i = 0; i < 100; i++) {
                try (var s = new java.net.Socket("127.0.0.1", port)) {
                    return new Pgbouncer(dir, port);
                } catch (IOException e) {
                    Thread.sleep(100);
                }
            }
            throw new IOException(
                    "pgbouncer is not listening on " + port + ": " + Files.readString(dir.resolve("pgbouncer.log")));
        }

        int port() {
            return port;
        }

        long pid() throws IOException {
            return Long.parseLong(Files.readString(dir.resolve("pgbouncer.pid")).strip());
        }

        @Override
        public void close() throws IOException {
            Path pid = dir.resolve("pgbouncer.pid");
            if (Files.exists(pid)) {
                Commands.run(List.of("kill", Files.readString(pid).strip()));
            }
        }
    }
}
