package dev.portcullis.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.local.BenchmarkFigures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * How long {@code portcullis status} takes, wall time, from the launcher's start to its exit, warm (class-data
 * archive written, files cached, a valid access token: no refresh), against a real broker on loopback; the baseline is
 * {@code java -version} in the same run, the least any Java command costs here. Run by deploy/bench/cli.sh.
 */
@Tag("benchmark")
class CliStartupBenchmark {

    private static final int RUNS = Integer.getInteger("bench.runs", 20);
    private static final Path LAUNCHER =
            Path.of("..", "cli", "bin", "portcullis").toAbsolutePath().normalize();

    @Test
    void statusWallTimeWarm() throws Exception {
        try (SystemStack stack = SystemStack.prepare("cli-bench")) {
            stack.startBroker("cli_bench", """
                    version: 1
                    targets:
                      - {name: prod-web-1, kind: ssh, host: 127.0.0.1, port: %d}
                    rules:
                      - name: engineers-prod-ssh
                        requesters: [engineers]
                        targets: [prod-web-1]
                        logins: [ubuntu]
                        maxDuration: 4h
                        approvals: {required: 1, from: [sre-approvers]}
                    """.formatted(stack.target.port()), Map.of());
            Path home = Files.createDirectories(stack.work.resolve("home"));
            Path config = Files.createDirectories(home.resolve(".config/portcullis"));
            // the sign-in portcullis login leaves, with a fresh token (the benchmark measures status, not the browser)
            Runnable signIn = () -> write(
                    config.resolve("session.json"),
                    "{\"broker\":\"" + stack.broker.url() + "\",\"issuer\":\""
                            + stack.keycloak.issuerUrl() + "\",\"clientId\":\"portcullis-cli\",\"accessToken\":\""
                            + stack.keycloak.accessToken("alice") + "\",\"accessExpiresAt\":"
                            + (Instant.now().getEpochSecond() + 240) + "}");
            signIn.run();
            List<String> status = List.of(LAUNCHER.toString(), "status");
            List<String> bare = List.of(
                    "java",
                    "-cp",
                    LAUNCHER.resolveSibling("../target/portcullis.jar")
                            .normalize()
                            .toString(),
                    "dev.portcullis.cli.Main",
                    "status");
            List<String> javaVersion = List.of("java", "-version");
            for (int i = 0; i < 3; i++) { // the first run writes the class-data archive; then warm the file cache
                run(status, home);
                run(javaVersion, home);
            }
            signIn.run();
            double[] cli = times(status, home);
            double[] baseline = times(javaVersion, home);
            signIn.run();
            double[] plain = times(bare, home);

            double median = median(cli);
            double baselineMedian = median(baseline);
            Path out = Path.of(System.getProperty("bench.output", "../docs/benchmarks/cli.md"));
            Files.createDirectories(out.toAbsolutePath().getParent());
            Files.writeString(out, """
                    # portcullis command: start-up

                    Run: `deploy/bench/cli.sh` on %s. Machine: %s.

                    Wall time from starting the command to its exit, %d runs each after 3 warm-up runs, against a broker
                    process on loopback (PostgreSQL and Keycloak on this machine), signed in as alice with a valid access
                    token (no refresh). `portcullis status` lists her requests: one HTTP call to `GET /api/v1/requests`.

                    | command | median ms | p90 ms | min ms |
                    | --- | --- | --- | --- |
                    | `cli/bin/portcullis status` (class-data archive, C1 only, serial GC) | %.0f | %.0f | %.0f |
                    | `java -cp portcullis.jar ... status` (no launcher flags, JDK default CDS only) | %.0f | %.0f | %.0f |
                    | `java -version` (baseline) | %.0f | %.0f | %.0f |

                    The launcher maps the classes the command loaded on its first run (`-XX:SharedArchiveFile`, written with
                    `-XX:ArchiveClassesAtExit` beside the jar), stops at the client compiler (`-XX:TieredStopAtLevel=1`) and
                    uses the serial collector; the command loads picocli, jackson-jr and JDK classes, and talks HTTP through
                    `HttpURLConnection` (the JDK's newer `HttpClient` took longer to build than the call itself).
                    """.formatted(
                            Instant.now().toString().substring(0, 10),
                            machine(),
                            RUNS,
                            median,
                            percentile(cli, 0.9),
                            cli[0],
                            median(plain),
                            percentile(plain, 0.9),
                            plain[0],
                            baselineMedian,
                            percentile(baseline, 0.9),
                            baseline[0]));
            new BenchmarkFigures("benchmarks/" + out.getFileName())
                    .add(
                            "portcullis status, wall time, warm",
                            Math.round(median),
                            "ms",
                            "java -version, wall time, same machine",
                            Math.max(1, Math.round(baselineMedian)),
                            "value<=500")
                    .writeBeside(out);
            System.out.println(Files.readString(out));
        }
    }

    private static double[] times(List<String> command, Path home) throws Exception {
        double[] ms = new double[RUNS];
        for (int i = 0; i < RUNS; i++) {
            long start = System.nanoTime();
            run(command, home);
            ms[i] = (System.nanoTime() - start) / 1e6;
        }
        Arrays.sort(ms);
        return ms;
    }

    private static void run(List<String> command, Path home) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("HOME", home.toString());
        pb.environment().remove("PORTCULLIS_CONFIG_DIR");
        pb.environment().remove("XDG_CONFIG_HOME");
        Process p = pb.start();
        String said = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(command + ": " + said).isZero();
    }

    private static double median(double[] sorted) {
        return percentile(sorted, 0.5);
    }

    private static double percentile(double[] sorted, double q) {
        return sorted[(int) Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    }

    private static void write(Path file, String text) {
        try {
            Files.writeString(file, text);
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String machine() {
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
        return Runtime.getRuntime().availableProcessors() + " cores (" + cpu + "), Java "
                + System.getProperty("java.version");
    }
}
