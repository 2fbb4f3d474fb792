package dev.portcullis.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.portcullis.local.Commands;
import dev.portcullis.local.LocalKeycloak;
import dev.portcullis.local.LocalPostgres;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Live sessions across two broker replicas: the stack of {@link SystemStack} with its bastion following replica A,
 * a replica B on the same database for viewers, and alice's interactive shells through the bastion from a terminal
 * (script gives ssh one, as a person's terminal would), typed into line by line.
 */
final class LiveScenario implements AutoCloseable {

    final SystemStack stack;
    final LocalKeycloak keycloak;
    final BrokerProcess a;
    final BrokerProcess b;
    private final Path aliceKey;
    private final Path knownHosts;
    private final List<Terminal> terminals = new ArrayList<>();

    private LiveScenario(SystemStack stack, BrokerProcess a, BrokerProcess b, Path aliceKey, Path knownHosts) {
        this.stack = stack;
        this.keycloak = stack.keycloak;
        this.a = a;
        this.b = b;
        this.aliceKey = aliceKey;
        this.knownHosts = knownHosts;
    }

    static LiveScenario start(String name, String database) throws Exception {
        SystemStack stack = SystemStack.prepare(name);
        BrokerProcess b = null;
        try {
            String policy = """
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
                        approvals: {required: 2, from: [sre-approvers]}
                    """.formatted(stack.target.port(), stack.target.login());
            BrokerProcess a = stack.startBroker(database, policy, Map.of());
            // replica B: same database, CAs, recordings and trusted keys; its own log and audit-head files
            Path dirB = Files.createDirectories(stack.work.resolve("broker-b"));
            Map<String, String> env = new HashMap<>(Map.of(
                    "PORTCULLIS_SSH_USER_CA_KEY_FILE",
                    stack.work.resolve("ca/user_ca").toString(),
                    "PORTCULLIS_SSH_HOST_CA_KEY_FILE",
                    stack.work.resolve("ca/host_ca").toString(),
                    "PORTCULLIS_RECORDINGS_DIR",
                    stack.recordings.toString(),
                    "PORTCULLIS_RECORDINGS_TRUSTED_KEYS",
                    stack.bastionState.resolve("recording-signing-key.pub.pem").toString()));
            b = BrokerProcess.start(
                            Path.of("..").toAbsolutePath().normalize(),
                            SystemStack.freePort(),
                            dirB.resolve("broker.log"),
                            LocalPostgres.shared().brokerDatabase(database),
                            stack.keycloak,
                            stack.work.resolve("policy.yaml"),
                            env)
                    .awaitReady(Duration.ofSeconds(120));
            stack.keycloak.allowWebUrl(a.url());
            stack.keycloak.allowWebUrl(b.url());
            stack.startBastion("");
            Path key = stack.work.resolve("alice");
            Commands.run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key.toString()));
            Path known = stack.work.resolve("known_hosts");
            Files.writeString(known, "[127.0.0.1]:" + stack.sshPort + " " + stack.bastionHostKeyLine() + "\n");
            return new LiveScenario(stack, a, b, key, known);
        } catch (Exception | Error e) {
            if (b != null) {
                b.stop();
            }
            stack.close();
            throw e;
        }
    }

    /** Alice asks for prod-web-1, bob and carol approve, alice gets a certificate; the grant's id. */
    String aliceGrant() throws Exception {
        String id = api(
                        "POST",
                        "/api/v1/requests",
                        "alice",
                        Map.of(
                                "target",
                                "prod-web-1",
                                "login",
                                stack.target.login(),
                                "durationMinutes",
                                60,
                                "reason",
                                "INC-7001 watch this"),
                        201)
                .get("id")
                .asText();
        api("POST", "/api/v1/requests/" + id + "/approve", "bob", Map.of(), 200);
        api("POST", "/api/v1/requests/" + id + "/approve", "carol", Map.of(), 200);
        JsonNode cert = api(
                "POST",
                "/api/v1/ssh/certificates",
                "alice",
                Map.of("publicKey", Files.readString(Path.of(aliceKey + ".pub")).trim()),
                201);
        Files.writeString(
                Path.of(aliceKey + "-cert.pub"), cert.get("certificate").asText() + "\n");
        return id;
    }

    /** A call to broker A's API as {@code user}. */
    JsonNode api(String method, String path, String user, Object body, int expected) throws Exception {
        return stack.api(method, path, user == null ? null : keycloak.accessToken(user), body, expected);
    }

    /** Alice opens an interactive shell and it shows a prompt's worth of output; returns its session id. */
    Terminal aliceShell(String grant) throws Exception {
        List<String> before = sessionsOf(grant, "OPEN");
        List<String> ssh = new ArrayList<>(List.of(
                "ssh",
                "-tt",
                "-p",
                String.valueOf(stack.sshPort),
                "-F",
                "/dev/null",
                "-i",
                aliceKey.toString(),
                "-o",
                "CertificateFile=" + aliceKey + "-cert.pub",
                "-o",
                "IdentitiesOnly=yes",
                "-o",
                "BatchMode=yes",
                "-o",
                "StrictHostKeyChecking=yes",
                "-o",
                "UserKnownHostsFile=" + knownHosts,
                "-o",
                "LogLevel=ERROR",
                stack.target.login() + "+prod-web-1@127.0.0.1"));
        Terminal t = new Terminal(new ProcessBuilder("script", "-qefc", String.join(" ", ssh), "/dev/null")
                .redirectErrorStream(true)
                .start());
        terminals.add(t);
        for (int i = 0; i < 600; i++) {
            List<String> now = sessionsOf(grant, "OPEN");
            now.removeAll(before);
            if (!now.isEmpty()) {
                t.session = now.get(0);
                return t;
            }
            if (!t.process.isAlive()) {
                throw new AssertionError("alice's ssh ended: " + t.output());
            }
            Thread.sleep(100);
        }
        throw new AssertionError("alice's shell never opened: " + t.output());
    }

    /** The grant's sessions in this state, newest first. */
    List<String> sessionsOf(String grant, String status) throws Exception {
        List<String> ids = new ArrayList<>();
        for (JsonNode s : api("GET", "/api/v1/sessions?limit=100&status=" + status, "dave", null, 200)) {
            if (grant.equals(s.path("requestId").asText())) {
                ids.add(s.get("id").asText());
            }
        }
        return ids;
    }

    /** Waits (bounded) until the session has left OPEN; its index entry. */
    JsonNode awaitEnded(String session) throws Exception {
        for (int i = 0; i < 300; i++) {
            JsonNode s = api("GET", "/api/v1/sessions/" + session, "dave", null, 200);
            if (!"OPEN".equals(s.path("status").asText())) {
                return s;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("session " + session + " never ended");
    }

    /** An interactive terminal: what was typed goes to ssh, what ssh showed is kept with when it arrived. */
    static final class Terminal implements AutoCloseable {
        final Process process;
        private final StringBuilder out = new StringBuilder();
        String session;

        Terminal(Process process) {
            this.process = process;
            Thread reader = new Thread(
                    () -> {
                        byte[] buffer = new byte[8192];
                        try (InputStream in = process.getInputStream()) {
                            for (int n; (n = in.read(buffer)) > 0; ) {
                                synchronized (out) {
                                    out.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
                                    out.notifyAll();
                                }
                            }
                        } catch (IOException e) {
                            // the process went away
                        }
                    },
                    "terminal-reader");
            reader.setDaemon(true);
            reader.start();
        }

        void type(String line) throws IOException {
            OutputStream in = process.getOutputStream();
            in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            in.flush();
        }

        String output() {
            synchronized (out) {
                return out.toString();
            }
        }

        /** Waits (bounded) until the terminal showed {@code text}; the wall-clock millis when it was seen. */
        long await(String text, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            synchronized (out) {
                while (out.indexOf(text) < 0) {
                    long left = (deadline - System.nanoTime()) / 1_000_000;
                    if (left <= 0) {
                        throw new AssertionError("the terminal never showed '" + text + "': " + out);
                    }
                    out.wait(Math.min(left, 50));
                }
            }
            return System.currentTimeMillis();
        }

        @Override
        public void close() {
            process.destroyForcibly();
        }
    }

    @Override
    public void close() throws IOException {
        terminals.forEach(Terminal::close);
        if (b != null) {
            b.stop();
            Path log = stack.work.resolve("broker-b/broker.log");
            if (Files.exists(log)) {
                Files.copy(
                        log,
                        Path.of("target", stack.name + "-broker-b.log"),
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
        stack.close();
    }
}
