package dev.portcullis.deploy;

import dev.portcullis.local.BenchmarkFigures;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * How long the session index says OPEN after a bastion process is killed (SIGKILL) while carrying a session, until
 * the broker marks it ABORTED, with the broker's default lease settings; against a clean end in the same run (the
 * client goes away, the bastion reports CLOSED). Run by {@code deploy/bench/bastion-lost.sh}; figures go to the file
 * named by {@code bench.output}.
 */
@Tag("benchmark")
class BastionLostBenchmark {

    private static final int ROUNDS = Integer.getInteger("bench.rounds", 3);

    @Test
    void bastionKilledToItsSessionsMarkedAborted() throws Exception {
        List<Double> clean = new ArrayList<>();
        List<Double> killed = new ArrayList<>();
        // the broker's defaults (lease 15 s, swept every 5 s): what an operator gets
        try (LostBastionScenario s = LostBastionScenario.start("bastion-lost-bench", "bastion_lost_bench", Map.of())) {
            for (int round = 0; round < ROUNDS; round++) {
                LostBastionScenario.Held ending = s.hold();
                long start = System.nanoTime();
                ending.client().destroyForcibly();
                s.awaitStatus(ending.session(), "CLOSED", Duration.ofSeconds(60));
                clean.add((System.nanoTime() - start) / 1e6);

                String lost = s.holdSession();
                start = System.nanoTime();
                s.stack.bastion.kill();
                s.awaitStatus(lost, "ABORTED", Duration.ofSeconds(120));
                killed.add((System.nanoTime() - start) / 1e6);
                s.stack.startBastion("");
            }
        }
        double worst = Collections.max(killed);
        double cleanWorst = Collections.max(clean);
        StringBuilder md = new StringBuilder("# A lost bastion's sessions\n\n")
                .append(
                        "A bastion process carrying an SSH session (stock `ssh` running `sleep`) is killed with SIGKILL: no\n")
                .append(
                        "goodbye, no session end reported. The figure is the time from the kill until the broker's session\n")
                .append(
                        "index says ABORTED (the bastion's lease lapsed), polled every 100 ms over the API, with the broker's\n")
                .append(
                        "default lease settings (15 s lease, swept every 5 s: at most 20 s plus a renewal interval by design).\n")
                .append(
                        "Baseline, same run and stack: the ssh client goes away and the bastion reports the session CLOSED.\n\n")
                .append(String.format(
                        Locale.ROOT,
                        "%d rounds on %d cores: %s.%n%n",
                        ROUNDS,
                        Runtime.getRuntime().availableProcessors(),
                        machine()))
                .append(
                        "| round | clean end to CLOSED, ms | bastion killed to ABORTED, ms |\n| ---: | ---: | ---: |\n");
        for (int i = 0; i < ROUNDS; i++) {
            md.append(String.format(Locale.ROOT, "| %d | %.0f | %.0f |%n", i + 1, clean.get(i), killed.get(i)));
        }
        md.append(String.format(
                Locale.ROOT,
                "%nWorst: **%.0f ms** killed to ABORTED (target <= 60000), %.0f ms clean end to CLOSED.%n",
                worst,
                cleanWorst));
        String out = System.getProperty("bench.output");
        if (out != null) {
            Files.writeString(Path.of(out), md.toString());
            new BenchmarkFigures("benchmarks/" + Path.of(out).getFileName())
                    .add(
                            "bastion killed to its sessions marked ABORTED",
                            worst,
                            "ms",
                            "a clean session end (client gone) to CLOSED",
                            Math.max(1, cleanWorst),
                            "value<=60000")
                    .writeBeside(Path.of(out));
        }
        System.out.println(md);
    }

    private static String machine() {
        String cpu = "unknown CPU";
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                    .filter(l -> l.startsWith("model name"))
                    .findFirst()
                    .map(l -> l.substring(l.indexOf(':') + 1).trim())
                    .orElse(cpu);
        } catch (java.io.IOException ignored) {
            // keep the default
        }
        long mem = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getTotalMemorySize();
        return cpu + ", " + (mem >> 30) + " GiB RAM, Java " + System.getProperty("java.version") + ", "
                + System.getProperty("os.name");
    }
}
