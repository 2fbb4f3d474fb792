package dev.portcullis.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.portcullis.local.Commands;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A bastion process carrying alice's live SSH session, for what happens when the process is lost: the stack (broker
 * and bastion processes, OpenSSH target), a grant, alice's certificate, and sessions held open by the stock ssh client.
 */
final class LostBastionScenario implements AutoCloseable {

    private static final String POLICY = """
            version: 1
            targets:
              - {name: prod-web-1, kind: ssh, host: 127.0.0.1, port: %1$d, labels: {env: prod}}
            rules:
              - name: engineers-prod-ssh
                requesters: [engineers]
                targets: [prod-web-1]
                logins: [%2$s]
                maxDuration: 4h
                reason: required
                approvals: {required: 1, from: [sre-approvers]}
            """;

    final SystemStack stack;
    private final Path aliceKey;
    private final Path knownHosts;
    private final List<Process> clients = new ArrayList<>();
    private String grant;

    private LostBastionScenario(SystemStack stack) {
        this.stack = stack;
        this.aliceKey = stack.work.resolve("alice");
        this.knownHosts = stack.work.resolve("known_hosts");
    }

    /** The broker (with {@code brokerEnv} added to its settings) and a bastion, a live grant and alice's certificate. */
    static LostBastionScenario start(String name, String database, Map<String, String> brokerEnv) throws Exception {
        LostBastionScenario s = new LostBastionScenario(SystemStack.prepare(name));
        try {
            s.stack.startBroker(database, POLICY.formatted(s.stack.target.port(), s.stack.target.login()), brokerEnv);
            s.stack.startBastion("");
            String alice = s.stack.keycloak.accessToken("alice");
            Commands.run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", s.aliceKey.toString()));
            JsonNode cert = s.stack.api(
                    "POST",
                    "/api/v1/ssh/certificates",
                    alice,
                    Map.of(
                            "publicKey",
                            Files.readString(Path.of(s.aliceKey + ".pub")).trim()),
                    201);
            Files.writeString(
                    Path.of(s.aliceKey + "-cert.pub"), cert.get("certificate").asText() + "\n");
            Files.writeString(
                    s.knownHosts, "[127.0.0.1]:" + s.stack.sshPort + " " + s.stack.bastionHostKeyLine() + "\n");
            s.grant = s.stack
                    .api(
                            "POST",
                            "/api/v1/requests",
                            alice,
                            Map.of(
                                    "target",
                                    "prod-web-1",
                                    "login",
                                    s.stack.target.login(),
                                    "durationMinutes",
                                    60,
                                    "reason",
                                    "INC-7 bastion lost"),
                            201)
                    .get("id")
                    .asText();
            s.stack.api(
                    "POST",
                    "/api/v1/requests/" + s.grant + "/approve",
                    s.stack.keycloak.accessToken("bob"),
                    Map.of(),
                    200);
            return s;
        } catch (Exception | AssertionError e) {
            s.close();
            throw e;
        }
    }

    /** A session held open through the bastion (ssh running {@code sleep}); its id in the index, once it is OPEN. */
    String holdSession() throws Exception {
        return hold().session();
    }

    /** A held session and the ssh client holding it (ended by destroying it: a client that goes away). */
    record Held(String session, Process client) {}

    Held hold() throws Exception {
        Process ssh = new ProcessBuilder(
                        "ssh",
                        "-F",
                        "/dev/null",
                        "-p",
                        String.valueOf(stack.sshPort),
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
                        stack.target.login() + "+prod-web-1@127.0.0.1",
                        "echo held; sleep 600")
                .start();
        clients.add(ssh);
        CompletableFuture<String> err = Commands.drain(ssh.getErrorStream());
        byte[] held = ssh.getInputStream().readNBytes(5);
        if (!"held\n".equals(new String(held))) {
            throw new AssertionError("the session did not open: " + new String(held) + " " + err.getNow(""));
        }
        Instant deadline = Instant.now().plusSeconds(30);
        while (Instant.now().isBefore(deadline)) {
            JsonNode page = stack.api("GET", "/api/v1/sessions?status=OPEN&limit=50", dave(), null, 200);
            for (JsonNode session : page.isArray() ? page : page.path("items")) {
                String id = session.get("id").asText();
                if (grant.equals(session.path("requestId").asText()) && !known.contains(id)) {
                    known.add(id);
                    return new Held(id, ssh);
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the held session never showed as OPEN in the index");
    }

    private final List<String> known = new ArrayList<>();

    /** The session as the auditor sees it, once it has {@code status} (bounded by {@code timeout}). */
    JsonNode awaitStatus(String session, String status, Duration timeout) throws Exception {
        Instant deadline = Instant.now().plus(timeout);
        JsonNode last = null;
        while (Instant.now().isBefore(deadline)) {
            last = stack.api("GET", "/api/v1/sessions/" + session, dave(), null, 200);
            if (status.equals(last.path("status").asText())) {
                return last;
            }
            Thread.sleep(100);
        }
        throw new AssertionError(
                "session " + session + " did not become " + status + " within " + timeout + "; last seen " + last);
    }

    /** The session once it is no longer OPEN, whatever its end. */
    JsonNode awaitEnded(String session, Duration timeout) throws Exception {
        Instant deadline = Instant.now().plus(timeout);
        JsonNode last = null;
        while (Instant.now().isBefore(deadline)) {
            last = stack.api("GET", "/api/v1/sessions/" + session, dave(), null, 200);
            if (!"OPEN".equals(last.path("status").asText())) {
                return last;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("session " + session + " is still OPEN after " + timeout);
    }

    String dave() {
        return stack.keycloak.accessToken("dave");
    }

    @Override
    public void close() throws Exception {
        for (Process p : clients) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        stack.close();
    }
}
