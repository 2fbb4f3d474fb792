package dev.portcullis.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.portcullis.local.Commands;
import dev.portcullis.local.LocalKeycloak;
import dev.portcullis.local.LocalPostgres;
import dev.portcullis.local.LocalSshd;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The SSH and database paths end to end on real processes: a broker process on PostgreSQL and Keycloak, a bastion
 * process (BastionMain) talking to it only over its REST API with its own client-credentials token, an OpenSSH sshd and
 * a PostgreSQL database as targets, and the stock ssh and psql clients with a certificate and a database credential the
 * broker issued. Request, approval, session, recording, revocation, expiry, verification.
 */
class SshBastionSystemTest {

    private static final String DATABASE = "bastion_system";
    private static final String ORDERS = "orders_system";

    private static SystemStack stack;
    private static Path work;
    private static LocalKeycloak keycloak;
    private static LocalSshd target;
    private static BrokerProcess broker;
    private static int sshPort;
    private static int dbPort;
    private static Path aliceKey;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void stack() throws Exception {
        stack = SystemStack.prepare("bastion-system");
        work = stack.work;
        keycloak = stack.keycloak;
        target = stack.target;
        sshPort = stack.sshPort;
        dbPort = stack.dbPort;
        LocalPostgres postgres = stack.postgres;
        // the database behind the proxy, with a role whose password only the bastion's inventory holds
        postgres.createDatabase(ORDERS);
        String rolePassword = java.util.UUID.randomUUID().toString();
        postgres.createRole("app_readonly", rolePassword);
        postgres.sql(
                ORDERS,
                "create table if not exists orders (id int primary key, total numeric); "
                        + "insert into orders values (1, 9.99), (2, 19.99) on conflict do nothing; grant select on orders to app_readonly");
        Path rolePasswordFile = work.resolve("app_readonly.password");
        Files.writeString(rolePasswordFile, rolePassword + "\n");
        broker = stack.startBroker(
                DATABASE,
                """
                version: 1
                targets:
                  - {name: prod-web-1, kind: ssh, host: 127.0.0.1, port: %1$d, labels: {env: prod}}
                  - {name: prod-db, kind: postgres, host: 127.0.0.1, port: %2$d, database: %3$s}
                  - {name: staging-db, kind: postgres, host: 127.0.0.1, port: %2$d, database: %3$s}
                rules:
                  - name: engineers-prod-ssh
                    requesters: [engineers]
                    targets: [prod-web-1]
                    logins: [%4$s]
                    maxDuration: 4h
                    reason: required
                    approvals: {required: 1, from: [sre-approvers]}
                  - name: engineers-prod-db-read
                    requesters: [engineers]
                    targets: [prod-db, staging-db]
                    logins: [app_readonly]
                    maxDuration: 4h
                    reason: required
                    approvals: {required: 1, from: [sre-approvers]}
                    access: read
                """.formatted(target.port(), postgres.port(), ORDERS, target.login()),
                // the proxy's self-signed certificate, made by the bastion on its first start, is its CA; continuous
                // verification only once an hour, so that what the bastion's own check does shows without it
                Map.of(
                        "PORTCULLIS_DB_PROXY_CA_FILE",
                        stack.bastionState.resolve("db-tls.crt").toString(),
                        "PORTCULLIS_VERIFY_INTERVAL",
                        "1h"));
        stack.startBastion("""
                databases:
                  prod-db:
                    address: 127.0.0.1:%d
                    roles:
                      app_readonly: {passwordFile: %s, readOnly: true}
                """.formatted(postgres.port(), rolePasswordFile));

        aliceKey = work.resolve("alice");
        Commands.run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", aliceKey.toString()));
    }

    @AfterAll
    static void stop() throws IOException {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void requestApproveConnectRecordRevoke() throws Exception {
        String alice = keycloak.accessToken("alice");
        // 1. alice's certificate from the broker's user CA, and the known_hosts lines users add
        JsonNode cert = call(
                "POST",
                "/api/v1/ssh/certificates",
                alice,
                Map.of("publicKey", Files.readString(Path.of(aliceKey + ".pub")).trim()),
                201);
        Files.writeString(
                Path.of(aliceKey + "-cert.pub"), cert.get("certificate").asText() + "\n");
        JsonNode ca = call("GET", "/api/v1/ssh/ca", alice, null, 200); // with a token: the line names the targets too
        Path knownHosts = work.resolve("known_hosts");
        Files.writeString(
                knownHosts,
                "[127.0.0.1]:" + sshPort + " " + stack.bastionHostKeyLine() + "\n"
                        + ca.get("knownHostsLine").asText() + "\n");

        // 2. no grant yet: one line, with where to ask
        Commands.Result refused = Commands.run(ssh(knownHosts, "true"));
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.err().trim())
                .isEqualTo("portcullis: no active grant for " + target.login() + "@prod-web-1; request one at "
                        + broker.url());

        // 3. request, approval, session
        String id = call(
                        "POST",
                        "/api/v1/requests",
                        alice,
                        Map.of(
                                "target",
                                "prod-web-1",
                                "login",
                                target.login(),
                                "durationMinutes",
                                30,
                                "reason",
                                "INC-1 disk full"),
                        201)
                .get("id")
                .asText();
        call("POST", "/api/v1/requests/" + id + "/approve", keycloak.accessToken("bob"), Map.of(), 200);
        Commands.Result ok = Commands.run(ssh(knownHosts, "echo hello through the bastion; hostname >/dev/null"));
        assertThat(ok.exit()).as(ok.err()).isZero();
        assertThat(ok.out()).isEqualTo("hello through the bastion\n");

        // 4. the auditor finds the session, downloads its recording and verifies it
        String dave = keycloak.accessToken("dave");
        JsonNode session = awaitSession(dave, id, "CLOSED");
        assertThat(session.get("username").asText()).isEqualTo("alice");
        assertThat(session.get("bytesOut").asLong()).isEqualTo(ok.out().length());
        String sessionId = session.get("id").asText();
        JsonNode verification = call("GET", "/api/v1/sessions/" + sessionId + "/verification", dave, null, 200);
        assertThat(verification.get("status").asText()).isEqualTo("VALID");
        HttpResponse<String> cast = http.send(
                HttpRequest.newBuilder(URI.create(broker.url() + "/api/v1/sessions/" + sessionId + "/recording.cast"))
                        .header("Authorization", "Bearer " + dave)
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(cast.statusCode()).isEqualTo(200);
        assertThat(cast.body()).contains("hello through the bastion");

        // 5. ProxyJump with the broker's host certificate for the target's name
        Path config = work.resolve("ssh_config");
        Files.writeString(config, """
                Host bastion
                  HostName 127.0.0.1
                  Port %d
                  User alice
                Host prod-web-1
                  User %s
                  ProxyJump bastion
                Host *
                  IdentityFile %s
                  CertificateFile %s-cert.pub
                  IdentitiesOnly yes
                  UserKnownHostsFile %s
                  StrictHostKeyChecking yes
                  BatchMode yes
                """.formatted(sshPort, target.login(), aliceKey, aliceKey, knownHosts));
        Commands.Result jumped = Commands.run(List.of("ssh", "-F", config.toString(), "prod-web-1", "echo jumped"));
        assertThat(jumped.exit()).as(jumped.err()).isZero();
        assertThat(jumped.out()).isEqualTo("jumped\n");

        // 6. a live session, revoked by an admin: the broker's event reaches the bastion, which cuts it
        Process live = new ProcessBuilder(ssh(knownHosts, "echo live; sleep 300")).start();
        CompletableFuture<String> liveErr = Commands.drain(live.getErrorStream());
        // the session runs (a session ended while it is still reaching its target relays nothing of it)
        assertThat(Commands.firstLine(live)).isEqualTo("live");
        awaitSession(dave, id, "OPEN");
        call(
                "POST",
                "/api/v1/requests/" + id + "/revoke",
                keycloak.accessToken("erin"),
                Map.of("reason", "incident closed"),
                200);
        assertThat(live.waitFor(60, TimeUnit.SECONDS))
                .as("the revocation cuts the live session")
                .isTrue();
        assertThat(liveErr.get(10, TimeUnit.SECONDS))
                .contains("portcullis: your grant for " + target.login() + "@prod-web-1 was revoked");
        awaitSession(dave, id, "GRANT_ENDED");

        Commands.Result after = Commands.run(ssh(knownHosts, "true"));
        assertThat(after.err()).contains("no active grant");
    }

    /**
     * A username Keycloak gives to a new account does not pass on the old account's grant through the bastion: the
     * certificate names its account and the broker counts only that account's grants, at once, not at continuous
     * verification's next pass (an hour away here).
     */
    @Test
    void aNewAccountUnderAReusedUsernameCannotUseTheOldAccountsGrant() throws Exception {
        String name = "reborn" + System.nanoTime() % 100000;
        keycloak.createUser(name, keycloak.demoPassword(), "engineers");
        Path key = work.resolve(name);
        Commands.run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key.toString()));
        String publicKey = Files.readString(Path.of(key + ".pub")).trim();
        String old = keycloak.accessToken(name);
        Path knownHosts = work.resolve("known_hosts-" + name);
        Files.writeString(
                knownHosts,
                "[127.0.0.1]:" + sshPort + " " + stack.bastionHostKeyLine() + "\n"
                        + call("GET", "/api/v1/ssh/ca", old, null, 200)
                                .get("knownHostsLine")
                                .asText() + "\n");
        String id = call(
                        "POST",
                        "/api/v1/requests",
                        old,
                        Map.of(
                                "target",
                                "prod-web-1",
                                "login",
                                target.login(),
                                "durationMinutes",
                                30,
                                "reason",
                                "INC-9 old account"),
                        201)
                .get("id")
                .asText();
        call("POST", "/api/v1/requests/" + id + "/approve", keycloak.accessToken("bob"), Map.of(), 200);
        Files.writeString(
                Path.of(key + "-cert.pub"),
                call("POST", "/api/v1/ssh/certificates", old, Map.of("publicKey", publicKey), 201)
                                .get("certificate")
                                .asText()
                        + "\n");
        Commands.Result own = Commands.run(ssh(key, knownHosts, "echo the old account"));
        assertThat(own.exit()).as(own.err()).isZero();

        keycloak.deleteUser(name);
        keycloak.createUser(name, keycloak.demoPassword(), "engineers");
        String reborn = keycloak.accessToken(name);
        Files.writeString(
                Path.of(key + "-cert.pub"),
                call("POST", "/api/v1/ssh/certificates", reborn, Map.of("publicKey", publicKey), 201)
                                .get("certificate")
                                .asText()
                        + "\n");
        Commands.Result refused = Commands.run(ssh(key, knownHosts, "echo the new account"));
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.out()).isEmpty();
        assertThat(refused.err().trim())
                .startsWith("portcullis: the grant for " + target.login() + "@prod-web-1 under the name " + name
                        + " was asked for by another account than the one your certificate names");
        assertThat(call("GET", "/api/v1/requests/" + id, keycloak.accessToken("dave"), null, 200)
                        .get("state")
                        .asText())
                .as("continuous verification has not run yet")
                .isEqualTo("ACTIVE");
    }

    /**
     * The same for database credentials: a credential names the account it was issued to, and the proxy counts only
     * that account's grants, so the new account under a reused name gets a credential but no session on the old
     * account's database grant, at once, not at continuous verification's next pass (an hour away here).
     */
    @Test
    void aNewAccountUnderAReusedUsernameCannotUseTheOldAccountsDatabaseGrant() throws Exception {
        String name = "reborn-db" + System.nanoTime() % 100000;
        keycloak.createUser(name, keycloak.demoPassword(), "engineers");
        String old = keycloak.accessToken(name);
        String id = call(
                        "POST",
                        "/api/v1/requests",
                        old,
                        Map.of(
                                "target",
                                "prod-db",
                                "login",
                                "app_readonly",
                                "durationMinutes",
                                30,
                                "reason",
                                "INC-10 old account"),
                        201)
                .get("id")
                .asText();
        call("POST", "/api/v1/requests/" + id + "/approve", keycloak.accessToken("bob"), Map.of(), 200);
        JsonNode oldIssued = call("POST", "/api/v1/db/credentials", old, Map.of("target", "prod-db"), 201);
        Files.writeString(
                work.resolve("portcullis-db-ca.pem"),
                oldIssued.get("caCertificate").asText());
        Commands.Result own = psql(oldIssued.get("password").asText(), "select 'the old account'");
        assertThat(own.exit()).as(own.err()).isZero();
        assertThat(own.out().trim()).isEqualTo("the old account");

        keycloak.deleteUser(name);
        keycloak.createUser(name, keycloak.demoPassword(), "engineers");
        String reborn = keycloak.accessToken(name);
        String credential = call("POST", "/api/v1/db/credentials", reborn, Map.of("target", "prod-db"), 201)
                .get("password")
                .asText();
        Commands.Result refused = psql(credential, "select 'the new account'");
        assertThat(refused.exit()).isEqualTo(2);
        assertThat(refused.out()).isEmpty();
        assertThat(refused.err())
                .contains("FATAL:  portcullis: the grant for app_readonly@prod-db under the name " + name
                        + " was asked for by another account than the one your database credential was issued to");
        String dave = keycloak.accessToken("dave");
        assertThat(call("GET", "/api/v1/audit?action=session.refused&actor=" + name, dave, null, 200)
                        .toString())
                .as("the refusal is in the audit trail")
                .contains("account_mismatch", "prod-db");
        assertThat(call("GET", "/api/v1/requests/" + id, dave, null, 200)
                        .get("state")
                        .asText())
                .as("continuous verification has not run yet")
                .isEqualTo("ACTIVE");
    }

    /**
     * The database path and the end of grants: a credential from the broker, psql through the proxy under a read-only
     * grant with every statement recorded, then one-minute grants for ssh and psql whose live sessions the bastion cuts
     * when they end; the recordings verify and a flipped byte does not.
     */
    @Test
    void psqlThroughTheProxyIsRecordedReadOnlyAndEveryLiveSessionIsCutWhenItsGrantEnds() throws Exception {
        String alice = keycloak.accessToken("alice");
        String bob = keycloak.accessToken("bob");
        String dave = keycloak.accessToken("dave");
        JsonNode issued = call("POST", "/api/v1/db/credentials", alice, Map.of("target", "prod-db"), 201);
        String credential = issued.get("password").asText();
        // psql verifies the proxy's certificate and name against the CA handed out with the credential
        Files.writeString(
                work.resolve("portcullis-db-ca.pem"),
                issued.get("caCertificate").asText());

        // no grant: psql shows the one line, with where to ask; a wrong password is told apart
        Commands.Result refused = psql(credential, "select 1");
        assertThat(refused.exit()).isEqualTo(2);
        assertThat(refused.err())
                .contains(
                        "FATAL:  portcullis: no active grant for app_readonly@prod-db; request one at " + broker.url());
        assertThat(psql("a-guess", "select 1").err())
                .contains("password authentication failed for user \"app_readonly\"");

        String db = call(
                        "POST",
                        "/api/v1/requests",
                        alice,
                        Map.of(
                                "target",
                                "prod-db",
                                "login",
                                "app_readonly",
                                "durationMinutes",
                                30,
                                "reason",
                                "INC-2 check orders"),
                        201)
                .get("id")
                .asText();
        call("POST", "/api/v1/requests/" + db + "/approve", bob, Map.of(), 200);
        Commands.Result select = psql(credential, "select sum(total) from orders");
        assertThat(select.exit()).as(select.err()).isZero();
        assertThat(select.out().trim()).isEqualTo("29.98");
        // F11: a credential for another target is nobody's here, even with a grant for this one
        String staging = call("POST", "/api/v1/db/credentials", alice, Map.of("target", "staging-db"), 201)
                .get("password")
                .asText();
        Commands.Result elsewhere = psql(staging, "select 1");
        assertThat(elsewhere.exit()).isEqualTo(2);
        assertThat(elsewhere.err())
                .contains("password authentication failed for user \"app_readonly\": use a database credential"
                        + " from the broker for prod-db");
        assertThat(call("GET", "/api/v1/audit?action=db.credential.refused", dave, null, 200)
                        .toString())
                .contains("staging-db");
        Commands.Result delete = psql(credential, "delete from orders");
        assertThat(delete.err()).contains("cannot execute DELETE in a read-only transaction", "read-only");
        JsonNode dbSession = awaitSession(dave, db, "CLOSED");
        assertThat(dbSession.get("protocol").asText()).isEqualTo("postgres");
        HttpResponse<String> events = http.send(
                HttpRequest.newBuilder(URI.create(broker.url() + "/api/v1/sessions/"
                                + dbSession.get("id").asText() + "/events.jsonl"))
                        .header("Authorization", "Bearer " + dave)
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        // the newest session of the grant is the refused delete: recorded with the server's refusal
        assertThat(events.body())
                .contains("\"type\":\"query\"", "\"query\":\"delete from orders\"", "\"sqlState\":\"25006\"");
        call("POST", "/api/v1/requests/" + db + "/release", alice, Map.of(), 200);

        // one-minute grants for ssh and psql, each with a live session when the minute is up
        JsonNode cert = call(
                "POST",
                "/api/v1/ssh/certificates",
                alice,
                Map.of("publicKey", Files.readString(Path.of(aliceKey + ".pub")).trim()),
                201);
        Files.writeString(
                Path.of(aliceKey + "-cert.pub"), cert.get("certificate").asText() + "\n");
        Path knownHosts = work.resolve("known_hosts_expiry");
        Files.writeString(knownHosts, "[127.0.0.1]:" + sshPort + " " + stack.bastionHostKeyLine() + "\n");
        String sshGrant = call(
                        "POST",
                        "/api/v1/requests",
                        alice,
                        Map.of(
                                "target",
                                "prod-web-1",
                                "login",
                                target.login(),
                                "durationMinutes",
                                1,
                                "reason",
                                "INC-3 short look"),
                        201)
                .get("id")
                .asText();
        String dbGrant = call(
                        "POST",
                        "/api/v1/requests",
                        alice,
                        Map.of(
                                "target",
                                "prod-db",
                                "login",
                                "app_readonly",
                                "durationMinutes",
                                1,
                                "reason",
                                "INC-3 short look"),
                        201)
                .get("id")
                .asText();
        call("POST", "/api/v1/requests/" + sshGrant + "/approve", bob, Map.of(), 200);
        JsonNode approved = call("POST", "/api/v1/requests/" + dbGrant + "/approve", bob, Map.of(), 200);
        java.time.Instant dbEndsAt =
                java.time.Instant.parse(approved.get("endsAt").asText());
        Process liveSsh = new ProcessBuilder(ssh(knownHosts, "echo live; sleep 300")).start();
        CompletableFuture<String> sshErr = Commands.drain(liveSsh.getErrorStream());
        Commands.drain(liveSsh.getInputStream());
        ProcessBuilder psqlLive = new ProcessBuilder(psqlCommand("select pg_sleep(300)"));
        psqlLive.environment().put("PGPASSWORD", credential);
        Process livePsql = psqlLive.start();
        CompletableFuture<String> psqlErr = Commands.drain(livePsql.getErrorStream());
        Commands.drain(livePsql.getInputStream());
        awaitSession(dave, sshGrant, "OPEN");
        awaitSession(dave, dbGrant, "OPEN");
        assertThat(liveSsh.waitFor(120, TimeUnit.SECONDS))
                .as("the ssh session ends with its grant")
                .isTrue();
        assertThat(livePsql.waitFor(120, TimeUnit.SECONDS))
                .as("the psql session ends with its grant")
                .isTrue();
        assertThat(sshErr.get(10, TimeUnit.SECONDS))
                .contains("portcullis: your grant for " + target.login() + "@prod-web-1 ended at");
        assertThat(psqlErr.get(10, TimeUnit.SECONDS))
                .contains("FATAL:  portcullis: your grant for app_readonly@prod-db ended at");
        JsonNode cutSsh = awaitSession(dave, sshGrant, "GRANT_ENDED");
        JsonNode cutDb = awaitSession(dave, dbGrant, "GRANT_ENDED");
        // the bastion's own timer cuts them at the end time, not at the next sweep
        assertThat(java.time.Duration.between(
                        dbEndsAt, java.time.Instant.parse(cutDb.get("endedAt").asText())))
                .as("psql cut after the grant's end")
                .isLessThan(java.time.Duration.ofSeconds(1));

        // both recordings verify; a flipped byte in one of them does not
        for (JsonNode session : List.of(cutSsh, cutDb)) {
            assertThat(call("GET", "/api/v1/sessions/" + session.get("id").asText() + "/verification", dave, null, 200)
                            .get("status")
                            .asText())
                    .isEqualTo("VALID");
        }
        Path recording =
                work.resolve("recordings").resolve(cutDb.get("recordingId").asText());
        Path chunk;
        try (var files = Files.list(recording)) {
            chunk = files.filter(f -> f.getFileName().toString().startsWith("chunk"))
                    .sorted()
                    .findFirst()
                    .orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(chunk);
        bytes[bytes.length / 2] ^= 1;
        Files.write(chunk, bytes);
        assertThat(call("GET", "/api/v1/sessions/" + cutDb.get("id").asText() + "/verification", dave, null, 200)
                        .get("status")
                        .asText())
                .isNotEqualTo("VALID");
    }

    private Commands.Result psql(String password, String sql) throws IOException {
        return Commands.run(psqlCommand(sql), null, Duration.ofSeconds(60), Map.of("PGPASSWORD", password));
    }

    private List<String> psqlCommand(String sql) {
        return List.of(
                "psql",
                "-X",
                "-A",
                "-t",
                "host=127.0.0.1 port=" + dbPort + " sslmode=verify-full sslrootcert="
                        + work.resolve("portcullis-db-ca.pem") + " dbname=prod-db user=app_readonly connect_timeout=10",
                "-c",
                sql);
    }

    private List<String> ssh(Path knownHosts, String command) {
        return ssh(aliceKey, knownHosts, command);
    }

    private List<String> ssh(Path key, Path knownHosts, String command) {
        return new ArrayList<>(List.of(
                "ssh",
                "-F",
                "/dev/null",
                "-p",
                String.valueOf(sshPort),
                "-i",
                key.toString(),
                "-o",
                "CertificateFile=" + key + "-cert.pub",
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
                target.login() + "+prod-web-1@127.0.0.1",
                command));
    }

    /** Waits until the session of this grant reaches the status (newest session first). */
    private JsonNode awaitSession(String token, String grant, String status) throws Exception {
        JsonNode last = null;
        for (int i = 0; i < 300; i++) {
            JsonNode sessions = call("GET", "/api/v1/sessions?limit=50", token, null, 200);
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

    private JsonNode call(String method, String path, String token, Object body, int expected) throws Exception {
        return stack.api(method, path, token, body, expected);
    }
}
