package dev.portcullis.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real OpenSSH sshd, exercised with the real ssh, sftp and scp clients. Keys are made at run time. */
class LocalSshdTest {

    private static LocalSshd sshd;
    private static Path key;
    private static Path knownHosts;

    @TempDir
    static Path work;

    @BeforeAll
    static void startSshdAndAuthorizeAKey() throws IOException {
        sshd = LocalSshd.start(null);
        key = work.resolve("client");
        String publicKey = LocalSshd.generateClientKey(key);
        assertThat(publicKey).startsWith("ssh-ed25519 ");
        sshd.authorize(publicKey);
        sshd.authorize(publicKey); // idempotent
        knownHosts = work.resolve("known_hosts");
        Files.writeString(knownHosts, "[127.0.0.1]:" + sshd.port() + " " + sshd.hostPublicKey() + "\n");
    }

    @AfterAll
    static void stop() {
        if (sshd != null) {
            sshd.close();
        }
    }

    @Test
    void execWithAnAuthorizedKeyAndThePinnedHostKey() {
        Result r = ssh(key, knownHosts, sshd.login(), "echo hello");
        assertThat(r.exit).as(r.toString()).isZero();
        assertThat(r.out).isEqualTo("hello\n");

        assertThat(sshd.host()).isEqualTo("127.0.0.1");
        assertThat(sshd.knownHostsLine()).isEqualTo("[127.0.0.1]:" + sshd.port() + " " + sshd.hostPublicKey());
        assertThat(ssh(key, knownHosts, sshd.login(), "id -un").out.trim()).isEqualTo(sshd.login());
    }

    @Test
    void theLoginIsNeverRoot() {
        if (Processes.runningAsRoot()) {
            assertThat(sshd.login()).isEqualTo(LocalSshd.TARGET_USER);
        } else {
            assertThat(sshd.login()).isEqualTo(System.getProperty("user.name"));
        }
        assertThat(ssh(key, knownHosts, sshd.login(), "id -u").out.trim()).isNotEqualTo("0");
    }

    @Test
    void rootCannotLogInEvenWithAnAuthorizedKey() {
        assumeThat(Processes.runningAsRoot())
                .as("only a root sshd could let root in")
                .isTrue();
        Result r = ssh(key, knownHosts, "root", "echo hello");
        assertThat(r.exit).as(r.toString()).isEqualTo(255);
        assertThat(r.out).isEmpty();
    }

    @Test
    void aKeyThatIsNotAuthorizedIsRefused() {
        Path stranger = work.resolve("stranger");
        LocalSshd.generateClientKey(stranger);
        Result r = ssh(stranger, knownHosts, sshd.login(), "echo hello");
        assertThat(r.exit).as(r.toString()).isEqualTo(255);
        assertThat(r.out).isEmpty();
        assertThat(r.err).contains("Permission denied (publickey)");
    }

    @Test
    void aDifferentPinnedHostKeyIsRefusedByTheClient() throws IOException {
        Path other = work.resolve("other-host-key");
        String otherKey = LocalSshd.generateClientKey(other);
        Path wrongKnownHosts = work.resolve("wrong_known_hosts");
        Files.writeString(wrongKnownHosts, "[127.0.0.1]:" + sshd.port() + " " + otherKey + "\n");
        Result r = ssh(key, wrongKnownHosts, sshd.login(), "echo hello");
        assertThat(r.exit).as(r.toString()).isEqualTo(255);
        assertThat(r.err).contains("Host key verification failed");
    }

    @Test
    void theFingerprintIsWhatSshKeygenPrints() throws IOException {
        Path pub = work.resolve("host.pub");
        Files.writeString(pub, sshd.hostPublicKey() + "\n");
        Result r = run(List.of("ssh-keygen", "-l", "-f", pub.toString()));
        assertThat(r.exit).as(r.toString()).isZero();
        assertThat(sshd.hostKeyFingerprint()).startsWith("SHA256:");
        assertThat(r.out).contains(" " + sshd.hostKeyFingerprint() + " ");
    }

    @Test
    void clientEnvironmentVariablesAreNotAccepted() {
        Result r = ssh(
                key,
                knownHosts,
                sshd.login(),
                "echo \"[$PORTCULLIS_PROBE][$none]\"",
                "-o",
                "SetEnv=PORTCULLIS_PROBE=leaked none=leaked");
        assertThat(r.exit).as(r.toString()).isZero();
        assertThat(r.out).isEqualTo("[][]\n");
    }

    @Test
    void sftpPutAndGetRoundTripAFile() throws IOException {
        byte[] content = new byte[200_000];
        new SecureRandom().nextBytes(content);
        Path up = work.resolve("up.bin");
        Path down = work.resolve("down.bin");
        Files.write(up, content);
        String remote = "portcullis-sftp-" + Processes.secret().substring(0, 8) + ".bin";
        Path batch = work.resolve("sftp-batch");
        Files.writeString(batch, "put " + up + " " + remote + "\nget " + remote + " " + down + "\nrm " + remote + "\n");

        List<String> command = new ArrayList<>(List.of("sftp", "-P", String.valueOf(sshd.port())));
        command.addAll(clientOptions(key, knownHosts));
        command.addAll(List.of("-b", batch.toString(), sshd.login() + "@127.0.0.1"));
        Result r = run(command);
        assertThat(r.exit).as(r.toString()).isZero();
        assertThat(Files.readAllBytes(down)).isEqualTo(content);
    }

    @Test
    void scpCopiesBothWays() throws IOException {
        Path up = work.resolve("scp-up.txt");
        Path down = work.resolve("scp-down.txt");
        Files.writeString(up, "copied by scp " + Processes.secret() + "\n");
        String remote = "portcullis-scp-" + Processes.secret().substring(0, 8) + ".txt";
        String target = sshd.login() + "@127.0.0.1:" + remote;

        List<String> put = new ArrayList<>(List.of("scp", "-P", String.valueOf(sshd.port())));
        put.addAll(clientOptions(key, knownHosts));
        put.addAll(List.of(up.toString(), target));
        Result r = run(put);
        assertThat(r.exit).as(r.toString()).isZero();

        List<String> get = new ArrayList<>(List.of("scp", "-P", String.valueOf(sshd.port())));
        get.addAll(clientOptions(key, knownHosts));
        get.addAll(List.of(target, down.toString()));
        r = run(get);
        assertThat(r.exit).as(r.toString()).isZero();
        assertThat(Files.readString(down)).isEqualTo(Files.readString(up));
        assertThat(ssh(key, knownHosts, sshd.login(), "rm " + remote).exit).isZero();
    }

    @Test
    void authorizeTakesOneKeyLineOnly() {
        assertThatThrownBy(() -> sshd.authorize("ssh-ed25519 AAAA\nssh-ed25519 BBBB"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> sshd.authorize("  ")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LocalSshd.generateClientKey(key))
                .as("never overwrites a key")
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void afterCloseThePortIsClosedAndATemporaryDirectoryIsGone() {
        LocalSshd own = LocalSshd.start(null);
        int port = own.port();
        Path dir = own.directory();
        assertThat(Processes.isListening(port)).isTrue();
        own.close();
        own.close(); // idempotent
        assertThat(Processes.isListening(port)).isFalse();
        assertThat(Files.exists(dir)).isFalse();
    }

    @Test
    void aPersistentDirectoryKeepsItsHostKeyAndAFixedPortIsUsed(@TempDir Path scratch) throws IOException {
        Path dir = Files.createTempDirectory("portcullis-sshd-persistent-");
        try {
            int port = Processes.freeLoopbackPort();
            String hostKey;
            try (LocalSshd first = LocalSshd.start(dir, port)) {
                assertThat(first.port()).isEqualTo(port);
                hostKey = first.hostPublicKey();
                Path other = Files.createTempDirectory("portcullis-sshd-other-");
                try {
                    assertThatThrownBy(() -> LocalSshd.start(other, port)).hasMessageContaining("already in use");
                } finally {
                    Processes.deleteTree(other);
                }
                // As if the process that started it were gone: stopExisting finds it by its pid file.
                LocalSshd.stopExisting(dir);
                assertThat(Processes.isListening(port)).isFalse();
            }
            LocalSshd.stopExisting(dir); // nothing running: no-op
            try (LocalSshd second = LocalSshd.start(dir)) {
                assertThat(second.hostPublicKey()).isEqualTo(hostKey);
                Path kh = scratch.resolve("known_hosts");
                Files.writeString(kh, second.knownHostsLine() + "\n");
                String publicKey = LocalSshd.generateClientKey(scratch.resolve("k"));
                second.authorize(publicKey);
                Result r = ssh(second.port(), scratch.resolve("k"), kh, second.login(), "echo again");
                assertThat(r.exit).as(r.toString()).isZero();
                assertThat(r.out).isEqualTo("again\n");
            }
            assertThat(Files.exists(dir.resolve("ssh_host_ed25519_key")))
                    .as("a persistent directory stays")
                    .isTrue();
        } finally {
            LocalSshd.stopExisting(dir);
            Processes.deleteTree(dir);
        }
    }

    // ---- running the real clients

    private static List<String> clientOptions(Path identity, Path userKnownHosts) {
        return List.of(
                "-F",
                "/dev/null",
                "-i",
                identity.toString(),
                "-o",
                "IdentitiesOnly=yes",
                "-o",
                "BatchMode=yes",
                "-o",
                "StrictHostKeyChecking=yes",
                "-o",
                "UserKnownHostsFile=" + userKnownHosts,
                "-o",
                "GlobalKnownHostsFile=/dev/null",
                "-o",
                "ConnectTimeout=10");
    }

    private static Result ssh(Path identity, Path userKnownHosts, String user, String remoteCommand, String... extra) {
        return ssh(sshd.port(), identity, userKnownHosts, user, remoteCommand, extra);
    }

    private static Result ssh(
            int port, Path identity, Path userKnownHosts, String user, String remoteCommand, String... extra) {
        List<String> command = new ArrayList<>(List.of("ssh", "-p", String.valueOf(port)));
        command.addAll(clientOptions(identity, userKnownHosts));
        command.addAll(List.of(extra));
        command.addAll(List.of(user + "@127.0.0.1", remoteCommand));
        return run(command);
    }

    private static Result ssh(Path identity, Path userKnownHosts, String user, String remoteCommand) {
        return ssh(identity, userKnownHosts, user, remoteCommand, new String[0]);
    }

    /** Runs a command with a bounded wait; stdin is /dev/null. */
    private static Result run(List<String> command) {
        try {
            Path out = Files.createTempFile(work, "out-", ".txt");
            Path err = Files.createTempFile(work, "err-", ".txt");
            Process p = new ProcessBuilder(command)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile())
                    .start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError(
                        String.join(" ", command) + " did not finish within 60 s; stderr:\n" + Files.readString(err));
            }
            return new Result(
                    command,
                    p.exitValue(),
                    Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new AssertionError("cannot run " + command.get(0) + " (apt-get install -y openssh-client)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    private record Result(List<String> command, int exit, String out, String err) {
        @Override
        public String toString() {
            return String.join(" ", command) + " -> exit " + exit + "\nstdout: " + out + "\nstderr: " + err;
        }
    }
}
