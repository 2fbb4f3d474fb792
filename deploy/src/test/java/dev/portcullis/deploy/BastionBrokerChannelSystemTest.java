package dev.portcullis.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.portcullis.local.Commands;
import dev.portcullis.local.LocalKeycloak;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The link between bastions and the broker, on real processes (F5, F6): the broker serves the bastions over TLS with a
 * certificate of a CA of its own, the bastions trust that CA only and reach the broker through a relay that stands for
 * the network between them and can be cut. Revocations reach a bastion whose event stream was down, the periodic
 * re-check ends a session whose end event never came, and a bastion refuses, with one line, to start against a broker
 * that cannot prove itself or whose user CA is not the pinned one.
 */
class BastionBrokerChannelSystemTest {

    private static final String DATABASE = "channel_system";

    private static SystemStack stack;
    private static LocalKeycloak keycloak;
    private static Path tls;
    /** The network between bastions and the broker: to its TLS port, and to its plain port (loopback only). */
    private static TcpRelay relay;

    private static TcpRelay plainRelay;
    private static Path aliceKey;
    private static final List<BastionProcess> others = new ArrayList<>();

    @BeforeAll
    static void stack() throws Exception {
        stack = SystemStack.prepare("channel-system");
        keycloak = stack.keycloak;
        tls = Files.createDirectories(stack.work.resolve("tls"));
        certificateAuthority("broker-ca");
        certificateAuthority("other-ca");
        Commands.run(List.of(
                "openssl",
                "req",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                tls.resolve("broker.key").toString(),
                "-out",
                tls.resolve("broker.csr").toString(),
                "-subj",
                "/CN=127.0.0.1"));
        Files.writeString(
                tls.resolve("ext.cnf"),
                "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                        + "keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n");
        Commands.Result signed = Commands.run(List.of(
                "openssl",
                "x509",
                "-req",
                "-in",
                tls.resolve("broker.csr").toString(),
                "-CA",
                tls.resolve("broker-ca.crt").toString(),
                "-CAkey",
                tls.resolve("broker-ca.key").toString(),
                "-CAcreateserial",
                "-days",
                "2",
                "-extfile",
                tls.resolve("ext.cnf").toString(),
                "-out",
                tls.resolve("broker.crt").toString()));
        assertThat(signed.exit()).as(signed.err()).isZero();
        int httpsPort = SystemStack.freePort();
        stack.startBroker(
                DATABASE,
                """
                version: 1
                targets:
                  - {name: prod-web-1, kind: ssh, host: 127.0.0.1, port: %d, labels: {env: prod}}
                rules:
                  - name: engineers-prod-ssh
                    requesters: [engineers]
                    targets: [prod-web-1]
                    logins: [%s]
                    maxDuration: 4h
                    reason: required
                    approvals: {required: 1, from: [sre-approvers]}
                """.formatted(stack.target.port(), stack.target.login()),
                Map.of(
                        "QUARKUS_HTTP_SSL_PORT", String.valueOf(httpsPort),
                        "QUARKUS_HTTP_SSL_CERTIFICATE_FILES",
                                tls.resolve("broker.crt").toString(),
                        "QUARKUS_HTTP_SSL_CERTIFICATE_KEY_FILES",
                                tls.resolve("broker.key").toString()));
        relay = TcpRelay.to(httpsPort);
        plainRelay = TcpRelay.to(
                Integer.parseInt(stack.broker.url().substring(stack.broker.url().lastIndexOf(':') + 1)));
        aliceKey = stack.work.resolve("alice");
        Commands.run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", aliceKey.toString()));
        JsonNode cert = stack.api(
                "POST",
                "/api/v1/ssh/certificates",
                keycloak.accessToken("alice"),
                Map.of("publicKey", Files.readString(Path.of(aliceKey + ".pub")).trim()),
                201);
        Files.writeString(
                Path.of(aliceKey + "-cert.pub"), cert.get("certificate").asText() + "\n");
    }

    @AfterAll
    static void stop() throws IOException {
        others.forEach(BastionProcess::stop);
        for (TcpRelay r : new TcpRelay[] {relay, plainRelay}) {
            if (r != null) {
                r.close();
            }
        }
        if (stack != null) {
            stack.close();
        }
    }

    /**
     * F5: the bastion has seen no grant event when its stream drops; the grant is revoked while it is down; when the
     * stream is back the bastion resumes from the position the broker gave it on connecting, gets the revocation and
     * cuts the session (before the fix it resumed "from now" and the session ran on). Over the loopback plain-HTTP
     * relay, which a bastion accepts on loopback only, so that the same test runs against the code before the fix.
     */
    @Test
    void aRevocationWhileTheStreamIsDownReachesABastionThatHadSeenNoEvent() throws Exception {
        String grant = grant("INC-51 stream down");
        stack.startBastion("", Map.of("PORTCULLIS_BROKER_URL", "http://127.0.0.1:" + plainRelay.port()));
        Path log = stack.work.resolve("bastion.log");
        // its stream is up (the code before the fix logged nothing here: there, wait until it surely is)
        seen(log, "grant event stream at position", Duration.ofSeconds(20));

        Process live = new ProcessBuilder(ssh(stack.sshPort, "echo live; sleep 300")).start();
        CompletableFuture<String> err = Commands.drain(live.getErrorStream());
        assertThat(Commands.firstLine(live)).as("the session runs").isEqualTo("live");
        awaitSession(grant, "OPEN");
        plainRelay.cut();
        stack.api(
                "POST",
                "/api/v1/requests/" + grant + "/revoke",
                keycloak.accessToken("erin"),
                Map.of("reason", "stream was down"),
                200);
        plainRelay.restore();

        assertThat(live.waitFor(90, TimeUnit.SECONDS))
                .as("the revocation cuts the live session")
                .isTrue();
        assertThat(err.get(10, TimeUnit.SECONDS))
                .contains("your grant for " + stack.target.login() + "@prod-web-1 was revoked: stream was down");
        awaitLog(log, "grant-ended event for " + grant);
    }

    /**
     * F5: with no grant events at all, the periodic re-check with the broker still ends a revoked grant's session. This
     * bastion talks to the broker over TLS through the relay, trusting the broker's CA only.
     */
    @Test
    void theRecheckEndsASessionWhoseEndEventNeverCame() throws Exception {
        String grant = grant("INC-52 no events");
        int port = SystemStack.freePort();
        Path log = startOther(
                "recheck",
                port,
                Map.of("PORTCULLIS_BASTION_GRANT_EVENTS", "off", "PORTCULLIS_BASTION_GRANT_RECHECK_SECONDS", "2"));
        Process live = new ProcessBuilder(ssh(port, "echo live; sleep 300")).start();
        CompletableFuture<String> err = Commands.drain(live.getErrorStream());
        assertThat(Commands.firstLine(live)).as("the session runs").isEqualTo("live");
        awaitSession(grant, "OPEN");
        stack.api(
                "POST",
                "/api/v1/requests/" + grant + "/revoke",
                keycloak.accessToken("erin"),
                Map.of("reason", "no event"),
                200);

        assertThat(live.waitFor(90, TimeUnit.SECONDS))
                .as("the re-check cuts the live session")
                .isTrue();
        assertThat(err.get(10, TimeUnit.SECONDS))
                .contains("your grant for " + stack.target.login() + "@prod-web-1 was revoked: no event");
        assertThat(Files.readString(log))
                .contains("re-check: grant " + grant + " is no longer live")
                .doesNotContain("grant-ended event");
    }

    /** F6: a broker whose user CA is not the pinned one is refused at start, in one line. */
    @Test
    void aBastionRefusesToStartWhenTheBrokersUserCaIsNotThePinnedOne() throws Exception {
        Path otherCa = stack.work.resolve("not-the-user-ca");
        Commands.run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", otherCa.toString()));
        String pinned = DemoTarget.userCaFingerprint(Path.of(otherCa + ".pub"));
        BastionProcess bastion =
                other("wrong-ca", SystemStack.freePort(), Map.of("PORTCULLIS_USER_CA_FINGERPRINT", pinned));
        assertThat(bastion.awaitExit(Duration.ofSeconds(120))).isEqualTo(1);
        assertThat(lastLine(stack.work.resolve("wrong-ca.log")))
                .isEqualTo("portcullis bastion: cannot start: the broker's user CA is " + stack.userCaFingerprint()
                        + ", not " + pinned + " (PORTCULLIS_USER_CA_FINGERPRINT); refusing it");
    }

    /** F6: a broker whose TLS certificate the pinned CA did not sign is never talked to: the bastion stops, in one line. */
    @Test
    void aBastionRefusesABrokerWhoseCertificateThePinnedCaDidNotSign() throws Exception {
        BastionProcess bastion = other(
                "wrong-tls",
                SystemStack.freePort(),
                Map.of("PORTCULLIS_BROKER_CA_FILE", tls.resolve("other-ca.crt").toString()));
        assertThat(bastion.awaitExit(Duration.ofSeconds(120))).isEqualTo(1);
        assertThat(lastLine(stack.work.resolve("wrong-tls.log")))
                .startsWith("portcullis bastion: cannot start: the broker at https://127.0.0.1:" + relay.port()
                        + " did not prove itself with a certificate of the pinned CA (PORTCULLIS_BROKER_CA_FILE): ");
    }

    private static void certificateAuthority(String name) throws IOException {
        Commands.Result ca = Commands.run(List.of(
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=" + name,
                "-keyout",
                tls.resolve(name + ".key").toString(),
                "-out",
                tls.resolve(name + ".crt").toString()));
        assertThat(ca.exit()).as(ca.err()).isZero();
    }

    /** An approved grant of alice's for prod-web-1. */
    private static String grant(String reason) throws Exception {
        String id = stack.api(
                        "POST",
                        "/api/v1/requests",
                        keycloak.accessToken("alice"),
                        Map.of(
                                "target",
                                "prod-web-1",
                                "login",
                                stack.target.login(),
                                "durationMinutes",
                                30,
                                "reason",
                                reason),
                        201)
                .get("id")
                .asText();
        stack.api("POST", "/api/v1/requests/" + id + "/approve", keycloak.accessToken("bob"), Map.of(), 200);
        return id;
    }

    /** Another bastion of the stack over TLS through the relay, with a state directory and log of its own. */
    private static BastionProcess other(String name, int port, Map<String, String> extraEnv) throws IOException {
        Path state = Files.createDirectories(stack.work.resolve(name));
        for (String key : List.of("recording-signing-key.pem", "recording-signing-key.pub.pem")) {
            Files.copy(stack.bastionState.resolve(key), state.resolve(key));
        }
        Map<String, String> env = new HashMap<>(stack.bastionEnvironment(stack.inventory(""), state, port));
        env.put("PORTCULLIS_BROKER_URL", "https://127.0.0.1:" + relay.port());
        env.put("PORTCULLIS_BROKER_CA_FILE", tls.resolve("broker-ca.crt").toString());
        env.put("PORTCULLIS_BASTION_NAME", name);
        env.putAll(extraEnv);
        BastionProcess bastion = BastionProcess.start(
                Path.of("..").toAbsolutePath().normalize(), stack.work.resolve(name + ".log"), env);
        others.add(bastion);
        return bastion;
    }

    private static Path startOther(String name, int port, Map<String, String> extraEnv) throws IOException {
        other(name, port, extraEnv).awaitListening(port, Duration.ofSeconds(120));
        return stack.work.resolve(name + ".log");
    }

    private static List<String> ssh(int port, String command) {
        return new ArrayList<>(List.of(
                "ssh",
                "-F",
                "/dev/null",
                "-p",
                String.valueOf(port),
                "-i",
                aliceKey.toString(),
                "-o",
                "CertificateFile=" + aliceKey + "-cert.pub",
                "-o",
                "IdentitiesOnly=yes",
                "-o",
                "BatchMode=yes",
                "-o",
                "StrictHostKeyChecking=no",
                "-o",
                "UserKnownHostsFile=/dev/null",
                "-o",
                "LogLevel=ERROR",
                stack.target.login() + "+prod-web-1@127.0.0.1",
                command));
    }

    private static void awaitLog(Path log, String text) throws Exception {
        if (!seen(log, text, Duration.ofSeconds(60))) {
            throw new AssertionError("'" + text + "' not in " + log + ":\n" + BrokerProcess.tail(log));
        }
    }

    private static boolean seen(Path log, String text, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(log) && Files.readString(log).contains(text)) {
                return true;
            }
            Thread.sleep(100);
        }
        return false;
    }

    /** The first line the session prints (null if it ends first); the rest of its output is drained. */
    private static String lastLine(Path log) throws IOException {
        List<String> lines =
                Files.readAllLines(log).stream().filter(l -> !l.isBlank()).toList();
        return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
    }

    /** Waits until the newest session of this grant reaches the status. */
    private static JsonNode awaitSession(String grant, String status) throws Exception {
        String dave = keycloak.accessToken("dave");
        JsonNode last = null;
        for (int i = 0; i < 300; i++) {
            JsonNode sessions = stack.api("GET", "/api/v1/sessions?limit=50", dave, null, 200);
            for (JsonNode s : sessions.isArray() ? sessions : sessions.path("items")) {
                if (grant.equals(s.path("requestId").asText())) {
                    last = s;
                    if (status.equals(s.path("status").asText())) {
                        return s;
                    }
                    break;
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no session of grant " + grant + " reached " + status + "; last seen " + last);
    }
}
