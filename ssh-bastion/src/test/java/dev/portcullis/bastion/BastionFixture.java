package dev.portcullis.bastion;

import dev.portcullis.bastion.upstream.TargetInventory;
import dev.portcullis.local.Commands;
import dev.portcullis.local.LocalSshd;
import dev.portcullis.recording.FileSystemRecordingStorage;
import dev.portcullis.recording.RecordingKeys;
import dev.portcullis.recording.RecordingSigner;
import dev.portcullis.recording.RecordingStorage;
import dev.portcullis.recording.Recordings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.sshd.common.config.keys.OpenSshCertificate;
import org.apache.sshd.common.config.keys.PublicKeyEntry;

/**
 * A bastion on a free loopback port in front of a real OpenSSH sshd, with a user CA and a host CA made by
 * {@code ssh-keygen} at run time, and the stock {@code ssh}, {@code sftp} and {@code scp} clients to drive it.
 */
final class BastionFixture implements AutoCloseable {

    static final String TARGET = "web";
    static final String PORTAL = "http://portal.example/requests/new";

    final Path dir;
    final LocalSshd sshd;
    final GrantBook grants;
    final MemorySessionIndex index = new MemorySessionIndex();
    final Path recordingsDir;
    final RecordingStorage storage;
    final RecordingSigner signer;
    final Recordings recordings;
    final Bastion bastion;
    final KeyPair hostKey;
    final AtomicReference<TargetInventory> inventory = new AtomicReference<>();
    final Path hostCaPub;

    BastionFixture(Path dir) throws IOException {
        this(dir, null);
    }

    /** @param storageOverride null for the filesystem store under dir/recordings */
    BastionFixture(Path dir, RecordingStorage storageOverride) throws IOException {
        this(dir, storageOverride, dev.portcullis.bastion.server.ChannelLimits.Settings.defaults());
    }

    BastionFixture(
            Path dir, RecordingStorage storageOverride, dev.portcullis.bastion.server.ChannelLimits.Settings limits)
            throws IOException {
        this(dir, storageOverride, limits, 0);
    }

    /** @param targetPort where the grants say the target listens (a relay in front of sshd); 0 for sshd itself */
    BastionFixture(
            Path dir,
            RecordingStorage storageOverride,
            dev.portcullis.bastion.server.ChannelLimits.Settings limits,
            int targetPort)
            throws IOException {
        this.dir = dir;
        this.sshd = LocalSshd.shared();
        this.grants = new GrantBook(TARGET, targetPort > 0 ? targetPort : sshd.port(), sshd.login());
        // the bastion's key at the target: authorized there, never seen by users
        Path upstreamKey = dir.resolve("upstream_key");
        sshd.authorize(LocalSshd.generateClientKey(upstreamKey));
        Path targets = dir.resolve("targets.yaml");
        Files.writeString(targets, """
                targets:
                  %1$s:
                    hostKey: %2$s
                    identityFile: %3$s
                  %1$s-fwd:
                    hostKey: %2$s
                    identityFile: %3$s
                """.formatted(TARGET, sshd.hostPublicKey(), upstreamKey));
        inventory.set(TargetInventory.load(targets));
        // user CA and host CA, as the broker would hold them
        Commands.run(List.of(
                "ssh-keygen",
                "-q",
                "-t",
                "ed25519",
                "-N",
                "",
                "-C",
                "user-ca",
                "-f",
                dir.resolve("user_ca").toString()));
        Commands.run(List.of(
                "ssh-keygen",
                "-q",
                "-t",
                "ed25519",
                "-N",
                "",
                "-C",
                "host-ca",
                "-f",
                dir.resolve("host_ca").toString()));
        hostCaPub = dir.resolve("host_ca.pub");
        PublicKey userCa = TargetInventory.parsePublicKey(Files.readString(dir.resolve("user_ca.pub")));
        hostKey = HostKeys.loadOrGenerate(dir.resolve("bastion/ssh_host_ed25519_key"));
        Path hostPub = dir.resolve("bastion_host.pub");
        Files.writeString(hostPub, PublicKeyEntry.toString(hostKey.getPublic()) + "\n");
        Commands.run(List.of(
                "ssh-keygen",
                "-q",
                "-s",
                dir.resolve("host_ca").toString(),
                "-h",
                "-I",
                "bastion",
                "-n",
                TARGET + ",localhost",
                "-V",
                "-5m:+1h",
                hostPub.toString()));
        OpenSshCertificate hostCert = (OpenSshCertificate)
                TargetInventory.parsePublicKey(Files.readString(dir.resolve("bastion_host-cert.pub")));

        recordingsDir = dir.resolve("recordings");
        storage = storageOverride != null
                ? storageOverride
                : BenchS3.ON ? BenchS3.storage("bastion-test") : new FileSystemRecordingStorage(recordingsDir);
        signer = RecordingKeys.loadOrGenerate(dir.resolve("rec.pem"), dir.resolve("rec.pub.pem"));
        recordings = new Recordings(
                storage, signer, Bastion.RECORDING_OPTIONS, dev.portcullis.recording.RecordingClock.system());
        bastion = Bastion.start(
                new Bastion.Parts(
                        "127.0.0.1",
                        0,
                        hostKey,
                        recordings,
                        inventory::get,
                        grants,
                        index,
                        () -> userCa,
                        () -> hostCert,
                        Map.of(),
                        PORTAL,
                        "bastion-test",
                        Duration.ofSeconds(10),
                        Clock.systemUTC(),
                        null,
                        null),
                limits);
        Files.writeString(
                dir.resolve("known_hosts"),
                "[127.0.0.1]:" + bastion.port() + " " + PublicKeyEntry.toString(hostKey.getPublic()) + "\n"
                        + "@cert-authority " + TARGET + " "
                        + Files.readString(hostCaPub).trim() + "\n");
    }

    /** A throwaway key for a person, with a certificate from the user CA naming them. */
    Path person(String name) throws IOException {
        return person(name, "user_ca", name);
    }

    Path person(String file, String ca, String principals) throws IOException {
        Path key = dir.resolve(file);
        if (!Files.exists(key)) {
            Commands.run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key.toString()));
        }
        Path caKey = dir.resolve(ca);
        if (!Files.exists(caKey)) {
            Commands.run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", caKey.toString()));
        }
        Commands.run(List.of(
                "ssh-keygen",
                "-q",
                "-s",
                caKey.toString(),
                "-I",
                file + "-test",
                "-n",
                principals,
                "-V",
                "-5m:+1h",
                key + ".pub"));
        return key;
    }

    /** ssh options for talking to this bastion with a key (and its certificate when there is one). */
    List<String> ssh(Path key, String user, String... command) {
        List<String> cmd = new ArrayList<>(List.of(
                "ssh",
                "-F",
                "/dev/null",
                "-p",
                String.valueOf(bastion.port()),
                "-i",
                key.toString(),
                "-o",
                "IdentitiesOnly=yes",
                "-o",
                "BatchMode=yes",
                "-o",
                "StrictHostKeyChecking=yes",
                "-o",
                "UserKnownHostsFile=" + dir.resolve("known_hosts"),
                "-o",
                "ConnectTimeout=10",
                "-o",
                "LogLevel=ERROR"));
        if (Files.exists(Path.of(key + "-cert.pub"))) {
            cmd.addAll(List.of("-o", "CertificateFile=" + key + "-cert.pub"));
        }
        cmd.add(user + "@127.0.0.1");
        cmd.addAll(List.of(command));
        return cmd;
    }

    /** What an {@code ssh -L} through the bastion read: the first line from the far end ("" if refused), ssh's stderr. */
    record Forward(String line, String errors) {}

    /** ssh -L through the bastion to the target's own sshd, as seen from the target; reads its first line. */
    Forward forwardAndRead(Path key, String user) throws Exception {
        int local;
        try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            local = s.getLocalPort();
        }
        List<String> cmd = new ArrayList<>(ssh(key, user));
        cmd.replaceAll(
                a -> a.equals("LogLevel=ERROR") ? "LogLevel=INFO" : a); // OpenSSH prints refused channels at INFO
        cmd.addAll(1, List.of("-N", "-o", "ExitOnForwardFailure=yes", "-L", local + ":127.0.0.1:" + sshd.port()));
        Process ssh = startProcess(cmd);
        StringBuffer err = new StringBuffer();
        Thread errors = new Thread(() -> {
            try (var in = new java.io.BufferedReader(
                    new java.io.InputStreamReader(ssh.getErrorStream(), java.nio.charset.StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    err.append(line).append('\n');
                }
            } catch (IOException ignored) {
                // the process ended
            }
        });
        errors.start();
        String read = null;
        try {
            for (int i = 0; i < 100 && read == null; i++) {
                try (var socket = new java.net.Socket("127.0.0.1", local)) {
                    socket.setSoTimeout(10_000);
                    var in = new java.io.BufferedReader(new java.io.InputStreamReader(
                            socket.getInputStream(), java.nio.charset.StandardCharsets.UTF_8));
                    String line = in.readLine();
                    if (line == null) {
                        // refused: wait (bounded) for ssh to say why before it is stopped
                        for (int j = 0; j < 100 && err.indexOf("open failed") < 0; j++) {
                            Thread.sleep(100);
                        }
                    }
                    read = line == null ? "" : line;
                } catch (java.net.ConnectException notYet) {
                    Thread.sleep(100);
                }
            }
            if (read == null) {
                throw new AssertionError("ssh -L never listened");
            }
        } finally {
            ssh.destroy();
            ssh.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
            errors.join(10_000);
        }
        return new Forward(read, err.toString());
    }

    String destination() {
        return sshd.login() + "+" + TARGET;
    }

    static Process startProcess(List<String> command) throws IOException {
        return new ProcessBuilder(command).start();
    }

    @Override
    public void close() {
        bastion.close();
    }
}
