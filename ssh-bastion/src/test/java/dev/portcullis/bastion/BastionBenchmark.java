package dev.portcullis.bastion;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.bastion.index.IndexFeed;
import dev.portcullis.local.BenchmarkFigures;
import dev.portcullis.local.LocalSshd;
import dev.portcullis.recording.RecordingVerifier;
import dev.portcullis.workflow.port.SessionIndex;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The recording bastion against OpenSSH ProxyJump through a plain sshd, on the same machine, in one run, with
 * {@value #CIPHER} forced on both hops of both paths: bulk throughput over an exec channel for three payloads, the
 * recording's size on disk against the bytes that crossed the channel (the three payloads and a terminal corpus in a
 * PTY session), and session set-up time. Run by {@code deploy/bench/bastion.sh}; the page goes to the file named by
 * {@code bench.output}, the figures beside it.
 */
@Tag("benchmark")
class BastionBenchmark {

    static final String CIPHER = "aes128-gcm@openssh.com";
    private static final long BYTES = Long.getLong("bench.bytes", 1L << 30);
    private static final int ROUNDS = Integer.getInteger("bench.rounds", 3);
    private static final int SETUPS = Integer.getInteger("bench.setups", 20);
    /** The payloads to run, by key (zeros, random, base64); all by default. */
    private static final List<String> ONLY =
            List.of(System.getProperty("bench.payloads", "zeros,random,base64").split(","));
    /** Whether to record the terminal corpus (off only to shorten a throughput experiment). */
    private static final boolean CORPUS_ON = Boolean.parseBoolean(System.getProperty("bench.corpus", "true"));
    /** Whether recordings feed the search index as in a bastion process (off only to measure what that costs). */
    private static final boolean INDEX_ON = Boolean.parseBoolean(System.getProperty("bench.index", "true"));
    /** Runs in the PTY session of the terminal corpus, with whatever this machine lets the target's login read. */
    static final String CORPUS =
            "ls -lR /usr 2>&1; journalctl --no-pager 2>&1; dmesg 2>&1; top -b -n 20 -d 0.2 2>&1; true";

    /**
     * One payload, produced on the target by {@code command} so both paths move the same bytes; {@code prepare} makes
     * its file there once (outside the timing).
     */
    private record Payload(String key, String name, String prepare, String command) {}

    private static List<Payload> payloads(long bytes) {
        // named after this JVM too: a run removes its files at the end, and must not remove another run's
        String suffix = bytes + "-" + ProcessHandle.current().pid();
        String random = "/tmp/portcullis-bench-random-" + suffix;
        String base64 = "/tmp/portcullis-bench-base64-" + suffix;
        List<Payload> all = List.of(
                new Payload("zeros", "zeros", null, "head -c " + bytes + " /dev/zero"),
                new Payload(
                        "random",
                        "random bytes",
                        "test -s " + random + " || head -c " + bytes + " /dev/urandom > " + random,
                        "cat " + random),
                new Payload(
                        "base64",
                        "base64 text",
                        "test -s " + base64 + " || (base64 -w 76 /dev/urandom | head -c " + bytes + " > " + base64
                                + ")",
                        "cat " + base64));
        return all.stream().filter(p -> ONLY.contains(p.key())).toList();
    }

    /** What one payload measured. */
    private record Bulk(
            Payload payload, double direct, double jump, double bastion, double bastionCpu, long recorded) {}

    @Test
    void throughputSizeAndSetupAgainstProxyJump(@TempDir Path dir) throws Exception {
        AtomicLong indexed = new AtomicLong();
        try (BastionFixture f = new BastionFixture(dir);
                LocalSshd jump = LocalSshd.start(null);
                IndexFeed feed = new IndexFeed(entries -> {
                    indexed.addAndGet(entries.size());
                    return Set.of();
                })) {
            if (INDEX_ON) {
                // as a bastion process runs (Bastion.start): every recording feeds the search index while it is written
                f.recordings.tap(feed.start(Duration.ofMillis(500)));
            }
            Path alice = f.person("alice");
            f.grants.grant("alice", BastionFixture.TARGET, f.sshd.login(), Duration.ofHours(4));
            Path config = openSshConfig(dir, f, jump);
            List<String> ciphers = List.of(
                    negotiated(openSsh(config, "jumped", "-v", "true")), negotiated(bastion(f, alice, "-v", "true")));
            assertThat(ciphers).allMatch(c -> c.equals(CIPHER));

            List<Bulk> bulk = new ArrayList<>();
            List<String> cleanup = new ArrayList<>();
            try {
                for (Payload p : payloads(BYTES)) {
                    if (p.prepare() != null) {
                        time(openSsh(config, "direct", p.prepare()));
                        cleanup.add(p.command().substring("cat ".length()));
                    }
                    bulk.add(bulk(f, alice, config, p, bulk.isEmpty() ? 3 : 1));
                }
            } finally {
                if (!cleanup.isEmpty()) {
                    time(openSsh(config, "direct", "rm -f " + String.join(" ", cleanup)));
                }
            }
            long[] corpus = CORPUS_ON ? corpus(f, alice) : null;

            Map<String, List<Double>> setup = new LinkedHashMap<>();
            setup.put("direct OpenSSH", new ArrayList<>());
            setup.put("ProxyJump through OpenSSH sshd", new ArrayList<>());
            setup.put("Portcullis bastion", new ArrayList<>());
            List<List<String>> setupCommands = List.of(
                    openSsh(config, "direct", "true"), openSsh(config, "jumped", "true"), bastion(f, alice, "true"));
            for (int i = 0; i < 5; i++) {
                time(setupCommands.get(1));
                time(setupCommands.get(2));
            }
            for (int i = 0; i < SETUPS; i++) {
                int k = 0;
                for (List<Double> times : setup.values()) {
                    times.add(time(setupCommands.get(k++)));
                }
            }
            report(bulk, corpus, setup);
            System.out.println("search index entries sent: " + indexed.get() + ", dropped: " + feed.dropped());
        }
    }

    /** OpenSSH client settings for the direct and the ProxyJump path, {@value #CIPHER} on every hop. */
    private static Path openSshConfig(Path dir, BastionFixture f, LocalSshd jump) throws IOException {
        Path key = dir.resolve("direct_key");
        String pub = LocalSshd.generateClientKey(key);
        f.sshd.authorize(pub);
        jump.authorize(pub);
        Path knownHosts = dir.resolve("known_hosts_openssh");
        Files.writeString(knownHosts, f.sshd.knownHostsLine() + "\n" + jump.knownHostsLine() + "\n");
        Path config = dir.resolve("openssh_config");
        // ProxyJump runs "ssh -F <this file> -W ... jumphost", so the Host * cipher applies to both hops
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
                  Ciphers %s
                """.formatted(
                        f.sshd.port(), f.sshd.port(), jump.port(), f.sshd.login(), key, knownHosts, CIPHER));
        return config;
    }

    private static List<String> openSsh(Path config, String host, String... command) {
        List<String> cmd = new ArrayList<>(List.of("ssh", "-F", config.toString()));
        int options = command.length > 0 && command[0].startsWith("-") ? 1 : 0;
        cmd.addAll(List.of(command).subList(0, options));
        cmd.add(host);
        cmd.addAll(List.of(command).subList(options, command.length));
        return cmd;
    }

    /**
     * The stock client through the bastion with {@value #CIPHER} forced. The bastion's own hop to the target uses it
     * too: its MINA client asks for it first ({@code Ciphers.ASKED}) and an SSH server takes the client's first choice.
     */
    private static List<String> bastion(BastionFixture f, Path person, String... command) {
        int options = command.length > 0 && command[0].startsWith("-") ? 1 : 0;
        String[] remote = List.of(command).subList(options, command.length).toArray(String[]::new);
        List<String> cmd = new ArrayList<>(f.ssh(person, f.destination(), remote));
        cmd.addAll(1, List.of("-c", CIPHER));
        cmd.addAll(1, List.of(command).subList(0, options));
        return cmd;
    }

    /** The one cipher OpenSSH's client reports for every hop it negotiated ({@code ssh -v}). */
    private static String negotiated(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        String log = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(1, TimeUnit.MINUTES);
        Matcher m = Pattern.compile("kex: (?:server->client|client->server) cipher: (\\S+)")
                .matcher(log);
        String found = null;
        while (m.find()) {
            if (found != null && !found.equals(m.group(1))) {
                return found + " and " + m.group(1);
            }
            found = m.group(1);
        }
        return found == null ? "(none reported: " + command + ")" : found;
    }

    /** @param warmups runs of each path before the timed rounds: more for the first payload, which the JIT meets */
    private static Bulk bulk(BastionFixture f, Path alice, Path config, Payload p, int warmups) throws Exception {
        List<String> direct = openSsh(config, "direct", p.command());
        List<String> jumped = openSsh(config, "jumped", p.command());
        List<String> through = bastion(f, alice, p.command());
        // warm the JVM (the ciphers run interpreted until compiled) and the page cache
        for (int i = 0; i < warmups; i++) {
            time(through, BYTES);
            time(jumped, BYTES);
        }
        List<Double> tDirect = new ArrayList<>();
        List<Double> tJump = new ArrayList<>();
        List<Double> tBastion = new ArrayList<>();
        List<Double> cpuBastion = new ArrayList<>();
        int sessionsBefore = f.index.opened.size();
        for (int i = 0; i < ROUNDS; i++) {
            tDirect.add(time(direct, BYTES));
            tJump.add(time(jumped, BYTES));
            long cpu = processCpuNanos();
            tBastion.add(time(through, BYTES));
            cpuBastion.add((processCpuNanos() - cpu) / 1e9);
        }
        // zero bytes lost: every byte of the last bastion run was counted and the recording verifies
        assertThat(f.index.opened.size() - sessionsBefore).isEqualTo(ROUNDS);
        SessionIndex.Closed closed = awaitClosed(f, f.index.opened.get(f.index.opened.size() - 1));
        assertThat(closed.bytesOut()).isEqualTo(BYTES);
        String recording = f.index.opened.get(f.index.opened.size() - 1).recordingId();
        assertThat(RecordingVerifier.verify(f.storage, recording, f.signer.publicKey())
                        .status())
                .isEqualTo(RecordingVerifier.Status.VALID);
        return new Bulk(
                p,
                median(tDirect),
                median(tJump),
                median(tBastion),
                median(cpuBastion),
                BenchS3.ON
                        ? BenchS3.storedBytes(f.storage, recording)
                        : recordingBytes(f.recordingsDir.resolve(recording)));
    }

    /** A PTY session running {@link #CORPUS}: the recording's size on disk and the bytes that crossed the channel. */
    private static long[] corpus(BastionFixture f, Path alice) throws Exception {
        List<String> command = bastion(f, alice, "-tt", CORPUS);
        Process p = new ProcessBuilder(command)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start(); // stdin stays open, as a terminal's would
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IOException("timed out: " + command);
        }
        SessionIndex.Opened opened = f.index.opened.get(f.index.opened.size() - 1);
        SessionIndex.Closed closed = awaitClosed(f, opened);
        assertThat(RecordingVerifier.verify(f.storage, opened.recordingId(), f.signer.publicKey())
                        .status())
                .isEqualTo(RecordingVerifier.Status.VALID);
        long recorded = recordingBytes(f.recordingsDir.resolve(opened.recordingId()));
        return new long[] {recorded, closed.bytesIn() + closed.bytesOut()};
    }

    private static SessionIndex.Closed awaitClosed(BastionFixture f, SessionIndex.Opened last)
            throws InterruptedException {
        SessionIndex.Closed closed = null;
        for (int i = 0; i < 600 && closed == null; i++) {
            closed = f.index.closed.get(last.sessionId());
            Thread.sleep(100);
        }
        assertThat(closed).isNotNull();
        return closed;
    }

    private static void report(List<Bulk> bulk, long[] corpus, Map<String, List<Double>> setup) throws IOException {
        double mib = BYTES / 1048576.0;
        StringBuilder md = new StringBuilder();
        md.append("""
                # SSH bastion benchmark

                Run by `deploy/bench/bastion.sh` (JUnit `BastionBenchmark`, tag `benchmark`). The target is OpenSSH sshd
                on loopback. The baseline is OpenSSH ProxyJump (`ssh -J`) through a second, plain OpenSSH sshd, which,
                like the bastion, decrypts and re-encrypts every byte; the bastion is MINA SSHD in the benchmark's JVM
                with every byte recorded to the filesystem store, and it is reached with the stock `ssh` client. As in
                a bastion process, every recording feeds the search index while it is written (`IndexFeed`; entries go
                to a counter instead of the broker)%s.

                Like with like: `%s` is forced on both hops of both paths (the OpenSSH client's `Ciphers`, which the
                ProxyJump hop inherits; `ssh -c` towards the bastion, whose MINA client asks the target for it first,
                and an SSH server takes the client's first choice), and `ssh -v` confirmed it for every hop the client
                sees before the run. Both paths move the same bytes, produced on the target by the same command: zeros
                by `head -c N /dev/zero`, random bytes and base64 text by `cat` of a file made there before the timing
                (`head -c N /dev/urandom`; `base64 -w 76 /dev/urandom | head -c N`) and read before the timed rounds,
                so it is in the page cache. The rounds of the paths alternate on one machine, so load hits them alike.
                All processes share %d cores: %s.

                """.formatted(
                        INDEX_ON ? "" : " (switched off for this run: `-Dbench.index=false`)",
                        CIPHER,
                        Runtime.getRuntime().availableProcessors(),
                        machine()));
        md.append(String.format(
                        Locale.ROOT,
                        "## Bulk throughput: %.0f MiB over an exec channel (median of %d)%n%n",
                        mib,
                        ROUNDS))
                .append("| payload | direct OpenSSH MiB/s | ProxyJump MiB/s | bastion, recorded, MiB/s ")
                .append("| bastion / ProxyJump | bastion JVM CPU s/GiB |\n")
                .append("| --- | ---: | ---: | ---: | ---: | ---: |\n");
        for (Bulk b : bulk) {
            md.append(String.format(
                    Locale.ROOT,
                    "| %s (`%s`) | %.0f | %.0f | %.0f | **%.2f** | %.2f |%n",
                    b.payload().name(),
                    b.payload().command(),
                    mib / b.direct(),
                    mib / b.jump(),
                    mib / b.bastion(),
                    b.jump() / b.bastion(),
                    b.bastionCpu() * 1024 / mib));
        }
        md.append("\nTarget: bastion / ProxyJump >= 0.9 for each payload. Each last bastion run counted every byte in ")
                .append("the session index and its recording verified VALID. The last column is the CPU time the ")
                .append("bastion's JVM (forwarding, both ciphers, recording) spent per GiB moved, median of the ")
                .append("rounds: on a machine this small the clients, the target and the bastion share the cores, ")
                .append("so it says more than the wall time when the machine is busy.\n\n");
        md.append("## Recording size on disk / raw bytes\n\n")
                .append("| session | raw bytes | recording bytes | ratio |\n| --- | ---: | ---: | ---: |\n");
        for (Bulk b : bulk) {
            md.append(String.format(
                    Locale.ROOT,
                    "| %s, exec | %d | %d | %.4f |%n",
                    b.payload().name(),
                    BYTES,
                    b.recorded(),
                    (double) b.recorded() / BYTES));
        }
        if (corpus != null) {
            md.append(String.format(
                    Locale.ROOT,
                    "| terminal corpus, PTY | %d | %d | %.4f |%n",
                    corpus[1],
                    corpus[0],
                    (double) corpus[0] / corpus[1]));
        }
        md.append("\nThe terminal corpus is one `ssh -tt` session through the bastion running `")
                .append(CORPUS)
                .append("` (what the target's login may read of it on this machine). Targets: zeros <= 0.01, ")
                .append("random bytes <= 1.02, base64 text <= 0.80, terminal corpus <= 0.30.\n\n");
        md.append(String.format(Locale.ROOT, "## Session set-up: `ssh ... true` (median of %d, warm JVM)%n%n", SETUPS))
                .append("| path | milliseconds |\n| --- | ---: |\n");
        setup.forEach(
                (path, times) -> md.append(String.format(Locale.ROOT, "| %s | %.0f |%n", path, median(times) * 1000)));
        double setupJump = median(setup.get("ProxyJump through OpenSSH sshd")) * 1000;
        double setupBastion = median(setup.get("Portcullis bastion")) * 1000;
        md.append(String.format(
                Locale.ROOT, "%nBastion set-up / ProxyJump: **%.2f** (target <= 1.0).%n", setupBastion / setupJump));

        String out = System.getProperty("bench.output");
        if (out != null) {
            Files.writeString(Path.of(out), md.toString());
            // the machine-readable figures for deploy/bench/all.sh (contract: deploy/bench/README.md)
            BenchmarkFigures figures =
                    new BenchmarkFigures("benchmarks/" + Path.of(out).getFileName());
            String jumpBaseline = "OpenSSH ProxyJump through a plain sshd, aes128-gcm on both hops";
            for (Bulk b : bulk) {
                figures.add(
                        "bulk throughput, " + b.payload().name() + ", recording bastion" + (BenchS3.ON ? " on S3" : "")
                                + " / ProxyJump aes128-gcm",
                        mib / b.bastion(),
                        "MiB/s",
                        jumpBaseline,
                        mib / b.jump(),
                        "ratio>=0.9");
            }
            if (BenchS3.ON) { // deploy/bench/s3.sh: only the throughput figures are about S3
                figures.writeBeside(Path.of(out));
                System.out.println(md);
                return;
            }
            String[] sizeTargets = {"value<=0.01", "value<=1.02", "value<=0.80"};
            for (Bulk b : bulk) {
                int k = List.of("zeros", "random", "base64").indexOf(b.payload().key());
                figures.add(
                        "recording size / raw bytes, " + b.payload().name(),
                        (double) b.recorded() / BYTES,
                        "x raw",
                        "the raw bytes that crossed the channel",
                        1,
                        sizeTargets[k]);
            }
            if (corpus != null) {
                figures.add(
                        "recording size / raw bytes, terminal corpus",
                        (double) corpus[0] / corpus[1],
                        "x raw",
                        "the raw bytes that crossed the channel",
                        1,
                        "value<=0.30");
            }
            figures.add(
                    "session set-up through the bastion", setupBastion, "ms", jumpBaseline, setupJump, "ratio<=1.0");
            figures.writeBeside(Path.of(out));
        }
        System.out.println(md);
    }

    private static double time(List<String> command) throws IOException, InterruptedException {
        return time(command, -1);
    }

    /**
     * Runs a client to its end and returns the seconds it took; the bytes it received are counted on the way (on both
     * paths alike), so a run that lost output fails instead of looking fast.
     *
     * @param expected the bytes the client must receive, or -1 for any number
     */
    private static double time(List<String> command, long expected) throws IOException, InterruptedException {
        long start = System.nanoTime();
        Process p = new ProcessBuilder(command)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        long received = 0;
        byte[] buffer = new byte[256 * 1024];
        try (var out = p.getInputStream()) {
            for (int n; (n = out.read(buffer)) >= 0; ) {
                received += n;
            }
        }
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IOException("timed out: " + command);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (p.exitValue() != 0) {
            throw new IOException("exit " + p.exitValue() + ": " + command);
        }
        if (expected >= 0 && received != expected) {
            throw new IOException("received " + received + " bytes instead of " + expected + ": " + command);
        }
        return seconds;
    }

    /** CPU time of this JVM: the bastion, and the benchmark counting what the client received (a small part). */
    private static long processCpuNanos() {
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        return os.getProcessCpuTime();
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }

    private static long recordingBytes(Path recording) throws IOException {
        try (var files = Files.walk(recording)) {
            return files.filter(Files::isRegularFile)
                    .mapToLong(p -> p.toFile().length())
                    .sum();
        }
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
            // keep the default
        }
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long mem = os.getTotalMemorySize();
        return cpu + ", " + (mem >> 30) + " GiB RAM, Java " + System.getProperty("java.version") + ", "
                + System.getProperty("os.name");
    }
}
