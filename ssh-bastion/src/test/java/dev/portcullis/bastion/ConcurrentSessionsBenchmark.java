package dev.portcullis.bastion;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.bastion.upstream.TargetInventory;
import dev.portcullis.local.BenchmarkFigures;
import dev.portcullis.local.Commands;
import dev.portcullis.local.LocalSshd;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.util.security.SecurityUtils;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Many recorded sessions open at once on one bastion process with a 1 GiB heap: each session runs {@code cat} on an
 * OpenSSH target and echoes a block of text while all the others stay open; every byte must come back and be
 * counted. Clients are MINA SSHD sessions in this JVM; the bastion runs in a JVM of its own so its heap is its own.
 */
@Tag("benchmark")
class ConcurrentSessionsBenchmark {

    private static final int SESSIONS = Integer.getInteger("bench.sessions", 1000);
    private static final int BLOCK = 64 * 1024;

    @Test
    void manyRecordedSessionsAtOnce() throws Exception {
        Path dir = Files.createTempDirectory(Path.of("/var/tmp"), "portcullis-concurrency-");
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Process bastion = null;
        LocalSshd target = LocalSshd.start(dir.resolve("target"));
        try (target;
                SshClient client = SshClient.setUpDefaultClient()) {
            Commands.run(List.of(
                    "ssh-keygen",
                    "-q",
                    "-t",
                    "ed25519",
                    "-N",
                    "",
                    "-f",
                    dir.resolve("user_ca").toString()));
            Commands.run(List.of(
                    "ssh-keygen",
                    "-q",
                    "-t",
                    "ed25519",
                    "-N",
                    "",
                    "-f",
                    dir.resolve("alice").toString()));
            Commands.run(List.of(
                    "ssh-keygen",
                    "-q",
                    "-s",
                    dir.resolve("user_ca").toString(),
                    "-I",
                    "alice",
                    "-n",
                    "alice",
                    "-V",
                    "-5m:+4h",
                    dir.resolve("alice.pub").toString()));
            Path upstream = dir.resolve("upstream");
            target.authorize(LocalSshd.generateClientKey(upstream));
            Files.writeString(
                    dir.resolve("targets.yaml"),
                    "targets:\n  web:\n    hostKey: " + target.hostPublicKey() + "\n    identityFile: " + upstream
                            + "\n");
            Properties setup = new Properties();
            setup.setProperty("target", "web");
            setup.setProperty("target.port", String.valueOf(target.port()));
            setup.setProperty("login", target.login());
            setup.setProperty("person", "alice");
            setup.setProperty("user.ca", dir.resolve("user_ca.pub").toString());
            setup.setProperty("recordings", dir.resolve("recordings").toString());
            setup.setProperty("recordings.store", BenchS3.ON ? "s3" : "filesystem");
            setup.setProperty("targets", dir.resolve("targets.yaml").toString());
            try (OutputStream out = Files.newOutputStream(dir.resolve("setup.properties"))) {
                setup.store(out, null);
            }
            String javaBin =
                    Path.of(System.getProperty("java.home"), "bin", "java").toString();
            bastion = new ProcessBuilder(
                            javaBin,
                            "-Xmx1g",
                            "-XX:+UseG1GC",
                            "-cp",
                            System.getProperty("java.class.path"),
                            StandaloneTestBastion.class.getName(),
                            dir.resolve("setup.properties").toString())
                    .redirectError(dir.resolve("bastion.err").toFile())
                    .start();
            BufferedReader bastionOut =
                    new BufferedReader(new InputStreamReader(bastion.getInputStream(), StandardCharsets.UTF_8));
            PrintWriter bastionIn = new PrintWriter(bastion.getOutputStream(), true);
            Path portFile = dir.resolve("standalone.port");
            for (int i = 0; i < 600 && !Files.exists(portFile); i++) {
                assertThat(bastion.isAlive())
                        .as("the bastion started; see " + dir.resolve("bastion.err"))
                        .isTrue();
                Thread.sleep(100);
            }
            int port = Integer.parseInt(Files.readString(portFile).trim());
            var hostKey = TargetInventory.parsePublicKey(Files.readString(dir.resolve("standalone.host.pub")));

            KeyPair plain;
            try (InputStream in = Files.newInputStream(dir.resolve("alice"))) {
                plain = SecurityUtils.loadKeyPairIdentities(null, () -> "alice", in, null)
                        .iterator()
                        .next();
            }
            KeyPair identity = new KeyPair(
                    TargetInventory.parsePublicKey(Files.readString(dir.resolve("alice-cert.pub"))),
                    plain.getPrivate());
            client.setServerKeyVerifier((s, a, k) -> KeyUtils.compareKeys(hostKey, k));
            client.start();
            // the baseline: the same bastion process before any session
            long idleHeapKiB = heapUsedKiB(bastion.pid());
            long idleRssKiB = rss(bastion.pid());

            // open every session (a few at a time: OpenSSH's MaxStartups throttles unauthenticated connections)
            long openStart = System.nanoTime();
            List<ClientSession> sessions = new ArrayList<>();
            List<ChannelExec> channels = new ArrayList<>();
            ExecutorService pool = Executors.newFixedThreadPool(8);
            List<Future<ChannelExec>> opening = new ArrayList<>();
            List<ClientSession> opened = java.util.Collections.synchronizedList(sessions);
            for (int i = 0; i < SESSIONS; i++) {
                opening.add(pool.submit(() -> {
                    ClientSession s = client.connect(target.login() + "+web", "127.0.0.1", port)
                            .verify(Duration.ofSeconds(60))
                            .getSession();
                    opened.add(s);
                    s.addPublicKeyIdentity(identity);
                    s.auth().verify(Duration.ofSeconds(60));
                    ChannelExec cat = s.createExecChannel("cat");
                    cat.open().verify(Duration.ofSeconds(60));
                    return cat;
                }));
            }
            for (Future<ChannelExec> f : opening) {
                channels.add(f.get(10, TimeUnit.MINUTES));
            }
            double openSeconds = (System.nanoTime() - openStart) / 1e9;

            // with all of them open: each echoes a block of text through the bastion and the target
            byte[] block = text(BLOCK);
            long echoStart = System.nanoTime();
            List<Future<Boolean>> echoes = new ArrayList<>();
            ExecutorService echoPool = Executors.newFixedThreadPool(32);
            for (ChannelExec c : channels) {
                echoes.add(echoPool.submit(() -> {
                    try {
                        OutputStream in = c.getInvertedIn();
                        in.write(block);
                        in.flush();
                        byte[] back = c.getInvertedOut().readNBytes(BLOCK);
                        if (!Arrays.equals(block, back)) {
                            int at = Arrays.mismatch(block, back);
                            System.out.println("MISMATCH len=" + back.length + " at=" + at + " got="
                                    + new String(
                                                    back,
                                                    Math.max(0, at - 20),
                                                    Math.min(60, back.length - Math.max(0, at - 20)),
                                                    StandardCharsets.UTF_8)
                                            .replace("\n", "|")
                                    + " want="
                                    + new String(block, Math.max(0, at - 20), 60, StandardCharsets.UTF_8)
                                            .replace("\n", "|"));
                        }
                        return Arrays.equals(block, back);
                    } catch (IOException e) {
                        String err = new String(
                                c.getInvertedErr()
                                        .readNBytes(
                                                Math.max(0, c.getInvertedErr().available())),
                                StandardCharsets.UTF_8);
                        throw new IOException(
                                e.getMessage() + "; the bastion said: " + err + " (exit " + c.getExitStatus() + ")", e);
                    }
                }));
            }
            int intact = 0;
            for (Future<Boolean> f : echoes) {
                intact += f.get(10, TimeUnit.MINUTES) ? 1 : 0;
            }
            double echoSeconds = (System.nanoTime() - echoStart) / 1e9;
            echoPool.shutdown();
            pool.shutdown();

            long heapUsedKiB = heapUsedKiB(bastion.pid());
            long rssKiB = rss(bastion.pid());
            int threads = threads(bastion.pid());

            for (ChannelExec c : channels) {
                c.getInvertedIn().close(); // EOF: cat ends, the session closes cleanly
            }
            for (ChannelExec c : channels) {
                c.waitFor(List.of(org.apache.sshd.client.channel.ClientChannelEvent.CLOSED), Duration.ofSeconds(60));
            }
            for (ClientSession s : sessions) {
                s.close(false);
            }
            String report = null;
            for (int i = 0; i < 120; i++) {
                bastionIn.println("report");
                String line = bastionOut.readLine();
                if (line != null && line.contains("closed=" + SESSIONS + " ")) {
                    report = line;
                    break;
                }
                report = line;
                Thread.sleep(500);
            }
            System.out.println(report);
            assertThat(intact).as("sessions whose echo came back whole").isEqualTo(SESSIONS);
            assertThat(report)
                    .contains(
                            "opened=" + SESSIONS + " ",
                            "closed=" + SESSIONS + " ",
                            "in=" + (long) SESSIONS * BLOCK + " ",
                            "out=" + (long) SESSIONS * BLOCK + " ",
                            "notClosedCleanly=0");
            assertThat(heapUsedKiB).isBetween(1L, 1024L * 1024);

            String md = String.format(
                    Locale.ROOT,
                    """
                    # Concurrent recorded sessions on one bastion

                    Run by `deploy/bench/bastion.sh` (JUnit `ConcurrentSessionsBenchmark`, tag `benchmark`): one bastion process
                    (`-Xmx1g`, G1), %d SSH sessions opened by MINA SSHD clients with broker-style certificates, each running `cat`
                    on an OpenSSH target. With all of them open, each echoes %d KiB of text through the bastion; every session is
                    recorded (exact bytes in zstd-compressed, hash-chained chunks, signed manifest) and entered in the session index.

                    | figure | value |
                    | --- | ---: |
                    | sessions open at once | %d |
                    | time to open them all (8 at a time; OpenSSH's MaxStartups throttles) | %.1f s |
                    | echoes intact | %d of %d |
                    | time for all echoes (32 at a time) | %.1f s |
                    | bastion heap used after a full GC, all sessions open | %d MiB (limit 1024) |
                    | bastion resident memory, all sessions open | %d MiB |
                    | bastion threads, all sessions open | %d |
                    | bytes counted by the session index in / out | %d / %d (expected %d each) |

                    Machine: %s.
                    """,
                    SESSIONS,
                    BLOCK / 1024,
                    SESSIONS,
                    openSeconds,
                    intact,
                    SESSIONS,
                    echoSeconds,
                    heapUsedKiB / 1024,
                    rssKiB / 1024,
                    threads,
                    count(report, "in"),
                    count(report, "out"),
                    (long) SESSIONS * BLOCK,
                    BastionBenchmark.machine());
            String out = System.getProperty("bench.output.concurrency");
            if (out != null) {
                Files.writeString(Path.of(out), md);
                // the machine-readable figures for deploy/bench/all.sh (contract: deploy/bench/README.md)
                BenchmarkFigures figures =
                        new BenchmarkFigures("benchmarks/" + Path.of(out).getFileName());
                if (BenchS3.ON) { // deploy/bench/s3.sh: the same harness, recording to S3
                    figures.add(
                                    SESSIONS + " concurrent recorded sessions on S3: bastion heap",
                                    heapUsedKiB / 1024.0,
                                    "MiB",
                                    "the same bastion idle, before the sessions",
                                    Math.max(1, idleHeapKiB) / 1024.0,
                                    "value<=1024")
                            .writeBeside(Path.of(out));
                    return;
                }
                figures.add(
                                "bastion heap after a full GC, " + SESSIONS + " recorded sessions open",
                                heapUsedKiB / 1024.0,
                                "MiB",
                                "the same bastion idle, before the sessions",
                                Math.max(1, idleHeapKiB) / 1024.0,
                                "value<=1024")
                        .add(
                                "bastion resident memory, " + SESSIONS + " recorded sessions open",
                                rssKiB / 1024.0,
                                "MiB",
                                "the same bastion idle, before the sessions",
                                Math.max(1, idleRssKiB) / 1024.0,
                                "-")
                        .writeBeside(Path.of(out));
            }
            System.out.println(md);
        } finally {
            if (bastion != null) {
                bastion.destroyForcibly();
                Path err = dir.resolve("bastion.err");
                if (Files.exists(err)) {
                    Files.copy(
                            err,
                            Path.of(System.getProperty("java.io.tmpdir"), "portcullis-concurrency-bastion.log"),
                            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    if (Files.exists(target.logFile())) {
                        Files.copy(
                                target.logFile(),
                                Path.of(System.getProperty("java.io.tmpdir"), "portcullis-concurrency-sshd.log"),
                                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    }
                    List<String> lines = Files.readAllLines(err);
                    System.out.println("bastion log (last lines):\n"
                            + String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size())));
                }
            }
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder())
                        .forEach(p -> p.toFile().delete());
            }
        }
    }

    private static byte[] text(int n) {
        Random random = new Random(42);
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (i % 100 == 99) ? (byte) '\n' : (byte) ('a' + random.nextInt(26));
        }
        return b;
    }

    private static long count(String report, String key) {
        Matcher m = Pattern.compile(key + "=(\\d+)").matcher(report);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    /** Heap in use right after a full GC, from jcmd; -1 when jcmd's output has no figure. */
    private static long heapUsedKiB(long pid) throws IOException, InterruptedException {
        String heap = jcmd(pid, "GC.run") + jcmd(pid, "GC.heap_info");
        Matcher used = Pattern.compile("used (\\d+)K").matcher(heap);
        return used.find() ? Long.parseLong(used.group(1)) : -1;
    }

    private static String jcmd(long pid, String command) throws IOException, InterruptedException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        return Commands.run(List.of(jcmd.toString(), String.valueOf(pid), command))
                .out();
    }

    private static long rss(long pid) throws IOException {
        return Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream()
                .filter(l -> l.startsWith("VmRSS:"))
                .map(l -> Long.parseLong(l.replaceAll("\\D", "")))
                .findFirst()
                .orElse(-1L);
    }

    private static int threads(long pid) throws IOException {
        return Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream()
                .filter(l -> l.startsWith("Threads:"))
                .map(l -> Integer.parseInt(l.replaceAll("\\D", "")))
                .findFirst()
                .orElse(-1);
    }
}
