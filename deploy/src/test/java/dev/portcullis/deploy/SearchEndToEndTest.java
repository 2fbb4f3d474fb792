package dev.portcullis.deploy;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import com.microsoft.playwright.options.AriaRole;
import dev.portcullis.local.Commands;
import dev.portcullis.local.LocalKeycloak;
import dev.portcullis.local.LocalPostgres;
import dev.portcullis.local.LocalSshd;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Search across recordings, end to end in Debian's Chromium: a broker process, a bastion process (which feeds the
 * index while it records), an OpenSSH target and PostgreSQL behind the bastion's proxy. Dave (auditor) finds a command
 * alice typed with backspaces in the middle and lands in the replay at that second; dave finds a DELETE sent through
 * pgJDBC's extended protocol; alice finds only her own sessions. Screenshots go to target/screenshots.
 */
class SearchEndToEndTest {

    private static final String DATABASE = "search_e2e";
    private static final String ORDERS = "search_orders";
    private static final Path SCREENSHOTS = Path.of("target", "screenshots");

    private static SystemStack stack;
    private static Path work;
    private static LocalKeycloak keycloak;
    private static LocalSshd target;
    private static BrokerProcess broker;
    private static Playwright playwright;
    private static Browser browser;
    private static Path key;
    private static Path knownHosts;

    private final List<BrowserContext> contexts = new ArrayList<>();

    @BeforeAll
    static void stack() throws Exception {
        stack = SystemStack.prepare("search-e2e");
        work = stack.work;
        keycloak = stack.keycloak;
        target = stack.target;
        LocalPostgres postgres = stack.postgres;
        postgres.createDatabase(ORDERS);
        String rolePassword = UUID.randomUUID().toString();
        postgres.createRole("app_readonly", rolePassword);
        postgres.sql(
                ORDERS,
                "create table if not exists orders (id int primary key, total numeric); "
                        + "grant select on orders to app_readonly");
        Path rolePasswordFile = work.resolve("app_readonly.password");
        Files.writeString(rolePasswordFile, rolePassword + "\n");
        broker = stack.startBroker(
                DATABASE,
                """
                version: 1
                targets:
                  - {name: prod-web-1, kind: ssh, host: 127.0.0.1, port: %1$d}
                  - {name: prod-db, kind: postgres, host: 127.0.0.1, port: %2$d, database: %3$s}
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
                    targets: [prod-db]
                    logins: [app_readonly]
                    maxDuration: 4h
                    reason: required
                    approvals: {required: 1, from: [sre-approvers]}
                    access: read
                """.formatted(target.port(), postgres.port(), ORDERS, target.login()),
                Map.of(
                        "PORTCULLIS_DB_PROXY_CA_FILE",
                        stack.bastionState.resolve("db-tls.crt").toString()));
        keycloak.allowWebUrl(broker.url());
        stack.startBastion("""
                databases:
                  prod-db:
                    address: 127.0.0.1:%d
                    roles:
                      app_readonly: {passwordFile: %s, readOnly: true}
                """.formatted(postgres.port(), rolePasswordFile));
        key = work.resolve("user-key");
        Commands.run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key.toString()));
        knownHosts = work.resolve("known_hosts");
        Files.writeString(knownHosts, "[127.0.0.1]:" + stack.sshPort + " " + stack.bastionHostKeyLine() + "\n");

        Files.createDirectories(SCREENSHOTS);
        playwright = Playwright.create(
                new Playwright.CreateOptions().setEnv(Map.of("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")));
        browser = playwright
                .chromium()
                .launch(new BrowserType.LaunchOptions()
                        .setExecutablePath(Path.of("/usr/bin/chromium"))
                        .setHeadless(true)
                        .setArgs(List.of(
                                "--no-sandbox",
                                "--disable-gpu",
                                "--disable-background-networking",
                                "--disable-component-update",
                                "--disable-sync",
                                "--no-first-run")));
    }

    @AfterAll
    static void stop() throws IOException {
        if (browser != null) browser.close();
        if (playwright != null) playwright.close();
        if (stack != null) stack.close();
    }

    @AfterEach
    void closeBrowsers() {
        int n = 0;
        for (BrowserContext context : contexts) {
            for (Page page : context.pages()) {
                page.screenshot(new Page.ScreenshotOptions()
                        .setPath(SCREENSHOTS.resolve("last/search-" + (++n) + ".png"))
                        .setFullPage(true));
            }
        }
        contexts.forEach(BrowserContext::close);
        contexts.clear();
    }

    @Test
    void daveFindsACommandAliceTypedWithABackspaceAndReplaysItAtThatSecond() throws Exception {
        String grant = grant("alice", "prod-web-1", target.login());
        certificateFor("alice");
        String marker = "needle" + (System.nanoTime() % 100_000);
        // typed with a slip in the middle, corrected with backspaces: the raw bytes never hold the command as run
        String typed = "true grep-me-" + marker + "-plaese" + "\u007f".repeat(4) + "ease-now\r";
        // the first lines, then (about 3 s in) the command, then a little more so the second is well inside
        shell(List.of("echo start of the session\r", "sleep 1\r"), Duration.ofSeconds(3), typed, "sleep 2; exit\r");
        awaitClosedSessions(grant, 1);
        release("alice", grant);
        String command = "true grep-me-" + marker + "-please-now";
        long second = awaitHit(command, "command").get("offsetSeconds").asLong();
        assertThat(second).isBetween(2L, 8L);

        Page dave = signIn("dave");
        nav(dave, "Search");
        dave.getByLabel("Text").fill("grep-me-" + marker + "-please");
        dave.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Search"))
                .click();
        Locator hit = dave.getByTestId("search-hit").filter(new Locator.FilterOptions().setHasText(command));
        assertThat(hit).hasCount(1);
        assertThat(hit).containsText("alice: " + target.login() + " on prod-web-1");
        assertThat(hit).containsText("command");
        assertThat(hit.getByTestId("hit-verification")).hasAttribute("data-status", "VALID");
        shot(dave, "search-command");
        hit.getByTestId("hit-replay").click();
        assertThat(dave).hasURL(Pattern.compile(".*/ui/sessions/[0-9a-f-]+\\?t=" + second + "$"));
        assertThat(dave.getByTestId("verification")).hasAttribute("data-status", "VALID");
        assertThat(dave.getByTestId("position")).hasText(Pattern.compile("^" + second + "\\.[0-9]$"));
        shot(dave, "search-replay-at-second");
    }

    @Test
    void daveFindsADeleteSentThroughPgJdbcsExtendedProtocol() throws Exception {
        String grant = grant("alice", "prod-db", "app_readonly");
        JsonNode issued = stack.api(
                "POST", "/api/v1/db/credentials", keycloak.accessToken("alice"), Map.of("target", "prod-db"), 201);
        Path ca = work.resolve("db-ca.pem");
        Files.writeString(ca, issued.get("caCertificate").asText());
        Properties props = new Properties();
        props.setProperty("user", "app_readonly");
        props.setProperty("password", issued.get("password").asText());
        props.setProperty("sslmode", "verify-full");
        props.setProperty("sslrootcert", ca.toString());
        props.setProperty("prepareThreshold", "1");
        int id = 40_000 + (int) (System.nanoTime() % 10_000);
        try (Connection c =
                        DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + stack.dbPort + "/prod-db", props);
                PreparedStatement delete = c.prepareStatement("DELETE FROM orders WHERE id = ?")) {
            // as text: pgJDBC sends setInt's value in binary, which recordings (and so the index) show as hex
            delete.setObject(1, String.valueOf(id), java.sql.Types.OTHER);
            delete.executeUpdate(); // a read-only grant: the server refuses it, the proxy records it either way
        } catch (SQLException refused) {
            assertThat(refused.getSQLState()).isEqualTo("25006");
        }
        awaitClosedSessions(grant, 1);
        release("alice", grant);
        awaitHit("$1=" + id, "query");

        Page dave = signIn("dave");
        nav(dave, "Search");
        dave.getByLabel("Text").fill("DELETE FROM orders");
        dave.getByLabel("Kind").selectOption("query");
        dave.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Search"))
                .click();
        Locator hit = dave.getByTestId("search-hit").filter(new Locator.FilterOptions().setHasText("$1=" + id));
        assertThat(hit).hasCount(1);
        assertThat(hit).containsText("DELETE FROM orders WHERE id = $1");
        assertThat(hit).containsText("app_readonly on prod-db (postgres)");
        assertThat(hit).containsText("25006");
        shot(dave, "search-delete");
    }

    @Test
    void aliceSeesOnlyHerOwnSessions() throws Exception {
        String frank = "frank" + (System.nanoTime() % 100_000);
        keycloak.createUser(frank, keycloak.demoPassword(), "engineers");
        String marker = "shared-" + (System.nanoTime() % 100_000);
        for (String person : List.of("alice", frank)) {
            String grant = grant(person, "prod-web-1", target.login());
            certificateFor(person);
            Commands.Result ran = Commands.run(sshExec("true " + marker + " by " + person));
            assertThat(ran.exit()).as(ran.err()).isZero();
            awaitClosedSessions(grant, 1);
            release(person, grant);
        }
        awaitHit(marker + " by " + frank, "exec");
        awaitHit(marker + " by alice", "exec");

        Page alice = signIn("alice");
        nav(alice, "Search");
        assertThat(alice.getByLabel("Person")).hasCount(0); // not hers to choose
        alice.getByLabel("Text").fill(marker);
        alice.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Search"))
                .click();
        assertThat(alice.getByTestId("search-hit")).hasCount(1);
        assertThat(alice.getByTestId("search-hit")).containsText("true " + marker + " by alice");
        assertThat(alice.getByTestId("hit-replay")).hasCount(0); // replays are for auditors
        shot(alice, "search-own");
        // asking for someone else's by address gets the one line, not their hits
        alice.navigate(broker.url() + "/ui/search?q=" + marker + "&person=" + frank);
        assertThat(alice.getByTestId("search-error"))
                .hasText("searching other people's sessions is for auditors and " + "admins (/auditors, /admins)");
        assertThat(alice.getByTestId("search-hit")).hasCount(0);

        Page dave = signIn("dave");
        dave.navigate(broker.url() + "/ui/search?q=" + marker);
        assertThat(dave.getByTestId("search-hit")).hasCount(2);
    }

    /** An interactive shell through the bastion in a terminal: the first keys, a pause, then the rest. */
    private void shell(List<String> first, Duration pause, String... rest) throws Exception {
        List<String> ssh = new ArrayList<>(List.of("ssh", "-tt", "-p", String.valueOf(stack.sshPort)));
        ssh.addAll(sshOptions());
        ssh.add(target.login() + "+prod-web-1@127.0.0.1");
        Process p = new ProcessBuilder("script", "-qefc", String.join(" ", ssh), "/dev/null")
                .redirectErrorStream(true)
                .redirectOutput(work.resolve("shell.out").toFile())
                .start();
        try (OutputStream keys = p.getOutputStream()) {
            for (String k : first) {
                keys.write(k.getBytes(StandardCharsets.UTF_8));
                keys.flush();
            }
            Thread.sleep(pause.toMillis());
            for (String k : rest) {
                keys.write(k.getBytes(StandardCharsets.UTF_8));
                keys.flush();
                Thread.sleep(200);
            }
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("the shell ends").isTrue();
        } finally {
            p.destroyForcibly();
        }
    }

    private List<String> sshExec(String command) {
        List<String> ssh = new ArrayList<>(List.of("ssh", "-p", String.valueOf(stack.sshPort)));
        ssh.addAll(sshOptions());
        ssh.add(target.login() + "+prod-web-1@127.0.0.1");
        ssh.add(command);
        return ssh;
    }

    private static List<String> sshOptions() {
        return List.of(
                "-F",
                "/dev/null",
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
                "LogLevel=ERROR");
    }

    private String grant(String person, String targetName, String login) throws Exception {
        String id = stack.api(
                        "POST",
                        "/api/v1/requests",
                        keycloak.accessToken(person),
                        Map.of(
                                "target",
                                targetName,
                                "login",
                                login,
                                "durationMinutes",
                                30,
                                "reason",
                                "INC-7 search test"),
                        201)
                .get("id")
                .asText();
        stack.api("POST", "/api/v1/requests/" + id + "/approve", keycloak.accessToken("bob"), Map.of(), 200);
        return id;
    }

    /** Ends the grant, so the next session of this person cannot be registered under it. */
    private void release(String person, String grant) throws Exception {
        stack.api("POST", "/api/v1/requests/" + grant + "/release", keycloak.accessToken(person), Map.of(), 200);
    }

    private void certificateFor(String person) throws Exception {
        JsonNode cert = stack.api(
                "POST",
                "/api/v1/ssh/certificates",
                keycloak.accessToken(person),
                Map.of("publicKey", Files.readString(Path.of(key + ".pub")).trim()),
                201);
        Files.writeString(Path.of(key + "-cert.pub"), cert.get("certificate").asText() + "\n");
    }

    /** The first hit of {@code text} of this kind, once the index has it (the bastion sends every half second). */
    private JsonNode awaitHit(String text, String kind) throws Exception {
        String dave = keycloak.accessToken("dave");
        String q = java.net.URLEncoder.encode(text, StandardCharsets.UTF_8);
        for (int i = 0; i < 100; i++) {
            for (JsonNode hit : stack.api("GET", "/api/v1/search?q=" + q + "&kind=" + kind, dave, null, 200)
                    .get("hits")) {
                if (hit.get("text").asText().contains(text)) {
                    return hit;
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no " + kind + " entry with '" + text + "' reached the index");
    }

    private void awaitClosedSessions(String grant, int count) throws Exception {
        String dave = keycloak.accessToken("dave");
        for (int i = 0; i < 300; i++) {
            int closed = 0;
            for (JsonNode s : stack.api("GET", "/api/v1/sessions?limit=100", dave, null, 200)) {
                if (grant.equals(s.path("requestId").asText())
                        && !"OPEN".equals(s.path("status").asText())) {
                    closed++;
                }
            }
            if (closed >= count) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the sessions of grant " + grant + " never closed");
    }

    private static void nav(Page page, String name) {
        page.getByRole(AriaRole.NAVIGATION, new Page.GetByRoleOptions().setName("Main"))
                .getByRole(
                        AriaRole.LINK,
                        new Locator.GetByRoleOptions().setName(name).setExact(true))
                .click();
    }

    private Page signIn(String username) {
        BrowserContext context = browser.newContext(new Browser.NewContextOptions().setViewportSize(1280, 860));
        contexts.add(context);
        Page page = context.newPage();
        page.navigate(broker.url() + "/ui/access");
        page.locator("#username").fill(username);
        page.locator("#password").fill(keycloak.demoPassword());
        page.locator("#kc-login").click();
        assertThat(page.getByTestId("username")).hasText(username);
        return page;
    }

    private void shot(Page page, String name) {
        page.waitForFunction("() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')");
        page.screenshot(new Page.ScreenshotOptions()
                .setPath(SCREENSHOTS.resolve(name + ".png"))
                .setFullPage(true));
    }
}
