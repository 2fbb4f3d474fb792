package dev.portcullis.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portcullis.local.Commands;
import dev.portcullis.local.LocalKeycloak;
import dev.portcullis.local.LocalPostgres;
import dev.portcullis.local.LocalSshd;
import dev.portcullis.recording.RecordingKeys;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The stack the system tests run on, as operators run it: the shared PostgreSQL and Keycloak, an OpenSSH target
 * {@code prod-web-1}, a broker process and a bastion process (BastionMain, SSH and PostgreSQL proxy) on free loopback
 * ports, with every file under one directory of /var/tmp (the target's login, not root, must be able to read them).
 * The logs are kept under target/ when the stack closes.
 */
final class SystemStack implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    final String name;
    final Path work;
    final LocalPostgres postgres = LocalPostgres.shared();
    final LocalKeycloak keycloak = LocalKeycloak.shared();
    final LocalSshd target;
    final Path recordings;
    final Path bastionState;
    final int sshPort;
    final int dbPort;
    BrokerProcess broker;
    BastionProcess bastion;
    /** The health and metrics port of the bastion whose settings were made last. */
    int healthPort;

    private SystemStack(String name, Path work) throws IOException {
        this.name = name;
        this.work = work;
        this.target = LocalSshd.start(work.resolve("target"));
        this.recordings = work.resolve("recordings");
        this.bastionState = work.resolve("bastion");
        Files.createDirectories(bastionState);
        // the bastion's signing key, made now so the broker can trust it from its first start
        RecordingKeys.loadOrGenerate(
                bastionState.resolve("recording-signing-key.pem"),
                bastionState.resolve("recording-signing-key.pub.pem"));
        this.sshPort = freePort();
        this.dbPort = freePort();
    }

    /** The directory, the target and the bastion's keys and ports; nothing of Portcullis runs yet. */
    static SystemStack prepare(String name) throws IOException {
        Path work = Files.createTempDirectory(Path.of("/var/tmp"), "portcullis-" + name + "-");
        Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
        return new SystemStack(name, work);
    }

    /** The broker on its own database of the shared PostgreSQL, under this policy; {@code extraEnv} adds to its settings. */
    BrokerProcess startBroker(String database, String policyYaml, Map<String, String> extraEnv) throws IOException {
        LocalPostgres.BrokerDatabase roles = postgres.brokerDatabase(database);
        Path policy = work.resolve("policy.yaml");
        Files.writeString(policy, policyYaml);
        Map<String, String> env = new HashMap<>(Map.of(
                "PORTCULLIS_SSH_USER_CA_KEY_FILE", work.resolve("ca/user_ca").toString(),
                "PORTCULLIS_SSH_HOST_CA_KEY_FILE", work.resolve("ca/host_ca").toString(),
                "PORTCULLIS_RECORDINGS_DIR", recordings.toString(),
                "PORTCULLIS_RECORDINGS_TRUSTED_KEYS",
                        bastionState.resolve("recording-signing-key.pub.pem").toString()));
        int port = freePort();
        env.put("PORTCULLIS_NOTIFY_BASE_URL", "http://127.0.0.1:" + port); // links in notifications lead back here
        env.putAll(extraEnv);
        broker = BrokerProcess.start(repo(), port, work.resolve("broker.log"), roles, keycloak, policy, env)
                .awaitReady(Duration.ofSeconds(120));
        return broker;
    }

    /**
     * The bastion process, reaching prod-web-1 with a key of its own there; {@code moreInventory} is appended to its
     * targets.yaml (a {@code databases:} section, say).
     */
    BastionProcess startBastion(String moreInventory) throws IOException {
        return startBastion(moreInventory, Map.of());
    }

    /** The same, with {@code extraEnv} added to (or replacing) its settings. */
    BastionProcess startBastion(String moreInventory, Map<String, String> extraEnv) throws IOException {
        Map<String, String> env = bastionEnvironment(inventory(moreInventory), bastionState, sshPort);
        env.put("PORTCULLIS_DB_PORT", String.valueOf(dbPort));
        env.putAll(extraEnv);
        bastion = BastionProcess.start(
                repo(), work.resolve("bastion.log"), env); // assigned first: stopped after a failed start too
        bastion.awaitListening(sshPort, Duration.ofSeconds(120)).awaitListening(dbPort, Duration.ofSeconds(60));
        return bastion;
    }

    /** targets.yaml for a bastion of this stack: prod-web-1 with the bastion's own key there, then {@code moreInventory}. */
    Path inventory(String moreInventory) throws IOException {
        Path upstreamKey = work.resolve("bastion-upstream");
        if (!Files.exists(upstreamKey)) {
            target.authorize(LocalSshd.generateClientKey(upstreamKey));
        }
        Path targets = work.resolve("targets.yaml");
        Files.writeString(targets, """
                targets:
                  prod-web-1:
                    hostKey: %s
                    identityFile: %s
                """.formatted(target.hostPublicKey(), upstreamKey) + moreInventory);
        return targets;
    }

    /** The settings of a bastion of this stack with its state in {@code state}, listening for SSH on {@code port}. */
    Map<String, String> bastionEnvironment(Path targets, Path state, int port) {
        Map<String, String> env = new HashMap<>();
        env.put("PORTCULLIS_BROKER_URL", broker.url());
        env.put("PORTCULLIS_BASTION_TOKEN_URL", keycloak.issuerUrl() + "/protocol/openid-connect/token");
        env.put("PORTCULLIS_BASTION_CLIENT_SECRET", keycloak.bastionClientSecret());
        env.put("PORTCULLIS_USER_CA_FINGERPRINT", userCaFingerprint());
        env.put("PORTCULLIS_BASTION_TARGETS", targets.toString());
        env.put("PORTCULLIS_BASTION_STATE_DIR", state.toString());
        env.put("PORTCULLIS_RECORDINGS_DIR", recordings.toString());
        env.put("PORTCULLIS_BASTION_PORT", String.valueOf(port));
        env.put("PORTCULLIS_DB_PORT", "off");
        env.put("PORTCULLIS_PORTAL_URL", broker.url());
        try {
            healthPort = freePort(); // a port of its own for every bastion: two may run at once
            env.put("PORTCULLIS_BASTION_HEALTH_PORT", String.valueOf(healthPort));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return env;
    }

    /** The fingerprint of the user CA the broker made at its first start (it writes the public half next to the key). */
    String userCaFingerprint() {
        return DemoTarget.userCaFingerprint(work.resolve("ca/user_ca.pub"));
    }

    /** A call to the broker's API as {@code token} (null: none) that must answer {@code expected}; the JSON answer. */
    JsonNode api(String method, String path, String token, Object body, int expected) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(broker.url() + path))
                .timeout(Duration.ofSeconds(30))
                .header("Accept", "application/json");
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (body != null) {
            b.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(method + " " + path + ": " + r.body()).isEqualTo(expected);
        return r.body().isEmpty() ? JSON.nullNode() : JSON.readTree(r.body());
    }

    /** The bastion's own host key, as a known_hosts line ends. */
    String bastionHostKeyLine() throws IOException {
        return Commands.run(List.of(
                        "ssh-keygen",
                        "-y",
                        "-f",
                        bastionState.resolve("ssh_host_ed25519_key").toString()))
                .out()
                .trim();
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static Path repo() {
        return Path.of("..").toAbsolutePath().normalize();
    }

    @Override
    public void close() throws IOException {
        if (bastion != null) {
            bastion.stop();
        }
        if (broker != null) {
            broker.stop();
        }
        target.close();
        for (String log : List.of("broker.log", "bastion.log")) {
            if (Files.exists(work.resolve(log))) {
                Files.copy(work.resolve(log), Path.of("target", name + "-" + log), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        try (var files = Files.walk(work)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
