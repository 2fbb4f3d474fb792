package dev.portcullis.bastion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.bastion.server.ChannelLimits;
import dev.portcullis.bastion.upstream.TargetInventory;
import dev.portcullis.local.Commands;
import dev.portcullis.local.Commands.Result;
import dev.portcullis.recording.event.FileOperationEvent;
import dev.portcullis.recording.event.FileOperationEvent.Operation;
import dev.portcullis.recording.event.FileProtocol;
import dev.portcullis.recording.event.FileTransferEvent;
import dev.portcullis.recording.event.StructuredEvent;
import dev.portcullis.recording.read.RecordingReader;
import dev.portcullis.workflow.port.SessionIndex;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.keyverifier.AcceptAllServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A grant holder, or anyone holding a certificate, trying to do more than the grant allows or to leave no trace:
 * stock OpenSSH clients (and a MINA client where OpenSSH will not misbehave) through a real bastion to a real sshd.
 */
class ChannelAttackTest {

    @TempDir
    static Path dir;

    static BastionFixture f;
    static Path alice;

    @BeforeAll
    static void start() throws IOException {
        // the defaults, with a back-off long enough that a slow machine cannot outlast it between two attempts
        ChannelLimits.Settings d = ChannelLimits.Settings.defaults();
        f = new BastionFixture(
                dir,
                null,
                new ChannelLimits.Settings(
                        d.maxOpen(),
                        d.maxOpensPerMinute(),
                        d.openingThreads(),
                        d.openingQueue(),
                        Duration.ofMinutes(5)));
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

    /** F3: an exec that starts with scp but runs a shell is a command, recorded with everything it printed. */
    @Test
    void aDisguisedScpIsRecordedAsACommandWithItsOutput() throws Exception {
        f.grants.grant("alice", BastionFixture.TARGET, f.sshd.login(), Duration.ofMinutes(10));
        // scp -f reads the first line as the client's (bad) answer and fails; sh then reads the rest
        Result r = Commands.run(
                f.ssh(alice, f.destination(), "scp -f /nonexistent-portcullis || sh"),
                "x\necho SECRET-MARKER\nexit\n",
                Duration.ofSeconds(60));
        assertThat(r.out()).as("the shell ran on the target").contains("SECRET-MARKER");
        SessionIndex.Opened opened = f.index.lastOpened();
        f.index.awaitClosed(opened.sessionId());
        RecordingReader reader = RecordingReader.open(f.storage, opened.recordingId());
        assertThat(reader.searchOutput("SECRET-MARKER"))
                .as("the shell's output is in the recording")
                .isNotEmpty();
        assertThat(events(reader)).noneMatch(e -> e instanceof FileTransferEvent);
    }

    /**
     * F3: behind the name scp, a shell that prints what looks like scp's protocol cannot pass what it prints off as a
     * file's content: the command is not a transfer, so everything it prints is recorded (the scp observer alone
     * would take the fake control line and leave the next 19 bytes out as file content).
     */
    @Test
    void aDisguisedScpCannotPassItsOutputOffAsFileContent() throws Exception {
        f.grants.grant("alice", BastionFixture.TARGET, f.sshd.login(), Duration.ofMinutes(10));
        Result r = Commands.run(
                f.ssh(alice, f.destination(), "scp -f /nonexistent-portcullis || sh"),
                "x\nprintf 'C0644 19 cover.txt\\n'; echo HIDDEN-MARKER-1234; exit\n",
                Duration.ofSeconds(60));
        assertThat(r.out()).as("the shell ran on the target").contains("HIDDEN-MARKER-1234");
        SessionIndex.Opened opened = f.index.lastOpened();
        f.index.awaitClosed(opened.sessionId());
        RecordingReader reader = RecordingReader.open(f.storage, opened.recordingId());
        assertThat(reader.searchOutput("HIDDEN-MARKER-1234"))
                .as("what the shell printed is in the recording")
                .isNotEmpty();
        assertThat(events(reader)).noneMatch(e -> e instanceof FileTransferEvent);
    }

    /** F3: a real legacy scp download is still a transfer, its control line recorded as a file event. */
    @Test
    void aRealScpDownloadIsRecordedAsAFileTransfer() throws Exception {
        f.grants.grant("alice", BastionFixture.TARGET, f.sshd.login(), Duration.ofMinutes(10));
        String remote = "/tmp/portcullis-" + UUID.randomUUID() + ".txt";
        assertThat(Commands.run(f.ssh(alice, f.destination(), "printf 'file content\\n' > " + remote))
                        .exit())
                .isZero();
        List<String> scp = new ArrayList<>(f.ssh(alice, f.destination()));
        scp.set(0, "scp");
        scp.set(scp.indexOf("-p"), "-P");
        String userAtHost = scp.remove(scp.size() - 1);
        scp.add(1, "-O");
        scp.add(userAtHost + ":" + remote);
        scp.add(f.dir.resolve("downloaded.txt").toString());
        Result s = Commands.run(scp);
        assertThat(s.exit()).as(s.err()).isZero();
        assertThat(Files.readString(f.dir.resolve("downloaded.txt"))).isEqualTo("file content\n");
        SessionIndex.Opened opened = f.index.lastOpened();
        f.index.awaitClosed(opened.sessionId());
        RecordingReader reader = RecordingReader.open(f.storage, opened.recordingId());
        assertThat(events(reader))
                .contains(new FileTransferEvent(FileProtocol.SCP, FileTransferEvent.Direction.DOWNLOAD, remote, 13));
        assertThat(reader.searchOutput("file content"))
                .as("content is not terminal output")
                .isEmpty();
        Commands.run(f.ssh(alice, f.destination(), "rm -f " + remote));
    }

    /**
     * F22: a client holding alice's certificate but not her private key offers the certificate and signs with
     * another key. The bastion must not take it for alice's connection at any point.
     */
    @Test
    void aCertificateWithoutItsPrivateKeyRegistersNoConnection() throws Exception {
        f.grants.grant("alice", BastionFixture.TARGET, f.sshd.login(), Duration.ofMinutes(10));
        Path key = f.dir.resolve("alice_ecdsa");
        Commands.run(List.of("ssh-keygen", "-q", "-t", "ecdsa", "-b", "256", "-N", "", "-f", key.toString()));
        Commands.run(List.of(
                "ssh-keygen",
                "-q",
                "-s",
                f.dir.resolve("user_ca").toString(),
                "-I",
                "alice-ecdsa",
                "-n",
                "alice",
                "-V",
                "-5m:+1h",
                key + ".pub"));
        PublicKey certificate = TargetInventory.parsePublicKey(Files.readString(Path.of(key + "-cert.pub")));
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair wrong = g.generateKeyPair();

        List<LogRecord> logged = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                logged.add(record);
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        Logger authLog = Logger.getLogger("dev.portcullis.bastion.server.CertificateAuthenticator");
        authLog.addHandler(capture);
        int openedBefore = f.index.opened.size();
        try (SshClient client = SshClient.setUpDefaultClient()) {
            client.setServerKeyVerifier(AcceptAllServerKeyVerifier.INSTANCE);
            // the bastion's host certificate names the target, not 127.0.0.1: not what this test is about
            org.apache.sshd.core.CoreModuleProperties.ABORT_ON_INVALID_CERTIFICATE.set(client, false);
            client.start();
            try (ClientSession session = client.connect(f.destination(), "127.0.0.1", f.bastion.port())
                    .verify(Duration.ofSeconds(10))
                    .getSession()) {
                session.addPublicKeyIdentity(new KeyPair(certificate, wrong.getPrivate()));
                assertThatThrownBy(() -> session.auth().verify(Duration.ofSeconds(10)))
                        .as("no login without the private key")
                        .hasMessageContaining("No more authentication methods available");
                // the connection is still open: nothing of alice's may be attached to it
                assertThat(f.bastion.connectedPeople()).doesNotContain("alice");
                assertThat(session.isAuthenticated()).isFalse();
            }
        } finally {
            authLog.removeHandler(capture);
        }
        assertThat(logged)
                .noneMatch(r -> r.getMessage() != null && r.getMessage().startsWith("authenticated alice"));
        assertThat(f.index.opened).hasSize(openedBefore);

        // alice with her key still gets in, and is registered once logged in
        Result r = Commands.run(f.ssh(alice, f.destination(), "echo in"));
        assertThat(r.out()).as(r.err()).isEqualTo("in\n");
    }

    /**
     * F12: file-tree changes OpenSSH's sftp makes through extensions (posix-rename, hardlink, copy-data, lsetstat) and
     * FSETSTAT are recorded with their paths.
     */
    @Test
    void sftpChangesMadeThroughExtensionsAreRecorded() throws Exception {
        f.grants.grant("alice", BastionFixture.TARGET, f.sshd.login(), Duration.ofMinutes(10));
        String base = "/tmp/portcullis-" + UUID.randomUUID();
        Path local = f.dir.resolve("f12.txt");
        Files.writeString(local, "some content\n");
        Path batch = f.dir.resolve("f12-batch");
        Files.writeString(
                batch,
                String.join(
                        "\n",
                        "put -p " + local + " " + base + "-a", // -p: FSETSTAT on the open handle
                        "rename " + base + "-a " + base + "-b", // posix-rename@openssh.com
                        "ln " + base + "-b " + base + "-c", // hardlink@openssh.com
                        "chmod -h 600 " + base + "-c", // lsetstat@openssh.com
                        "cp " + base + "-b " + base + "-d", // copy-data
                        "rm " + base + "-b",
                        "rm " + base + "-c",
                        "rm " + base + "-d",
                        ""));
        List<String> sftp = new ArrayList<>(f.ssh(alice, f.destination()));
        sftp.set(0, "sftp");
        sftp.set(sftp.indexOf("-p"), "-P");
        sftp.addAll(1, List.of("-b", batch.toString()));
        Result r = Commands.run(sftp);
        assertThat(r.exit()).as(r.err()).isZero();
        SessionIndex.Opened opened = f.index.lastOpened();
        f.index.awaitClosed(opened.sessionId());
        List<StructuredEvent> events = events(RecordingReader.open(f.storage, opened.recordingId()));
        assertThat(events)
                .contains(
                        new FileOperationEvent(FileProtocol.SFTP, Operation.SETSTAT, base + "-a", null),
                        new FileOperationEvent(FileProtocol.SFTP, Operation.RENAME, base + "-a", base + "-b"),
                        new FileOperationEvent(FileProtocol.SFTP, Operation.HARDLINK, base + "-b", base + "-c"),
                        new FileOperationEvent(FileProtocol.SFTP, Operation.SETSTAT, base + "-c", null),
                        new FileOperationEvent(FileProtocol.SFTP, Operation.COPY, base + "-b", base + "-d"));
    }

    /** F13: one connection cannot hold more than its bound of channels; everyone else carries on meanwhile. */
    @Test
    void oneConnectionCannotOpenChannelsBeyondItsBound() throws Exception {
        UUID grant = f.grants.grant("alice", BastionFixture.TARGET, f.sshd.login(), Duration.ofMinutes(10));
        f.grants.grant("bob", BastionFixture.TARGET, f.sshd.login(), Duration.ofMinutes(10));
        int bound = ChannelLimits.Settings.defaults().maxOpen();
        try (SshClient client = client();
                ClientSession session = login(client, "alice")) {
            List<org.apache.sshd.client.channel.ChannelExec> open = new ArrayList<>();
            for (int i = 0; i < bound; i++) {
                var c = session.createExecChannel("sleep 60");
                c.open().verify(Duration.ofSeconds(10));
                open.add(c);
            }
            for (int i = 0;
                    i < 200 && f.bastion.liveSessions().sessionsOf(grant).size() < bound;
                    i++) {
                Thread.sleep(50); // each channel asks the broker as its command starts
            }
            assertThat(f.bastion.liveSessions().sessionsOf(grant)).hasSize(bound);
            int asked = f.grants.asks.get();
            for (int i = 0; i < 20; i++) {
                var extra = session.createExecChannel("echo should-not-run");
                assertThatThrownBy(() -> extra.open().verify(Duration.ofSeconds(10)))
                        .hasMessageContaining("this connection already has " + bound + " channels open");
            }
            // bob's session works while alice's connection is full
            Result bob = Commands.run(f.ssh(f.person("bob"), f.destination(), "echo bob-ok"));
            assertThat(bob.out()).as(bob.err()).isEqualTo("bob-ok\n");
            assertThat(f.grants.asks.get() - asked)
                    .as("refused channels ask the broker nothing; bob's asked once")
                    .isEqualTo(1);
            // a channel that closes makes room for another
            open.get(0).close(false).await(Duration.ofSeconds(10));
            boolean reopened = false;
            for (int i = 0; i < 50 && !reopened; i++) {
                var again = session.createExecChannel("echo again");
                try {
                    again.open().verify(Duration.ofSeconds(10));
                    reopened = true;
                } catch (IOException e) {
                    Thread.sleep(100); // the bastion has not seen the close yet
                }
            }
            assertThat(reopened).isTrue();
        }
    }

    /** F13: someone without a grant opening channels over and over costs a few broker calls, not one per channel. */
    @Test
    void repeatedRefusalsOfOnePersonAreAnsweredWithoutTheBroker() throws Exception {
        Path mallory = f.person("mallory");
        int before = f.grants.asks.get();
        for (int i = 0; i < 6; i++) {
            Result r = Commands.run(f.ssh(mallory, f.destination(), "true"));
            assertThat(r.exit()).isEqualTo(1);
            assertThat(r.err()).contains("portcullis: no active grant for " + f.sshd.login() + "@web");
        }
        assertThat(f.grants.asks.get() - before)
                .as("asked until refused three times, then answered from memory")
                .isEqualTo(3);
        // another ask of the same person still reaches the broker (a person-wide bound is in RefusalBackoffTest)
        Result other = Commands.run(f.ssh(mallory, "l2+web", "true"));
        assertThat(other.err()).contains("portcullis: no active grant for l2@web");
        assertThat(f.grants.asks.get() - before).isEqualTo(4);
        // others are asked about as ever
        f.grants.grant("alice", BastionFixture.TARGET, f.sshd.login(), Duration.ofMinutes(10));
        assertThat(Commands.run(f.ssh(alice, f.destination(), "echo alice-ok")).out())
                .isEqualTo("alice-ok\n");
    }

    private static SshClient client() {
        SshClient client = SshClient.setUpDefaultClient();
        client.setServerKeyVerifier(AcceptAllServerKeyVerifier.INSTANCE);
        // the bastion's host certificate names the target, not 127.0.0.1: not what these tests are about
        org.apache.sshd.core.CoreModuleProperties.ABORT_ON_INVALID_CERTIFICATE.set(client, false);
        client.start();
        return client;
    }

    /** A MINA client logged in as the person with an ECDSA key and a certificate from the user CA. */
    private static ClientSession login(SshClient client, String person) throws Exception {
        Path key = f.dir.resolve(person + "_mina");
        if (!Files.exists(key)) {
            Commands.run(List.of("ssh-keygen", "-q", "-t", "ecdsa", "-b", "256", "-N", "", "-f", key.toString()));
            Commands.run(List.of(
                    "ssh-keygen",
                    "-q",
                    "-s",
                    f.dir.resolve("user_ca").toString(),
                    "-I",
                    person + "-mina",
                    "-n",
                    person,
                    "-V",
                    "-5m:+1h",
                    key + ".pub"));
        }
        PublicKey certificate = TargetInventory.parsePublicKey(Files.readString(Path.of(key + "-cert.pub")));
        KeyPair pair = new org.apache.sshd.common.keyprovider.FileKeyPairProvider(key)
                .loadKeys(null)
                .iterator()
                .next();
        ClientSession session = client.connect(f.destination(), "127.0.0.1", f.bastion.port())
                .verify(Duration.ofSeconds(10))
                .getSession();
        session.addPublicKeyIdentity(new KeyPair(certificate, pair.getPrivate()));
        session.auth().verify(Duration.ofSeconds(10));
        return session;
    }

    static List<StructuredEvent> events(RecordingReader reader) throws IOException {
        try (var s = reader.events()) {
            return s.map(e -> e.event()).toList();
        }
    }

    /**
     * F24: a certificate whose CA signature was made non-canonical (S + L: net.i2p's EdDSA 0.3.0, which MINA used to
     * need for Ed25519, would accept it, and OpenSSH's client still sends it) is another certificate with the same
     * meaning. MINA's Ed25519 is now the JDK's (module ssh-ed25519), whose verifier refuses S at or above the group
     * order; this keeps that so whatever provider MINA is given.
     */
    @Test
    void aCertificateWithAMalleatedCaSignatureIsRefused() throws Exception {
        f.grants.grant("alice", BastionFixture.TARGET, f.sshd.login(), Duration.ofMinutes(10));
        // the order L of the Ed25519 group
        BigInteger order = BigInteger.TWO.pow(252).add(new BigInteger("27742317777372353535851937790883648493"));
        Path key = null;
        byte[] blob = null;
        String[] line = null;
        // S + L must still fit below 2^253 for OpenSSH to load the certificate: about every other signature does
        for (int attempt = 0; attempt < 32 && blob == null; attempt++) {
            key = f.person("alice_malleable_" + attempt, "user_ca", "alice");
            line = Files.readString(Path.of(key + "-cert.pub")).trim().split(" ");
            byte[] candidate = Base64.getDecoder().decode(line[1]);
            BigInteger s = littleEndian(candidate, candidate.length - 32);
            if (s.add(order).bitLength() == 253) {
                byte[] sum = s.add(order).toByteArray();
                for (int i = 0; i < 32; i++) {
                    int from = sum.length - 1 - i;
                    candidate[candidate.length - 32 + i] = from >= 0 ? sum[from] : 0;
                }
                blob = candidate;
            }
        }
        assertThat(blob).as("a certificate whose S + L fits in 253 bits").isNotNull();
        Result genuine = Commands.run(f.ssh(key, f.destination(), "echo in"));
        assertThat(genuine.out()).as(genuine.err()).isEqualTo("in\n");

        Files.writeString(
                Path.of(key + "-cert.pub"), line[0] + " " + Base64.getEncoder().encodeToString(blob) + "\n");
        Result malleated = Commands.run(f.ssh(key, f.destination(), "echo in"));
        assertThat(malleated.exit())
                .as("the same certificate with a malleated signature is refused")
                .isEqualTo(255);
        assertThat(malleated.out()).doesNotContain("in");
    }

    private static BigInteger littleEndian(byte[] bytes, int offset) {
        byte[] big = new byte[32];
        for (int i = 0; i < 32; i++) {
            big[i] = bytes[offset + 31 - i];
        }
        return new BigInteger(1, big);
    }
}
