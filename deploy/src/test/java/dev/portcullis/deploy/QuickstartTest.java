package dev.portcullis.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's first command, end to end: start, the approval story over HTTP, restart, stop. */
class QuickstartTest {

    /**
     * F23: every file the quickstart keeps a secret in, as it wrote it (the bastion's TLS keystore and its password,
     * the demo roles' passwords, the broker's database passwords, the settings that carry the demo password, any
     * private key), is 0600; a keystore left at the umask was readable by every local user.
     */
    private static void assertSecretsAreTheOwnersAlone(Path home) throws java.io.IOException {
        List<String> secret = new java.util.ArrayList<>();
        try (var files = Files.walk(home)) {
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                String name = f.getFileName().toString();
                boolean holdsSecret = name.endsWith(".p12")
                        || name.endsWith(".pass")
                        || name.equals("quickstart.env")
                        || name.equals("broker-secrets.properties")
                        || f.getParent().getFileName().toString().equals("db-passwords")
                        || (Files.size(f) < 1 << 16
                                && Files.readString(f, java.nio.charset.StandardCharsets.ISO_8859_1)
                                        .contains("PRIVATE KEY"));
                if (holdsSecret && !f.startsWith(home.resolve("keycloak"))) { // Keycloak's own distribution is not ours
                    secret.add(home.relativize(f).toString());
                    assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(f)))
                            .as(home.relativize(f).toString())
                            .isEqualTo("rw-------");
                }
            }
        }
        assertThat(secret)
                .as("the secrets the quickstart wrote")
                .contains(
                        "quickstart.env",
                        "broker-secrets.properties",
                        "bastion/db-tls.p12",
                        "bastion/db-tls.p12.pass",
                        "bastion/db-passwords/app_readonly");
    }

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void startsTheStackRunsTheStoryAndStops(@TempDir Path home) throws Exception {
        Path repo = Path.of("..").toAbsolutePath().normalize();
        // The @TempDir is closed to other users; PostgreSQL runs as its own user when we are root.
        Path postgresDir =
                Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "portcullis-quickstart-pg-");
        Settings settings = new Settings(
                repo,
                home,
                freePort(),
                freePort(),
                repo.resolve("deploy/policies/policies.yaml").toAbsolutePath(),
                postgresDir,
                freePort(),
                freePort(),
                freePort());
        Quickstart quickstart = new Quickstart(settings);
        try {
            String printed = capture(quickstart::start);
            assertThat(printed)
                    .contains(
                            "Portcullis is up.",
                            settings.brokerUrl() + "/ui",
                            settings.brokerUrl() + "/api/v1",
                            "alice (engineers)");
            assertSecretsAreTheOwnersAlone(home);

            Properties env = new Properties();
            for (String line : Files.readAllLines(home.resolve("quickstart.env"))) {
                if (line.startsWith("export ")) {
                    env.setProperty(line.substring(7, line.indexOf('=')), line.substring(line.indexOf('=') + 1));
                }
            }
            String keycloak = env.getProperty("PORTCULLIS_KEYCLOAK_URL");
            String password = env.getProperty("PORTCULLIS_DEMO_PASSWORD");
            assertThat(printed).contains(password);

            Properties state = new Properties();
            try (var in = Files.newInputStream(home.resolve("state.properties"))) {
                state.load(in);
            }
            String login = state.getProperty("demo.login");
            assertThat(printed).contains("ssh -p " + settings.bastionPort(), login + "+prod-web-1@127.0.0.1");
            assertThat(capture(quickstart::status))
                    .contains(
                            "bastion   up on 127.0.0.1:" + settings.bastionPort(),
                            "target    up on 127.0.0.1:" + settings.demoSshPort());

            String alice = token(keycloak, "alice", password);
            String bob = token(keycloak, "bob", password);
            String carol = token(keycloak, "carol", password);
            HttpResponse<String> created = post(
                    settings.brokerUrl() + "/api/v1/requests",
                    alice,
                    "{\"target\":\"prod-web-1\",\"login\":\"" + login
                            + "\",\"durationMinutes\":60,\"reason\":\"disk full\",\"ticket\":\"INC-1234\"}");
            assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
            String id = created.body()
                    .substring(created.body().indexOf("\"id\":\"") + 6)
                    .substring(0, 36);
            // notifications are on: bob's demo mailbox, read as the printed line says, has the request and its link
            String inbox =
                    "http://127.0.0.1:" + state.getProperty("mail.api.port") + "/api/user/bob@example.com/messages/";
            assertThat(printed).contains("mail         " + inbox);
            assertThat(capture(quickstart::status))
                    .contains("mail      up: SMTP 127.0.0.1:" + state.getProperty("mail.smtp.port"));
            assertThat(awaitMail(inbox, id)).contains(settings.brokerUrl() + "/ui/approvals?focus=" + id);
            assertThat(post(settings.brokerUrl() + "/api/v1/requests/" + id + "/approve", alice, "{}")
                            .statusCode())
                    .isEqualTo(403);
            assertThat(post(settings.brokerUrl() + "/api/v1/requests/" + id + "/approve", bob, "{}")
                            .statusCode())
                    .isEqualTo(200);
            assertThat(post(settings.brokerUrl() + "/api/v1/requests/" + id + "/approve", carol, "{}")
                            .body())
                    .contains("\"state\":\"ACTIVE\"");

            // the printed SSH steps: a certificate from the broker, then the stock ssh client through the bastion
            Path key = home.resolve("alice_key");
            assertThat(new ProcessBuilder("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key.toString())
                            .start()
                            .waitFor())
                    .isZero();
            HttpResponse<String> cert = post(
                    settings.brokerUrl() + "/api/v1/ssh/certificates",
                    alice,
                    "{\"publicKey\":\""
                            + Files.readString(Path.of(key + ".pub")).trim() + "\"}");
            assertThat(cert.statusCode()).as(cert.body()).isEqualTo(201);
            String certLine = cert.body().substring(cert.body().indexOf("\"certificate\":\"") + 15);
            Files.writeString(Path.of(key + "-cert.pub"), certLine.substring(0, certLine.indexOf('"')) + "\n");
            Process ssh = new ProcessBuilder(
                            "ssh",
                            "-F",
                            "/dev/null",
                            "-p",
                            String.valueOf(settings.bastionPort()),
                            "-i",
                            key.toString(),
                            "-o",
                            "UserKnownHostsFile=" + home.resolve("known_hosts"),
                            "-o",
                            "StrictHostKeyChecking=yes",
                            "-o",
                            "BatchMode=yes",
                            login + "+prod-web-1@127.0.0.1",
                            "echo hello from $(whoami)")
                    .redirectErrorStream(true)
                    .start();
            String said = new String(ssh.getInputStream().readAllBytes());
            assertThat(ssh.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            assertThat(said).isEqualTo("hello from " + login + "\n");

            // the printed database steps: erin approves read-only access, a credential from the broker, psql through
            // the proxy
            assertThat(printed)
                    .contains(
                            "portcullis login --broker " + settings.brokerUrl(),
                            "portcullis ssh prod-web-1",
                            "portcullis psql prod-db --role app_readonly",
                            "docs/api.md");
            assertThat(capture(quickstart::status))
                    .contains("db proxy  up on 127.0.0.1:" + settings.databaseProxyPort());
            HttpResponse<String> dbRequest = post(
                    settings.brokerUrl() + "/api/v1/requests",
                    alice,
                    "{\"target\":\"prod-db\",\"login\":\"app_readonly\",\"durationMinutes\":60,\"reason\":\"check yesterday orders\"}");
            assertThat(dbRequest.statusCode()).as(dbRequest.body()).isEqualTo(201);
            String dbId = dbRequest
                    .body()
                    .substring(dbRequest.body().indexOf("\"id\":\"") + 6)
                    .substring(0, 36);
            assertThat(post(
                                    settings.brokerUrl() + "/api/v1/requests/" + dbId + "/approve",
                                    token(keycloak, "erin", password),
                                    "{}")
                            .body())
                    .contains("\"state\":\"ACTIVE\"");
            HttpResponse<String> credential =
                    post(settings.brokerUrl() + "/api/v1/db/credentials", alice, "{\"target\":\"prod-db\"}");
            assertThat(credential.statusCode()).as(credential.body()).isEqualTo(201);
            String pgPassword = credential.body().substring(credential.body().indexOf("\"password\":\"") + 12);
            pgPassword = pgPassword.substring(0, pgPassword.indexOf('"'));
            // psql verifies the proxy's certificate and name against the CA the broker handed out with the credential
            HttpResponse<String> ca = java.net.http.HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(java.net.URI.create(settings.brokerUrl() + "/api/v1/db/ca"))
                                    .header("Authorization", "Bearer " + alice)
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(ca.statusCode()).as(ca.body()).isEqualTo(200);
            Path rootCert = home.resolve("portcullis-db-ca.pem");
            Files.writeString(rootCert, ca.body());
            String conninfo = "host=127.0.0.1 port=" + settings.databaseProxyPort()
                    + " sslmode=verify-full sslrootcert=" + rootCert + " dbname=prod-db user=app_readonly";
            dev.portcullis.local.Commands.Result select = dev.portcullis.local.Commands.run(
                    List.of("psql", "-X", "-A", "-t", conninfo, "-c", "select count(*) from orders"),
                    null,
                    java.time.Duration.ofSeconds(60),
                    java.util.Map.of("PGPASSWORD", pgPassword));
            assertThat(select.exit()).as(select.err()).isZero();
            assertThat(select.out().trim()).isEqualTo("5");
            dev.portcullis.local.Commands.Result delete = dev.portcullis.local.Commands.run(
                    List.of("psql", "-X", "-A", "-t", conninfo, "-c", "delete from orders"),
                    null,
                    java.time.Duration.ofSeconds(60),
                    java.util.Map.of("PGPASSWORD", pgPassword));
            assertThat(delete.err()).contains("cannot execute DELETE in a read-only transaction");

            assertThat(capture(quickstart::start))
                    .as("a second start changes nothing")
                    .contains("already running");
            boolean[] allUp = new boolean[1];
            capture(() -> allUp[0] = quickstart.status());
            assertThat(allUp[0]).as("status: every part up").isTrue();

            // the bastion dies (kill -9): status says so and fails; a start brings back the bastion alone
            Properties running = new Properties();
            try (var in = Files.newInputStream(home.resolve("state.properties"))) {
                running.load(in);
            }
            ProcessHandle bastion = ProcessHandle.of(Long.parseLong(running.getProperty("bastion.pid")))
                    .orElseThrow();
            bastion.destroyForcibly();
            bastion.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(capture(() -> allUp[0] = quickstart.status())).contains("bastion   down", "broker    up");
            assertThat(allUp[0]).as("status with the bastion down").isFalse();
            String restarted = capture(quickstart::start);
            assertThat(restarted)
                    .contains("The bastion was down; starting it again.", "Portcullis is up.")
                    .doesNotContain("starting the broker", "starting PostgreSQL");
            assertThat(capture(() -> allUp[0] = quickstart.status()))
                    .contains("bastion   up on 127.0.0.1:" + settings.bastionPort());
            assertThat(allUp[0]).isTrue();

            // recordings go to S3 (S3Proxy): status knows it; when it dies, a start brings it back alone, same port
            assertThat(capture(quickstart::status)).contains("s3        up at http://127.0.0.1:");
            try (var in = Files.newInputStream(home.resolve("state.properties"))) {
                running.load(in);
            }
            ProcessHandle s3 = ProcessHandle.of(Long.parseLong(running.getProperty("s3.pid")))
                    .orElseThrow();
            s3.destroyForcibly();
            s3.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(capture(() -> allUp[0] = quickstart.status())).contains("s3        down", "bastion   up");
            assertThat(allUp[0]).isFalse();
            assertThat(capture(quickstart::start))
                    .contains("S3 was down; starting it again.", "Portcullis is up.")
                    .doesNotContain("starting the broker", "starting the SSH bastion");
            assertThat(capture(() -> allUp[0] = quickstart.status()))
                    .contains("s3        up at " + running.getProperty("s3.url"));
            assertThat(allUp[0]).isTrue();

            // the mail server dies: status says so and fails; a start brings it back alone, on the same ports
            try (var in = Files.newInputStream(home.resolve("state.properties"))) {
                running.load(in);
            }
            ProcessHandle mail = ProcessHandle.of(Long.parseLong(running.getProperty("mail.pid")))
                    .orElseThrow();
            mail.destroyForcibly();
            mail.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(capture(() -> allUp[0] = quickstart.status())).contains("mail      down", "broker    up");
            assertThat(allUp[0]).as("status with the mail server down").isFalse();
            assertThat(capture(quickstart::start))
                    .contains("The mail server was down; starting it again", "Portcullis is up.")
                    .doesNotContain("starting the broker", "starting the SSH bastion", "starting S3");
            assertThat(capture(() -> allUp[0] = quickstart.status()))
                    .contains("mail      up: SMTP 127.0.0.1:" + running.getProperty("mail.smtp.port"));
            assertThat(allUp[0]).isTrue();
            // and the broker mails through it again: a new request reaches bob
            HttpResponse<String> later = post(
                    settings.brokerUrl() + "/api/v1/requests",
                    alice,
                    "{\"target\":\"prod-web-1\",\"login\":\"" + login + "\",\"durationMinutes\":30,"
                            + "\"reason\":\"after mail restart\",\"ticket\":\"INC-1235\"}");
            assertThat(later.statusCode()).as(later.body()).isEqualTo(201);
            assertThat(awaitMail(
                            inbox,
                            later.body()
                                    .substring(later.body().indexOf("\"id\":\"") + 6)
                                    .substring(0, 36)))
                    .isNotEmpty();

            // every other part, killed in turn: status fails and names it; a start brings back that part alone
            ProcessHandle broker = ProcessHandle.of(Long.parseLong(running.getProperty("broker.pid")))
                    .orElseThrow();
            kill(broker);
            assertThat(capture(() -> allUp[0] = quickstart.status())).contains("broker    down", "postgres  up");
            assertThat(allUp[0]).isFalse();
            assertThat(capture(quickstart::start))
                    .contains("The broker was down; starting it again.", "Portcullis is up.")
                    .doesNotContain("PostgreSQL was down", "Keycloak was down", "The bastion was down");
            assertAllUp(quickstart);
            assertThat(request(settings, keycloak, password, id)).contains("\"state\":\"ACTIVE\"");

            Path postmasterPid = Path.of(running.getProperty("postgres.dir"), "data", "postmaster.pid");
            kill(ProcessHandle.of(Long.parseLong(
                            Files.readAllLines(postmasterPid).get(0).trim()))
                    .orElseThrow());
            assertThat(capture(() -> allUp[0] = quickstart.status())).contains("postgres  down");
            assertThat(allUp[0]).isFalse();
            assertThat(capture(quickstart::start))
                    .contains("PostgreSQL was down; starting it again", "Portcullis is up.")
                    .doesNotContain("The bastion was down", "starting the SSH bastion");
            assertAllUp(quickstart);
            assertThat(capture(quickstart::status))
                    .contains("postgres  up on 127.0.0.1:" + running.getProperty("postgres.port"));
            assertThat(request(settings, keycloak, password, id)).contains("\"state\":\"ACTIVE\"");

            try (var in = Files.newInputStream(home.resolve("state.properties"))) {
                running.load(in);
            }
            kill(ProcessHandle.of(Long.parseLong(running.getProperty("keycloak.pid")))
                    .orElseThrow());
            assertThat(capture(() -> allUp[0] = quickstart.status())).contains("keycloak  down");
            assertThat(allUp[0]).isFalse();
            assertThat(capture(quickstart::start))
                    .contains("Keycloak was down; starting it again", "Portcullis is up.")
                    .doesNotContain("PostgreSQL was down", "The broker was down", "The bastion was down");
            assertAllUp(quickstart);
            assertThat(request(settings, keycloak, password, id)).contains("\"state\":\"ACTIVE\"");

            dev.portcullis.local.LocalSshd.stopExisting(Path.of(running.getProperty("demo.target.dir")));
            assertThat(capture(() -> allUp[0] = quickstart.status())).contains("target    down");
            assertThat(allUp[0]).isFalse();
            assertThat(capture(quickstart::start))
                    .contains("The demo SSH target was down; starting it again.")
                    .doesNotContain("The broker was down", "The bastion was down");
            assertAllUp(quickstart);
            capture(quickstart::stop);
            assertThat(capture(quickstart::status))
                    .contains(
                            "broker    down",
                            "keycloak  down",
                            "postgres  down",
                            "bastion   down",
                            "target    down",
                            "db proxy  down");

            // Data survives a restart: the grant is still there.
            capture(quickstart::start);
            String aliceAgain = token(keycloak, "alice", password);
            HttpResponse<String> again = http.send(
                    HttpRequest.newBuilder(URI.create(settings.brokerUrl() + "/api/v1/requests/" + id))
                            .header("Authorization", "Bearer " + aliceAgain)
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(again.body()).contains("\"state\":\"ACTIVE\"");
        } finally {
            Properties state = new Properties();
            if (Files.exists(home.resolve("state.properties"))) {
                try (var in = Files.newInputStream(home.resolve("state.properties"))) {
                    state.load(in);
                }
            }
            capture(quickstart::stop);
            List<Path> leftovers = new java.util.ArrayList<>(List.of(postgresDir));
            if (state.getProperty("demo.target.dir") != null
                    && !Path.of(state.getProperty("demo.target.dir")).startsWith(home)) {
                leftovers.add(Path.of(state.getProperty("demo.target.dir")));
            }
            for (Path dir : leftovers) {
                try (var files = Files.walk(dir)) {
                    files.sorted(java.util.Comparator.reverseOrder())
                            .forEach(p -> p.toFile().delete());
                }
            }
        }
    }

    /** kill -9 of a part's process and its children (Keycloak's script runs the JVM as its child). */
    private static void kill(ProcessHandle process) throws Exception {
        List<ProcessHandle> children = process.descendants().toList();
        process.destroyForcibly();
        children.forEach(ProcessHandle::destroyForcibly);
        process.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
    }

    private static void assertAllUp(Quickstart quickstart) {
        boolean[] allUp = new boolean[1];
        String printed = capture(() -> allUp[0] = quickstart.status());
        assertThat(allUp[0]).as(printed).isTrue();
    }

    /** A request as alice sees it through the broker, which reads it from PostgreSQL. */
    private String request(Settings settings, String keycloak, String password, String id) throws Exception {
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(URI.create(settings.brokerUrl() + "/api/v1/requests/" + id))
                        .header("Authorization", "Bearer " + token(keycloak, "alice", password))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return r.body();
    }

    private String token(String keycloak, String user, String password) throws Exception {
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(URI.create(keycloak + "/realms/portcullis/protocol/openid-connect/token"))
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .POST(HttpRequest.BodyPublishers.ofString(
                                "grant_type=password&client_id=portcullis-cli&username=" + user + "&password="
                                        + password))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        String body = r.body();
        int at = body.indexOf("\"access_token\":\"") + 16;
        return body.substring(at, body.indexOf('"', at));
    }

    /** The inbox's JSON once it holds a message that names this request (bounded wait); fails the test otherwise. */
    private String awaitMail(String inbox, String requestId) throws Exception {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
        String body = "";
        while (System.nanoTime() < deadline) {
            HttpResponse<String> got =
                    http.send(HttpRequest.newBuilder(URI.create(inbox)).build(), HttpResponse.BodyHandlers.ofString());
            // the raw MIME text as JSON: undo quoted-printable's soft line breaks and its escaped '='
            body = got.body().replace("=\\r\\n", "").replace("=3D", "=");
            if (got.statusCode() == 200 && body.contains(requestId)) {
                return body;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("no mail about request " + requestId + " at " + inbox + " within 60 s: " + body);
    }

    private HttpResponse<String> post(String url, String token, String json) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create(url))
                        .header("Authorization", "Bearer " + token)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(json))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String capture(Runnable action) {
        PrintStream original = System.out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setOut(new PrintStream(bytes, true));
        try {
            action.run();
        } finally {
            System.setOut(original);
        }
        String printed = bytes.toString();
        original.print(printed);
        return printed;
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
