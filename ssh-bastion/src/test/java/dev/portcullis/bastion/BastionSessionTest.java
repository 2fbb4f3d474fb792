package dev.portcullis.bastion;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.local.Commands;
import dev.portcullis.local.Commands.Result;
import dev.portcullis.recording.RecordingVerifier;
import dev.portcullis.recording.event.ExecEvent;
import dev.portcullis.recording.event.FileOperationEvent;
import dev.portcullis.recording.event.FileTransferEvent;
import dev.portcullis.recording.event.StructuredEvent;
import dev.portcullis.recording.read.RecordingReader;
import dev.portcullis.workflow.port.SessionIndex;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bastion as people use it: stock OpenSSH clients, a real OpenSSH sshd behind it, recordings on disk.
 */
class BastionSessionTest {

    @TempDir
    static Path dir;

    static BastionFixture f;
    static Path alice;

    @BeforeAll
    static void start() throws IOException {
        f = new BastionFixture(dir);
        alice = f.person("alice");
    }

    @AfterAll
    static void stop() {
        if (f != null) {
            f.close();
        }
    }

    @BeforeEach
    void noGrants() {
        f.grants.clear();
        f.grants.unreachable = false;
    }

    @Test
    void anExecUnderAGrantRunsOnTheTargetAndIsRecordedAndIndexed() throws Exception {
        UUID grant = f.grants.grant("alice", BastionFixture.TARGET, f.sshd.login(), Duration.ofMinutes(10));
        Result r = Commands.run(f.ssh(alice, f.destination(), "echo hello from $(whoami); exit 3"));
        assertThat(r.out()).isEqualTo("hello from " + f.sshd.login() + "\n");
        assertThat(r.exit()).as("the target's exit status reaches the user").isEqualTo(3);

        SessionIndex.Opened opened = lastOpened();
        assertThat(opened.username()).isEqualTo("alice");
        assertThat(opened.login()).isEqualTo(f.sshd.login());
        assertThat(opened.requestId()).isEqualTo(grant);
        SessionIndex.Closed closed = awaitClosed(opened.sessionId());
        assertThat(closed.status()).isEqualTo("CLOSED");
        assertThat(closed.bytesOut()).isEqualTo(r.out().length());

        assertThat(RecordingVerifier.verify(f.storage, opened.recordingId(), f.signer.publicKey())
                        .status())
                .isEqualTo(RecordingVerifier.Status.VALID);
        RecordingReader reader = RecordingReader.open(f.storage, opened.recordingId());
        assertThat(events(reader)).contains(new ExecEvent("echo hello from $(whoami); exit 3"));
        assertThat(reader.searchOutput("hello from " + f.sshd.login())).isNotEmpty();
        assertThat(reader.metadata().attributes())
                .containsEntry("user", "alice")
                .containsEntry("grant", grant.toString());
    }

    @Test
    void bulkOutputPassesWholeAndItsRecordingHoldsEveryCharacter() throws Exception {
        f.grants.grant("alice", BastionFixture.TARGET, f.sshd.login(), Duration.ofMinutes(10));
        // about 7 MB in one stream, quotes, backslashes, tabs and two-byte characters in every line: the relay's reads
        // grow to half a megabyte, its writes go out a packet at a time, and the recorder cuts them into lines,
        // characters cut between reads included
        String line = "tr\u00e8s \"longue\" ligne \\ avec\tune tabulation";
        int lines = 250_000;
        Result r = Commands.run(
                f.ssh(alice, f.destination(), "yes '" + line + "' | head -n " + lines), null, Duration.ofMinutes(3));
        String expected = (line + "\n").repeat(lines);
        assertThat(r.exit()).isZero();
        assertThat(r.out().length()).isEqualTo(expected.length());
        assertThat(r.out()).isEqualTo(expected);

        SessionIndex.Opened opened = lastOpened();
        SessionIndex.Closed closed = awaitClosed(opened.sessionId());
        assertThat(closed.bytesOut()).isEqualTo(expected.getBytes(StandardCharsets.UTF_8).length);
        assertThat(RecordingVerifier.verify(f.storage, opened.recordingId(), f.signer.publicKey())
                        .status())
                .isEqualTo(RecordingVerifier.Status.VALID);
        StringBuilder recorded = new StringBuilder();
        RecordingReader.open(f.storage, opened.recordingId()).terminalEvents().forEach(e -> recorded.append(e.data()));
        assertThat(recorded.length()).isEqualTo(expected.length());
        assertThat(recorded.toString()).isEqualTo(expected);
    }

    @Test
    void usersGetAesGcmAndAClientWithoutItIsToldSo() throws Exception {
        f.grants.grant("alice", BastionFixture.TARGET, f.sshd.login(), Duration.ofMinutes(10));
        List<String> verbose = new java.util.ArrayList<>(f.ssh(alice, f.destination(), "true"));
        verbose.addAll(1, List.of("-o", "LogLevel=DEBUG1")); // before the fixture's LogLevel: the first value wins
        Result r = Commands.run(verbose);
        assertThat(r.exit()).isZero();
        assertThat(r.err()).contains("cipher: aes128-gcm@openssh.com");

        List<String> ctrOnly = new java.util.ArrayList<>(f.ssh(alice, f.destination(), "true"));
        // at OpenSSH's default log level the client says why, naming what the bastion offers
        ctrOnly.addAll(1, List.of("-o", "LogLevel=INFO", "-c", "aes128-ctr,aes256-ctr,chacha20-poly1305@openssh.com"));
        Result refused = Commands.run(ctrOnly);
        assertThat(refused.exit()).isEqualTo(255);
        assertThat(refused.err())
                .contains("no matching cipher found. Their offer: aes128-gcm@openssh.com,aes256-gcm@openssh.com");
    }

    @Test
    void withoutAGrantTheUserIsToldWhyInOneLine() throws Exception {
        Result r = Commands.run(f.ssh(alice, f.destination(), "true"));
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err().trim())
                .isEqualTo("portcullis: no active grant for " + f.sshd.login() + "@" + BastionFixture.TARGET
                        + "; request one at " + BastionFixture.PORTAL);

        f.grants.grant("alice", BastionFixture.TARGET, f.sshd.login(), Duration.ofMinutes(10));
        Result bob = Commands.run(f.ssh(f.person("bob"), f.destination(), "true"));
        assertThat(bob.exit()).as("alice's grant is not bob's").isEqualTo(1);
        assertThat(bob.err()).contains("no active grant");

        Result noTarget = Commands.run(f.ssh(alice, f.sshd.login() + "+nowhere", "true"));
        assertThat(noTarget.err()).contains("portcullis: there is no target named 'nowhere'");

        Result malformed = Commands.run(f.ssh(alice, "Root+web+x", "true"));
        assertThat(malformed.exit()).isEqualTo(1);
        assertThat(malformed.err().trim())
                .isEqualTo(
                        "portcullis: 'Root+web+x' is not LOGIN+TARGET (lower-case letters, digits, '.', '_' and '-', one '+')");
        Result noDestination = Commands.run(f.ssh(alice, "alice", "true"));
        assertThat(noDestination.err())
                .contains("this connection names no target: use ssh -p PORT LOGIN+TARGET@BASTION");

        f.grants.unreachable = true;
        Result brokerDown = Commands.run(f.ssh(alice, f.destination(), "true"));
        assertThat(brokerDown.exit()).isEqualTo(1);
        assertThat(brokerDown.err()).contains("the broker cannot be reached");
    }

    @Test
    void onlyCertificatesOfTheBrokersCaNamingThePersonGetIn() throws Exception {
        f.grants.grant("mallory", BastionFixture.TARGET, f.sshd.login(), Duration.ofMinutes(10));
        f.grants.grant("alice", BastionFixture.TARGET, f.sshd.login(), Duration.ofMinutes(10));
        Path rogue = f.person("mallory", "rogue_ca", "mallory");
        Result otherCa = Commands.run(f.ssh(rogue, f.destination(), "true"));
        assertThat(otherCa.exit()).isEqualTo(255);
        assertThat(otherCa.err()).contains("Permission denied");

        Path two = f.person("twofaced", "user_ca", "alice,mallory");
        assertThat(Commands.run(f.ssh(two, f.destination(), "true")).exit())
                .as("a certificate naming two people")
                .isEqualTo(255);

        Path plain = f.dir.resolve("plain");
        Commands.run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", plain.toString()));
        assertThat(Commands.run(f.ssh(plain, f.destination(), "true")).exit())
                .as("a plain key")
                .isEqualTo(255);

        // a jump connection's name must be one of the certificate's principals
        assertThat(Commands.run(f.ssh(alice, "mallory", "true")).exit()).isEqualTo(255);
    }

    @Test
    void anInteractiveShellWithAPtyIsRecordedAsAnAsciicastThatAsciinemaReads() throws Exception {
        f.grants.grant("alice", BastionFixture.TARGET, f.sshd.login(), Duration.ofMinutes(10));
        List<String> cmd = new java.util.ArrayList<>(f.ssh(alice, f.destination()));
        cmd.add(1, "-tt");
        Result r = Commands.run(cmd, "echo $((6*7))-answer; stty size; exit\n", Duration.ofSeconds(60));
        assertThat(r.out()).contains("42-answer");
        // the target gave the shell a terminal, even though ssh -tt had none to describe: CR LF line ends, stty works
        assertThat(r.out()).contains("42-answer\r\n").doesNotContain("Inappropriate ioctl");
        SessionIndex.Opened opened = lastOpened();
        awaitClosed(opened.sessionId());
        RecordingReader reader = RecordingReader.open(f.storage, opened.recordingId());
        assertThat(reader.searchOutput("42-answer")).isNotEmpty();
        assertThat(reader.metadata().inputRecorded()).isTrue();
        Path cast = f.dir.resolve("shell.cast");
        try (var out = Files.newOutputStream(cast)) {
            reader.exportCast(out);
        }
        // asciinema wants a terminal even to print a recording: give it one with script(1)
        Result cat = Commands.run(List.of("script", "-qec", "asciinema cat " + cast, "/dev/null"));
        assertThat(cat.exit()).as(cat.err()).isZero();
        assertThat(cat.out()).contains("42-answer");
    }

    @Test
    void sftpAndScpTransfersAreRecordedAsFileEvents() throws Exception {
        f.grants.grant("alice", BastionFixture.TARGET, f.sshd.login(), Duration.ofMinutes(10));
        byte[] content = new byte[300_000];
        new java.util.Random(7).nextBytes(content);
        Path local = f.dir.resolve("upload.bin");
        Files.write(local, content);
        String remote = "/tmp/portcullis-" + UUID.randomUUID() + ".bin";
        Path batch = f.dir.resolve("batch");
        Files.writeString(
                batch,
                "put " + local + " " + remote + "\nget " + remote + " " + f.dir.resolve("back.bin") + "\nrm " + remote
                        + "\n");
        List<String> sftp = new java.util.ArrayList<>(f.ssh(alice, f.destination()));
        sftp.set(0, "sftp");
        sftp.set(sftp.indexOf("-p"), "-P");
        sftp.addAll(1, List.of("-b", batch.toString()));
        Result r = Commands.run(sftp);
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(Files.readAllBytes(f.dir.resolve("back.bin"))).isEqualTo(content);
        SessionIndex.Opened opened = lastOpened();
        awaitClosed(opened.sessionId());
        List<StructuredEvent> events = events(RecordingReader.open(f.storage, opened.recordingId()));
        assertThat(events)
                .contains(
                        new FileTransferEvent(
                                dev.portcullis.recording.event.FileProtocol.SFTP,
                                FileTransferEvent.Direction.UPLOAD,
                                remote,
                                content.length),
                        new FileTransferEvent(
                                dev.portcullis.recording.event.FileProtocol.SFTP,
                                FileTransferEvent.Direction.DOWNLOAD,
                                remote,
                                content.length),
                        new FileOperationEvent(
                                dev.portcullis.recording.event.FileProtocol.SFTP,
                                FileOperationEvent.Operation.REMOVE,
                                remote,
                                null));

        // legacy scp protocol (scp -O) runs "scp -t" over exec
        List<String> scp = new java.util.ArrayList<>(f.ssh(alice, f.destination()));
        scp.set(0, "scp");
        scp.set(scp.indexOf("-p"), "-P");
        String userAtHost = scp.remove(scp.size() - 1);
        scp.add(1, "-O");
        scp.add(local.toString());
        scp.add(userAtHost + ":" + remote);
        Result s = Commands.run(scp);
        assertThat(s.exit()).as(s.err()).isZero();
        SessionIndex.Opened scpSession = lastOpened();
        awaitClosed(scpSession.sessionId());
        List<StructuredEvent> scpEvents = events(RecordingReader.open(f.storage, scpSession.recordingId()));
        assertThat(scpEvents).anySatisfy(e -> {
            assertThat(e).isInstanceOf(FileTransferEvent.class);
            FileTransferEvent t = (FileTransferEvent) e;
            assertThat(t.protocol()).isEqualTo(dev.portcullis.recording.event.FileProtocol.SCP);
            assertThat(t.direction()).isEqualTo(FileTransferEvent.Direction.UPLOAD);
            assertThat(t.path()).isEqualTo(remote);
            assertThat(t.bytes()).isGreaterThanOrEqualTo(content.length);
        });
    }

    @Test
    void theEndOfAGrantCutsALiveSessionWithAMessage() throws Exception {
        f.grants.grant("alice", BastionFixture.TARGET, f.sshd.login(), Duration.ofSeconds(4));
        Process p = BastionFixture.startProcess(f.ssh(alice, f.destination(), "echo started; sleep 120"));
        var out = Commands.drain(p.getInputStream());
        var err = Commands.drain(p.getErrorStream());
        assertThat(p.waitFor(60, TimeUnit.SECONDS))
                .as("the bastion's own timer ends the session")
                .isTrue();
        assertThat(out.get(10, TimeUnit.SECONDS)).contains("started");
        assertThat(err.get(10, TimeUnit.SECONDS))
                .contains("portcullis: your grant for " + f.sshd.login() + "@web ended");
        SessionIndex.Opened opened = lastOpened();
        assertThat(awaitClosed(opened.sessionId()).status()).isEqualTo("GRANT_ENDED");
        assertThat(RecordingVerifier.verify(f.storage, opened.recordingId(), f.signer.publicKey())
                        .status())
                .isEqualTo(RecordingVerifier.Status.VALID);
    }

    @Test
    void aRevocationFromTheBrokerCutsTheSessionsOfThatGrantOnly() throws Exception {
        UUID grant = f.grants.grant("alice", BastionFixture.TARGET, f.sshd.login(), Duration.ofMinutes(10));
        Process p = BastionFixture.startProcess(f.ssh(alice, f.destination(), "echo started; sleep 120"));
        var err = Commands.drain(p.getErrorStream());
        awaitLive(grant);
        // the command runs on the target: a session ended while the target is still being reached never does
        var out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        assertThat(out.readLine()).isEqualTo("started");
        f.bastion.liveSessions().grantEnded(UUID.randomUUID(), "some other grant");
        assertThat(p.isAlive()).isTrue();
        f.bastion.liveSessions().grantEnded(grant, "your grant for x was revoked: incident closed");
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(err.get(10, TimeUnit.SECONDS)).contains("portcullis: your grant for x was revoked: incident closed");
    }

    @Test
    void aTargetPresentingAnotherHostKeyIsRefusedAndReported() throws Exception {
        var pinned = f.inventory.get();
        try {
            Path other = f.dir.resolve("other_host_key");
            Commands.run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", other.toString()));
            Path targets = f.dir.resolve("targets-wrong.yaml");
            Files.writeString(targets, """
                    targets:
                      %s:
                        hostKey: %s
                        identityFile: %s
                    """.formatted(
                            BastionFixture.TARGET,
                            Files.readString(Path.of(other + ".pub")).trim(),
                            f.dir.resolve("upstream_key")));
            f.inventory.set(dev.portcullis.bastion.upstream.TargetInventory.load(targets));
            f.grants.grant("alice", BastionFixture.TARGET, f.sshd.login(), Duration.ofMinutes(10));
            Result r = Commands.run(f.ssh(alice, f.destination(), "echo should-not-run"));
            assertThat(r.exit()).isEqualTo(1);
            assertThat(r.out()).doesNotContain("should-not-run");
            assertThat(r.err()).contains("portcullis: host key mismatch for web");
            SessionIndex.Closed closed = awaitClosed(lastOpened().sessionId());
            assertThat(closed.status()).isEqualTo("REFUSED");
            assertThat(closed.detail()).contains("host key mismatch").contains(f.sshd.hostKeyFingerprint());
        } finally {
            f.inventory.set(pinned);
        }
    }

    @Test
    void portForwardingOnlyWhereTheRuleAllowsItAndItLeavesFromTheTarget() throws Exception {
        f.grants.grant("alice", BastionFixture.TARGET, f.sshd.login(), Duration.ofMinutes(10));
        f.grants.grant("alice", BastionFixture.TARGET + "-fwd", f.sshd.login(), Duration.ofMinutes(10));
        // forward to the target's own sshd, as seen from the target: its banner proves the connection went through
        String allowed = f.forwardAndRead(alice, f.sshd.login() + "+" + BastionFixture.TARGET + "-fwd")
                .line();
        assertThat(allowed).startsWith("SSH-2.0-OpenSSH");
        SessionIndex.Opened forward = lastOpened();
        assertThat(forward.target()).isEqualTo(BastionFixture.TARGET + "-fwd");
        SessionIndex.Closed closed = awaitClosed(forward.sessionId());
        assertThat(closed.bytesOut()).isGreaterThan(0);
        assertThat(events(RecordingReader.open(f.storage, forward.recordingId())))
                .anySatisfy(e -> {
                    assertThat(e).isInstanceOf(dev.portcullis.recording.event.ForwardEvent.class);
                    assertThat(((dev.portcullis.recording.event.ForwardEvent) e).port())
                            .isEqualTo(f.sshd.port());
                    assertThat(((dev.portcullis.recording.event.ForwardEvent) e).bytesFromTarget())
                            .isEqualTo(closed.bytesOut());
                });

        int before = f.index.opened.size();
        BastionFixture.Forward refused = f.forwardAndRead(alice, f.destination());
        assertThat(refused.line()).as("the default rule refuses forwarding").isEmpty();
        assertThat(f.index.opened).hasSize(before);
        assertThat(refused.errors())
                .contains("administratively prohibited: port forwarding is not allowed for " + f.sshd.login() + "@web");
    }

    @Test
    void agentForwardingOnlyWhereTheRuleAllowsIt() throws Exception {
        f.grants.grant("alice", BastionFixture.TARGET, f.sshd.login(), Duration.ofMinutes(10));
        f.grants.grant("alice", BastionFixture.TARGET + "-fwd", f.sshd.login(), Duration.ofMinutes(10));
        Path socket = f.dir.resolve("agent.sock");
        Process agent = new ProcessBuilder("ssh-agent", "-D", "-a", socket.toString())
                .redirectErrorStream(true)
                .start();
        try {
            for (int i = 0; i < 100 && !Files.exists(socket); i++) {
                Thread.sleep(50);
            }
            Path agentKey = f.dir.resolve("agent_key");
            if (!Files.exists(agentKey)) {
                Commands.run(List.of(
                        "ssh-keygen",
                        "-q",
                        "-t",
                        "ed25519",
                        "-N",
                        "",
                        "-C",
                        "forwarded-key",
                        "-f",
                        agentKey.toString()));
            }
            ProcessBuilder add = new ProcessBuilder("ssh-add", agentKey.toString()).redirectErrorStream(true);
            add.environment().put("SSH_AUTH_SOCK", socket.toString());
            assertThat(add.start().waitFor()).isZero();

            Result allowed =
                    withAgent(socket, f.sshd.login() + "+" + BastionFixture.TARGET + "-fwd", "ssh-add -l; echo rc=$?");
            assertThat(allowed.out()).as(allowed.err()).contains("forwarded-key", "rc=0");
            Result refused = withAgent(socket, f.destination(), "ssh-add -l; echo rc=$?");
            assertThat(refused.out()).doesNotContain("forwarded-key").contains("rc=2");
        } finally {
            agent.destroy();
        }
    }

    private static Result withAgent(Path socket, String user, String command) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(f.ssh(alice, user, command));
        cmd.add(1, "-A");
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("SSH_AUTH_SOCK", socket.toString());
        Process p = pb.start();
        var out = Commands.drain(p.getInputStream());
        var err = Commands.drain(p.getErrorStream());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Result(p.exitValue(), out.get(10, TimeUnit.SECONDS), err.get(10, TimeUnit.SECONDS));
    }

    @Test
    void proxyJumpWithAHostCertificateForTheTargetName() throws Exception {
        f.grants.grant("alice", BastionFixture.TARGET, f.sshd.login(), Duration.ofMinutes(10));
        Path config = f.dir.resolve("ssh_config");
        Files.writeString(config, """
                Host bastion
                  HostName 127.0.0.1
                  Port %d
                  User alice
                Host %s
                  User %s
                  ProxyJump bastion
                Host *
                  IdentityFile %s
                  CertificateFile %s-cert.pub
                  IdentitiesOnly yes
                  UserKnownHostsFile %s
                  StrictHostKeyChecking yes
                  BatchMode yes
                """.formatted(
                f.bastion.port(), BastionFixture.TARGET, f.sshd.login(), alice, alice, f.dir.resolve("known_hosts")));
        Result r = Commands.run(
                List.of("ssh", "-F", config.toString(), BastionFixture.TARGET, "echo jumped as $(whoami)"));
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("jumped as " + f.sshd.login() + "\n");
        SessionIndex.Opened opened = lastOpened();
        assertThat(opened.username()).isEqualTo("alice");
        assertThat(opened.clientAddress())
                .as("the real client, not the loopback join")
                .doesNotEndWith(":" + f.bastion.port());

        Result unknown = Commands.run(List.of("ssh", "-F", config.toString(), "-J", "bastion", "nowhere", "true"));
        assertThat(unknown.exit()).isEqualTo(255);
        assertThat(unknown.err())
                .contains(
                        "open failed: administratively prohibited: there is no target named 'nowhere' behind this bastion");
    }

    private static SessionIndex.Opened lastOpened() throws InterruptedException {
        return f.index.lastOpened();
    }

    private static SessionIndex.Closed awaitClosed(UUID session) throws InterruptedException {
        return f.index.awaitClosed(session);
    }

    private static void awaitLive(UUID grant) throws InterruptedException {
        for (int i = 0; i < 200 && f.bastion.liveSessions().sessionsOf(grant).isEmpty(); i++) {
            Thread.sleep(50);
        }
        assertThat(f.bastion.liveSessions().sessionsOf(grant)).isNotEmpty();
    }

    private static List<StructuredEvent> events(RecordingReader reader) throws IOException {
        try (var s = reader.events()) {
            return s.map(e -> e.event()).toList();
        }
    }

    static String text(ByteArrayOutputStream out) {
        return out.toString(StandardCharsets.UTF_8);
    }
}
