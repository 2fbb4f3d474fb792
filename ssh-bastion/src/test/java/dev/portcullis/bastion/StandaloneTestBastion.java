package dev.portcullis.bastion;

import dev.portcullis.bastion.upstream.TargetInventory;
import dev.portcullis.recording.FileSystemRecordingStorage;
import dev.portcullis.recording.RecordingKeys;
import dev.portcullis.recording.Recordings;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.sshd.common.config.keys.PublicKeyEntry;

/**
 * A bastion in a JVM of its own for the concurrency benchmark, so its heap is measured alone: the in-memory grant
 * book, the filesystem recording store, a real OpenSSH target. Reads its setup from the properties file named by
 * the first argument and writes its port and host key next to it.
 */
public final class StandaloneTestBastion {

    public static void main(String[] args) throws Exception {
        java.util.logging.Logger.getLogger("org.apache.sshd").setLevel(java.util.logging.Level.WARNING);
        Path setup = Path.of(args[0]);
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(setup)) {
            p.load(in);
        }
        Path dir = setup.getParent();
        String target = p.getProperty("target");
        GrantBook grants =
                new GrantBook(target, Integer.parseInt(p.getProperty("target.port")), p.getProperty("login"));
        grants.grant(p.getProperty("person"), target, p.getProperty("login"), Duration.ofHours(4));
        PublicKey userCa = TargetInventory.parsePublicKey(Files.readString(Path.of(p.getProperty("user.ca"))));
        var hostKey = HostKeys.loadOrGenerate(dir.resolve("standalone-host-key"));
        MemorySessionIndex index = new MemorySessionIndex();
        Bastion bastion = Bastion.start(new Bastion.Parts(
                "127.0.0.1",
                0,
                hostKey,
                new Recordings(
                        "s3".equals(p.getProperty("recordings.store"))
                                ? BenchS3.storage("bench")
                                : new FileSystemRecordingStorage(Path.of(p.getProperty("recordings"))),
                        RecordingKeys.loadOrGenerate(
                                dir.resolve("standalone-rec.pem"), dir.resolve("standalone-rec.pub.pem")),
                        Bastion.RECORDING_OPTIONS,
                        dev.portcullis.recording.RecordingClock.system()),
                () -> {
                    try {
                        return TargetInventory.load(Path.of(p.getProperty("targets")));
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                },
                grants,
                index,
                () -> userCa,
                () -> null,
                Map.of(),
                "http://portal",
                "bench",
                Duration.ofSeconds(60),
                Clock.systemUTC(),
                null,
                null));
        Files.writeString(dir.resolve("standalone.host.pub"), PublicKeyEntry.toString(hostKey.getPublic()));
        Files.writeString(dir.resolve("standalone.port.tmp"), String.valueOf(bastion.port()));
        Files.move(dir.resolve("standalone.port.tmp"), dir.resolve("standalone.port"));
        // "closed" on stdin: print how many sessions the index saw end, with their byte counts
        new Thread(
                        () -> {
                            try {
                                var reader = new java.io.BufferedReader(new java.io.InputStreamReader(System.in));
                                String line;
                                while ((line = reader.readLine()) != null) {
                                    if (line.equals("report")) {
                                        long in = index.closed.values().stream()
                                                .mapToLong(c -> c.bytesIn())
                                                .sum();
                                        long out = index.closed.values().stream()
                                                .mapToLong(c -> c.bytesOut())
                                                .sum();
                                        long failed = index.closed.values().stream()
                                                .filter(c -> !c.status().equals("CLOSED"))
                                                .count();
                                        System.out.println("REPORT opened=" + index.opened.size() + " closed="
                                                + index.closed.size() + " in=" + in
                                                + " out=" + out + " notClosedCleanly=" + failed + " live="
                                                + bastion.liveSessions().count()
                                                + " details="
                                                + index.closed.values().stream()
                                                        .filter(c -> !c.status().equals("CLOSED"))
                                                        .map(c -> c.status() + ":" + c.detail())
                                                        .distinct()
                                                        .limit(5)
                                                        .toList());
                                    }
                                }
                            } catch (Exception e) {
                                e.printStackTrace();
                            }
                        },
                        "report")
                .start();
        new CountDownLatch(1).await();
    }
}
