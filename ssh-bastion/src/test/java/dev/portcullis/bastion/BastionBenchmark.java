package dev.portcullis.bastion;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.portcullis.recording.RecordingVerifier;
import dev.portcullis.testkit.BenchmarkFigures;
import dev.portcullis.testkit.LocalSshd;
import dev.portcullis.workflow.port.SessionIndex;

/**
 * The recording bastion against OpenSSH on the same machine, in one run: bulk throughput over an exec channel and
 * session set-up time, each directly to the target, through a plain OpenSSH sshd with ProxyJump (which, like the
 * bastion, decrypts and re-encrypts), and through the bastion with every byte recorded.
 * Run by {@code deploy/bench/bastion.sh}; figures go to the file named by {@code bench.output}.
 */
@Tag("benchmark")
class BastionBenchmark {

    private static final long BYTES = Long.getLong("bench.bytes", 1L << 30);
    private static final int ROUNDS = Integer.getInteger("bench.rounds", 3);
    private static final int SETUPS = Integer.getInteger("bench.setups", 20);

    @Test
    void throughputAndSetupAgainstOpenSsh(@TempDir Path dir) throws Exception {
        try (BastionFixture f = new BastionFixture(dir); LocalSshd jump = LocalSshd.start(null)) {
            Path alice = f.person("alice");
            f.grants.grant("alice", BastionFixture.TARGET, f.sshd.login(), Duration.ofHours(4));
            Path key = dir.resolve("direct_key");
            String pub = LocalSshd.generateClientKey(key);
            f.sshd.authorize(pub);
            jump.authorize(pub);
            Path knownHosts = dir.resolve("known_hosts_openssh");
            Files.writeString(knownHosts, f.sshd.knownHostsLine() + "\n" + jump.knownHostsLine() + "\n");
            Path config = dir.resolve("openssh_config");
            Files.writeString(config, """
                    Host direct
                      HostName 127.0.0.1
                      Port %d
                    Host jumped
                      HostName 127.0.0.1
                      Port %d
                      ProxyJump jumphost
                    Host jumphost
                      HostName 127.0.0.1
                      Port %d
                    Host *
                      User %s
                      IdentityFile %s
                      IdentitiesOnly yes
                      UserKnownHostsFile %s
                      StrictHostKeyChecking yes
                      BatchMode yes
                      LogLevel ERROR
                    """.formatted(f.sshd.port(), f.sshd.port(), jump.port(), f.sshd.login(), key, knownHosts));

            String file = "/tmp/portcullis-bench-" + BYTES + ".txt";
            // text, so the recording stores it as it is (binary would be escaped in the asciicast JSON)
            run(List.of("ssh", "-F", config.toString(), "direct",
                    "test -s " + file + " || (base64 -w 120 /dev/urandom | head -c " + BYTES + " > " + file + ")"));
            String cat = "cat " + file;

            List<String> direct = List.of("ssh", "-F", config.toString(), "direct", cat);
            List<String> jumped = List.of("ssh", "-F", config.toString(), "jumped", cat);
            List<String> bastion = f.ssh(alice, f.destination(), cat);

            // warm the JVM (and the page cache)
            for (int i = 0; i < 2; i++) {
                time(bastion);
                time(direct);
            }
            List<Double> tDirect = new ArrayList<>();
            List<Double> tJump = new ArrayList<>();
            List<Double> tBastion = new ArrayList<>();
            int sessionsBefore = f.index.opened.size();
            for (int i = 0; i < ROUNDS; i++) {
                tDirect.add(time(direct));
                tJump.add(time(jumped));
                tBastion.add(time(bastion));
            }
            // zero bytes lost: every byte of the last bastion run was counted and the recording verifies
            SessionIndex.Opened last = f.index.opened.get(f.index.opened.size() - 1);
            SessionIndex.Closed closed = null;
            for (int i = 0; i < 600 && closed == null; i++) {
                closed = f.index.closed.get(last.sessionId());
                Thread.sleep(100);
            }
            assertThat(f.index.opened.size() - sessionsBefore).isEqualTo(ROUNDS);
            assertThat(closed).isNotNull();
            assertThat(closed.bytesOut()).isEqualTo(BYTES);
            assertThat(RecordingVerifier.verify(f.storage, last.recordingId(), f.signer.publicKey()).status())
                    .isEqualTo(RecordingVerifier.Status.VALID);
            long recorded = recordingBytes(f.recordingsDir.resolve(last.recordingId()));

            List<String> directTrue = List.of("ssh", "-F", config.toString(), "direct", "true");
            List<String> jumpedTrue = List.of("ssh", "-F", config.toString(), "jumped", "true");
            List<String> bastionTrue = f.ssh(alice, f.destination(), "true");
            for (int i = 0; i < 5; i++) {
                time(bastionTrue);
                time(jumpedTrue);
            }
            List<Double> sDirect = new ArrayList<>();
            List<Double> sJump = new ArrayList<>();
            List<Double> sBastion = new ArrayList<>();
            for (int i = 0; i < SETUPS; i++) {
                sDirect.add(time(directTrue));
                sJump.add(time(jumpedTrue));
                sBastion.add(time(bastionTrue));
            }

            double d = median(tDirect);
            double j = median(tJump);
            double b = median(tBastion);
            double mib = BYTES / 1048576.0;
            StringBuilder md = new StringBuilder();
            md.append("# SSH bastion benchmark\n\n")
                    .append("Run by `deploy/bench/bastion.sh` (JUnit `BastionBenchmark`, tag `benchmark`). Target: OpenSSH sshd on loopback; ")
                    .append("ProxyJump through a second, plain OpenSSH sshd; the bastion is MINA SSHD in the benchmark's JVM with every byte ")
                    .append("recorded to the filesystem store (asciicast lines, SHA-256 chained chunks, signed manifest). All processes share ")
                    .append(Runtime.getRuntime().availableProcessors()).append(" cores: ").append(machine()).append(".\n\n")
                    .append(String.format(Locale.ROOT, "## Bulk throughput: `cat` of a %.0f MiB text file over an exec channel (median of %d)%n%n", mib, ROUNDS))
                    .append("| path | seconds | MiB/s |\n| --- | ---: | ---: |\n")
                    .append(row("direct OpenSSH", d, mib))
                    .append(row("ProxyJump through OpenSSH sshd", j, mib))
                    .append(row("Portcullis bastion, recorded", b, mib))
                    .append(String.format(Locale.ROOT, "%nBastion throughput / ProxyJump: **%.2f** (target >= 0.9). Bastion / direct: %.2f.%n", j / b, d / b))
                    .append(String.format(Locale.ROOT, "Recording of the last run: %d bytes on disk for %d bytes of output, verified VALID; the session index counted every byte.%n%n",
                            recorded, BYTES))
                    .append(String.format(Locale.ROOT, "## Session set-up: `ssh ... true` (median of %d, warm JVM)%n%n", SETUPS))
                    .append("| path | milliseconds |\n| --- | ---: |\n")
                    .append(String.format(Locale.ROOT, "| direct OpenSSH | %.0f |%n", median(sDirect) * 1000))
                    .append(String.format(Locale.ROOT, "| ProxyJump through OpenSSH sshd | %.0f |%n", median(sJump) * 1000))
                    .append(String.format(Locale.ROOT, "| Portcullis bastion | %.0f |%n", median(sBastion) * 1000))
                    .append(String.format(Locale.ROOT, "%nBastion set-up / ProxyJump: **%.2f** (target <= 1.2).%n", median(sBastion) / median(sJump)));
            String out = System.getProperty("bench.output");
            if (out != null) {
                Files.writeString(Path.of(out), md.toString());
                // the machine-readable figures for deploy/bench/all.sh (contract: deploy/bench/README.md)
                new BenchmarkFigures("benchmarks/" + Path.of(out).getFileName())
                        .add("bulk throughput through the recording bastion", mib / b, "MiB/s", "OpenSSH ProxyJump through a plain sshd", mib / j, "ratio>=0.9")
                        .add("bulk throughput through the recording bastion, against no jump host", mib / b, "MiB/s", "direct OpenSSH", mib / d, "-")
                        .add("session set-up through the bastion", median(sBastion) * 1000, "ms", "OpenSSH ProxyJump through a plain sshd",
                                median(sJump) * 1000, "ratio<=1.2")
                        .writeBeside(Path.of(out));
            }
            System.out.println(md);
        }
    }

    private static String row(String name, double seconds, double mib) {
        return String.format(Locale.ROOT, "| %s | %.2f | %.0f |%n", name, seconds, mib / seconds);
    }

    private static double time(List<String> command) throws IOException, InterruptedException {
        long start = System.nanoTime();
        Process p = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IOException("timed out: " + command);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (p.exitValue() != 0) {
            throw new IOException("exit " + p.exitValue() + ": " + command);
        }
        return seconds;
    }

    private static void run(List<String> command) throws IOException, InterruptedException {
        time(command);
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }

    private static long recordingBytes(Path recording) throws IOException {
        try (var files = Files.list(recording)) {
            return files.mapToLong(p -> p.toFile().length()).sum();
        }
    }

    static String machine() {
        String cpu = "unknown CPU";
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse(cpu);
        } catch (IOException ignored) {
            // keep the default
        }
        long mem = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize();
        return cpu + ", " + (mem >> 30) + " GiB RAM, Java " + System.getProperty("java.version") + ", " + System.getProperty("os.name");
    }
}
