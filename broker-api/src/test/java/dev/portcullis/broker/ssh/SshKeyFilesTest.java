package dev.portcullis.broker.ssh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CA key files as operators handle them with OpenSSH's own tools, and as several replicas share them. */
class SshKeyFilesTest {

    @TempDir
    Path dir;

    @Test
    void aGeneratedKeyIsAnOpenSshPrivateKeyReadableByItsOwnerOnly() throws Exception {
        Path file = dir.resolve("deep/er/user_ca");
        SshKeyFiles.Loaded first = SshKeyFiles.loadOrGenerate(file, "portcullis-user-ca");
        assertThat(first.generated()).isTrue();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                .isEqualTo("rw-------");
        String publicLine = PublicKeyEntry.toString(first.keys().getPublic());
        assertThat(run("ssh-keygen", "-y", "-f", file.toString())).startsWith(publicLine);
        assertThat(Files.readString(dir.resolve("deep/er/user_ca.pub")))
                .isEqualTo(publicLine + " portcullis-user-ca\n");
        assertThat(Files.list(file.getParent()).map(p -> p.getFileName().toString()))
                .containsExactlyInAnyOrder("user_ca", "user_ca.pub");

        SshKeyFiles.Loaded again = SshKeyFiles.loadOrGenerate(file, "portcullis-user-ca");
        assertThat(again.generated()).isFalse();
        assertThat(KeyUtils.compareKeys(again.keys().getPublic(), first.keys().getPublic()))
                .isTrue();
    }

    @Test
    void aKeyAnOperatorMadeWithSshKeygenIsUsedAsItIs() throws Exception {
        Path file = dir.resolve("host_ca");
        run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "ops", "-f", file.toString());
        SshKeyFiles.Loaded loaded = SshKeyFiles.loadOrGenerate(file, "unused");
        assertThat(loaded.generated()).isFalse();
        assertThat(Files.readString(Path.of(file + ".pub")))
                .startsWith(PublicKeyEntry.toString(loaded.keys().getPublic()));
    }

    @Test
    void keysThatAreNotEd25519OrNotKeysAtAllStopTheStart() throws Exception {
        Path rsa = dir.resolve("rsa_ca");
        run("ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", rsa.toString());
        assertThatThrownBy(() -> SshKeyFiles.loadOrGenerate(rsa, "x"))
                .hasMessageContaining("ssh-rsa key; the Portcullis CAs use Ed25519 keys");
        Path junk = Files.writeString(dir.resolve("junk"), "not a key\n");
        assertThatThrownBy(() -> SshKeyFiles.loadOrGenerate(junk, "x")).hasMessageContaining(junk.toString());
    }

    @Test
    void replicasStartingTogetherEndUpWithOneKey() throws Exception {
        Path file = dir.resolve("shared/user_ca");
        int replicas = 8;
        ExecutorService pool = Executors.newFixedThreadPool(replicas);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<KeyPair>> results = new ArrayList<>();
        for (int i = 0; i < replicas; i++) {
            Callable<KeyPair> start = () -> {
                go.await();
                return SshKeyFiles.loadOrGenerate(file, "portcullis-user-ca").keys();
            };
            results.add(pool.submit(start));
        }
        go.countDown();
        List<String> keys = new ArrayList<>();
        for (Future<KeyPair> result : results) {
            keys.add(PublicKeyEntry.toString(result.get(60, TimeUnit.SECONDS).getPublic()));
        }
        pool.shutdown();
        assertThat(keys)
                .containsOnly(PublicKeyEntry.toString(SshKeyFiles.load(file).getPublic()));
        assertThat(Files.list(file.getParent()).map(p -> p.getFileName().toString()))
                .containsExactlyInAnyOrder("user_ca", "user_ca.pub");
    }

    @Test
    void certificateLifetimesOutsideTheLimitsStopTheStart() {
        Path user = dir.resolve("user_ca");
        Path host = dir.resolve("host_ca");
        assertThatThrownBy(() -> issuer(user, host, Duration.ofHours(25), Duration.ofHours(24)))
                .hasMessageContaining("portcullis.ssh.user-cert-validity")
                .hasMessageContaining("24 hours");
        assertThatThrownBy(() -> issuer(user, host, Duration.ofSeconds(30), Duration.ofHours(24)))
                .hasMessageContaining("portcullis.ssh.user-cert-validity");
        assertThatThrownBy(() -> issuer(user, host, Duration.ofHours(4), Duration.ofDays(31)))
                .hasMessageContaining("portcullis.ssh.host-cert-validity");
        assertThatThrownBy(() -> issuer(user, user, Duration.ofHours(4), Duration.ofHours(24)))
                .hasMessageContaining("the user CA and the host CA must be different keys");
    }

    private static SshCertificateIssuer issuer(Path user, Path host, Duration userValidity, Duration hostValidity) {
        return new SshCertificateIssuer(
                user.toString(),
                host.toString(),
                userValidity,
                hostValidity,
                List.of("localhost"),
                null,
                null,
                null,
                null);
    }

    private static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }
}
