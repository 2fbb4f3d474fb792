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
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The web UI in Debian's Chromium, driven by Playwright, against the real stack: a broker process on PostgreSQL
 * and Keycloak (people sign in on Keycloak's own login page), a bastion process, an OpenSSH target and the stock
 * ssh client. Alice requests, cannot approve her own request, Bob and Carol approve, Alice sees her countdown and
 * the ssh command (and it works), Dave replays the recorded session and seeks in it. Screenshots go to
 * target/screenshots.
 */
class WebUiEndToEndTest {

    private static final String DATABASE = "web_ui_e2e";
    private static final Path SCREENSHOTS = Path.of("target", "screenshots");

    private static SystemStack stack;
    private static Path work;
    private static LocalKeycloak keycloak;
    private static LocalSshd target;
    private static BrokerProcess broker;
    private static int bastionPort;
    private static Playwright playwright;
    private static Browser browser;
    private static Path aliceKey;
    private static Path knownHosts;

    private final List<BrowserContext> contexts = new ArrayList<>();
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void stack() throws Exception {
        stack = SystemStack.prepare("web-ui-e2e");
        work = stack.work;
        keycloak = stack.keycloak;
        target = stack.target;
        bastionPort = stack.sshPort;
        broker = stack.startBroker(
                DATABASE,
                """
                version: 1
                targets:
                  - {name: prod-web-1, kind: ssh, host: 127.0.0.1, port: %d, labels: {env: prod}}
                  - {name: prod-db, kind: postgres, host: 127.0.0.1, port: 5432, database: orders}
                rules:
                  - name: engineers-prod-ssh
                    requesters: [engineers]
                    targets: [prod-web-1]
                    logins: [%s]
                    maxDuration: 4h
                    reason: required
                    ticket: "INC-[0-9]+"
                    approvals: {required: 2, from: [sre-approvers]}
                  - name: engineers-prod-db-read
                    requesters: [engineers]
                    targets: [prod-db]
                    logins: [app_readonly]
                    maxDuration: 8h
                    reason: required
                    approvals: {required: 1, from: [dba-approvers]}
                    access: read
                """.formatted(target.port(), target.login()),
                Map.of(
                        "PORTCULLIS_WEB_BASTION_HOST",
                        "127.0.0.1",
                        "PORTCULLIS_WEB_BASTION_SSH_PORT",
                        String.valueOf(bastionPort)));
        keycloak.allowWebUrl(broker.url());
        stack.startBastion("");

        aliceKey = work.resolve("alice");
        Commands.run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", aliceKey.toString()));
        knownHosts = work.resolve("known_hosts");
        Files.writeString(knownHosts, "[127.0.0.1]:" + bastionPort + " " + stack.bastionHostKeyLine() + "\n");

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
        // what every open page showed at the end, for when a test fails
        int n = 0;
        for (BrowserContext context : contexts) {
            for (Page page : context.pages()) {
                page.screenshot(new Page.ScreenshotOptions()
                        .setPath(SCREENSHOTS.resolve("last/page-" + (++n) + ".png"))
                        .setFullPage(true));
            }
        }
        contexts.forEach(BrowserContext::close);
        contexts.clear();
    }

    @Test
    void aliceRequestsCannotApproveHerOwnBobAndCarolApproveAndAliceSeesHerCommand() throws Exception {
        Page alice = signIn("alice");
        nav(alice, "Request access");
        assertThat(alice.getByLabel("Target and login")).containsText("app_readonly on prod-db");

        // a mistake first: the error appears beside its field, and what was typed stays
        alice.getByLabel("Target and login").selectOption("prod-web-1/" + target.login());
        assertThat(alice.locator("#rule-summary")).containsText("needs 2 approval(s) from /sre-approvers");
        alice.getByLabel("Duration in minutes").fill("600");
        alice.getByLabel(Pattern.compile("^Reason")).fill("INC-4242 nginx returns 502 on prod-web-1");
        alice.getByLabel(Pattern.compile("^Ticket")).fill("INC-4242");
        alice.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Request access"))
                .click();
        assertThat(alice.locator("#duration-error"))
                .hasText("at most 4h may be requested for " + target.login() + "@prod-web-1");
        assertThat(alice.getByLabel("Duration in minutes")).hasAttribute("aria-invalid", "true");
        assertThat(alice.getByLabel(Pattern.compile("^Reason"))).hasValue("INC-4242 nginx returns 502 on prod-web-1");
        shot(alice, "request-validation");

        alice.getByLabel("Duration in minutes").fill("120");
        alice.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Request access"))
                .click();
        assertThat(alice.getByTestId("flash")).containsText("Requested " + target.login() + " on prod-web-1 for 2h");
        Locator pending =
                alice.getByTestId("pending-request").filter(new Locator.FilterOptions().setHasText("INC-4242"));
        assertThat(pending.getByTestId("approvals")).hasText("0 of 2");
        assertThat(pending.getByTestId("still-can-approve")).hasText("bob, carol");

        // alice sees her own request in the inbox, with no way to approve it
        nav(alice, "Approvals");
        Locator own = alice.getByTestId("own-request").filter(new Locator.FilterOptions().setHasText("prod-web-1"));
        assertThat(own.getByTestId("own-note")).containsText("Yours: someone else must approve");
        assertThat(own.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Approve")))
                .isDisabled();
        shot(alice, "approvals-own-request");
        nav(alice, "My access"); // and she waits there

        // bob approves; carol approves and that makes the grant
        Page bob = signIn("bob");
        nav(bob, "Approvals");
        Locator card = bob.getByTestId("review-request").filter(new Locator.FilterOptions().setHasText("INC-4242"));
        assertThat(card).containsText("alice asks for " + target.login() + " on prod-web-1");
        assertThat(card.getByTestId("approvals")).containsText("0 of 2 from /sre-approvers");
        shot(bob, "approvals-inbox");
        card.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Approve"))
                .click();
        assertThat(bob.getByTestId("flash"))
                .containsText("Approved alice's request for " + target.login() + " on prod-web-1; 1 approval so far.");

        Page carol = signIn("carol");
        nav(carol, "Approvals");
        Locator carols = carol.getByTestId("review-request").filter(new Locator.FilterOptions().setHasText("INC-4242"));
        assertThat(carols.getByTestId("approvals")).containsText("approved by bob");
        carols.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Approve"))
                .press("Enter"); // by keyboard
        assertThat(carol.getByTestId("flash")).containsText("that was the last approval needed, the grant is active");

        // alice's page shows the grant on its own (it refreshes while she is not typing): a live countdown and the
        // exact ssh command, which works as shown
        Locator grant = alice.getByTestId("active-grant").filter(new Locator.FilterOptions().setHasText("INC-4242"));
        assertThat(grant)
                .isVisible(new com.microsoft.playwright.assertions.LocatorAssertions.IsVisibleOptions()
                        .setTimeout(25_000));
        assertThat(grant.locator(".countdown-text")).hasText(Pattern.compile("^1 h 5\\d min \\d\\d s left$"));
        String first = grant.locator(".countdown-text").textContent();
        assertThat(grant.locator(".countdown-text")).not().hasText(first); // it ticks
        Locator command = grant.getByTestId("connect-command");
        assertThat(command).hasValue("ssh -p " + bastionPort + " " + target.login() + "+prod-web-1@127.0.0.1");
        shot(alice, "my-access-countdown");

        certificateFor("alice");
        List<String> ssh = new ArrayList<>(Arrays.asList(command.inputValue().split(" ")));
        ssh.addAll(1, sshOptions());
        ssh.add("echo hello from the command on the page");
        Commands.Result connected = Commands.run(ssh);
        assertThat(connected.exit()).as(connected.err()).isZero();
        assertThat(connected.out()).isEqualTo("hello from the command on the page\n");

        // release early: the grant ends and the page says so
        grant.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Release now"))
                .click();
        assertThat(alice.getByTestId("flash")).containsText("Released your grant");
        assertThat(alice.getByTestId("active-grant").filter(new Locator.FilterOptions().setHasText("INC-4242")))
                .hasCount(0);
    }

    @Test
    void daveReplaysARecordedSessionAndSeeksInIt() throws Exception {
        // a grant and a real session through the real bastion, recorded by the real recorder
        String id = api(
                        "POST",
                        "/api/v1/requests",
                        keycloak.accessToken("alice"),
                        Map.of(
                                "target",
                                "prod-web-1",
                                "login",
                                target.login(),
                                "durationMinutes",
                                30,
                                "reason",
                                "INC-5150 look at the logs",
                                "ticket",
                                "INC-5150"),
                        201)
                .get("id")
                .asText();
        api("POST", "/api/v1/requests/" + id + "/approve", keycloak.accessToken("bob"), Map.of(), 200);
        api("POST", "/api/v1/requests/" + id + "/approve", keycloak.accessToken("carol"), Map.of(), 200);
        certificateFor("alice");
        // an interactive shell, from a terminal (script gives ssh one, as a person's terminal would) ...
        List<String> ssh = new ArrayList<>(List.of("ssh", "-tt", "-p", String.valueOf(bastionPort)));
        ssh.addAll(sshOptions());
        ssh.add(target.login() + "+prod-web-1@127.0.0.1");
        List<String> shell = List.of("script", "-qefc", String.join(" ", ssh), "/dev/null");
        Commands.Result interactive = Commands.run(
                shell,
                "echo first line of the session; sleep 2; echo second line after $((1+1)) seconds; sleep 2; echo last line, $((2+2)) s; exit\n",
                Duration.ofSeconds(60));
        assertThat(interactive.out()).as(interactive.err()).contains("second line after 2 seconds");
        // ... and a command
        List<String> exec = new ArrayList<>(List.of("ssh", "-p", String.valueOf(bastionPort)));
        exec.addAll(sshOptions());
        exec.addAll(List.of(target.login() + "+prod-web-1@127.0.0.1", "uname -s"));
        Commands.Result command = Commands.run(exec);
        assertThat(command.exit()).as(command.err()).isZero();
        List<String> sessions = awaitClosedSessions(id, 2);
        String shellSession = sessions.get(1);
        String execSession = sessions.get(0);

        // alice is no auditor: the page says which group she would need
        Page alice = signIn("alice");
        alice.navigate(broker.url() + "/ui/sessions");
        assertThat(alice.getByTestId("error-message")).containsText("members of the group /auditors or /admins");
        shot(alice, "forbidden-sessions");

        Page dave = signIn("dave");
        List<String> requested = Collections.synchronizedList(new ArrayList<>());
        dave.onRequest(request -> requested.add(request.url()));
        nav(dave, "Sessions");
        dave.getByLabel("User").fill("alice");
        dave.getByLabel("Status").selectOption("CLOSED");
        dave.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Filter"))
                .click();
        Locator row = dave.getByTestId("session-row").first();
        assertThat(row).containsText("alice");
        assertThat(row).containsText("CLOSED");
        shot(dave, "sessions");

        dave.navigate(broker.url() + "/ui/sessions/" + shellSession);
        assertThat(dave.getByTestId("verification")).hasAttribute("data-status", "VALID");
        assertThat(dave.locator("#player .ap-term")).isVisible();
        // play to the end at 4x speed: the whole session is there
        dave.getByLabel("Speed").selectOption("4");
        dave.locator("#player .ap-player").click();
        assertThat(dave.locator("#player .ap-term"))
                .containsText(
                        "last line, 4 s",
                        new com.microsoft.playwright.assertions.LocatorAssertions.ContainsTextOptions()
                                .setTimeout(15_000));
        assertThat(dave.locator("#player .ap-term")).containsText("second line after 2 seconds");
        // seek with the player's keys: 0 goes back to the start, 9 to 90 %
        dave.locator("#player .ap-wrapper").press("0");
        assertThat(dave.getByTestId("position")).hasText("0.0");
        assertThat(dave.locator("#player .ap-term")).not().containsText("second line after 2 seconds");
        dave.locator("#player .ap-wrapper").press("9");
        assertThat(dave.getByTestId("position")).hasText(Pattern.compile("^[34]\\.[0-9]$"));
        assertThat(dave.locator("#player .ap-term")).containsText("second line after 2 seconds");
        assertThat(dave.getByTestId("not-text")).hasCount(0);
        shot(dave, "replay");
        // the player read the recording by time range, never the whole .cast
        List<String> reads = List.copyOf(requested);
        assertThat(reads).anyMatch(url -> url.contains("/ui/sessions/" + shellSession + "/replay/range?from="));
        assertThat(reads).noneMatch(url -> url.contains("recording.cast"));

        // the command's session: the command beside the player, and a click on its time seeks there
        dave.navigate(broker.url() + "/ui/sessions/" + execSession);
        Locator event = dave.getByTestId("event").first();
        assertThat(event).containsText("uname -s");
        event.getByRole(AriaRole.BUTTON).click();
        assertThat(dave.locator("#player .ap-term")).isVisible();
        assertThat(dave.getByTestId("position")).hasText(Pattern.compile("^0\\.[0-9]$"));
        String sessionId = shellSession;

        HttpResponse<String> cast = download(dave, "/ui/sessions/" + sessionId + "/recording.cast?download=true");
        assertThat(cast.statusCode()).isEqualTo(200);
        assertThat(cast.body()).startsWith("{\"version\":2").contains("second line after 2 seconds");

        nav(dave, "Audit log");
        assertThat(dave.getByTestId("chain")).containsText("Hash chain verified");
        dave.getByLabel("Action").fill("recording.replayed");
        dave.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Filter"))
                .click();
        assertThat(dave).hasURL(Pattern.compile(".*action=recording.replayed.*"));
        assertThat(dave.getByTestId("audit-row")).hasCount(2); // the two replays above, nothing else
        assertThat(dave.getByTestId("audit-row").first()).containsText("dave");
        shot(dave, "audit-log");

        // signing out ends the session with the broker and with Keycloak
        dave.getByRole(AriaRole.LINK, new Page.GetByRoleOptions().setName("Sign out"))
                .click();
        assertThat(dave.getByRole(AriaRole.HEADING, new Page.GetByRoleOptions().setName("You are signed out")))
                .isVisible();
        dave.navigate(broker.url() + "/ui/access");
        assertThat(dave.locator("#kc-form-login")).isVisible();
    }

    /** A link of the main navigation. */
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
        // after htmx has swapped and settled the page, never half-way
        page.waitForFunction("() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')");
        page.screenshot(new Page.ScreenshotOptions()
                .setPath(SCREENSHOTS.resolve(name + ".png"))
                .setFullPage(true));
    }

    /** A download with the signed-in browser's cookies, as the page's link would fetch it. */
    private HttpResponse<String> download(Page page, String path) throws Exception {
        StringBuilder cookies = new StringBuilder();
        page.context()
                .cookies(broker.url())
                .forEach(c -> cookies.append(c.name).append('=').append(c.value).append("; "));
        return http.send(
                HttpRequest.newBuilder(URI.create(broker.url() + path))
                        .header("Cookie", cookies.toString())
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private void certificateFor(String username) throws Exception {
        JsonNode cert = api(
                "POST",
                "/api/v1/ssh/certificates",
                keycloak.accessToken(username),
                Map.of("publicKey", Files.readString(Path.of(aliceKey + ".pub")).trim()),
                201);
        Files.writeString(
                Path.of(aliceKey + "-cert.pub"), cert.get("certificate").asText() + "\n");
    }

    private static List<String> sshOptions() {
        return List.of(
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
                "LogLevel=ERROR");
    }

    /** The grant's sessions, newest first, once {@code count} of them are closed in the index. */
    private List<String> awaitClosedSessions(String grant, int count) throws Exception {
        String dave = keycloak.accessToken("dave");
        for (int i = 0; i < 300; i++) {
            List<String> closed = new ArrayList<>();
            for (JsonNode s : api("GET", "/api/v1/sessions?limit=50", dave, null, 200)) {
                if (grant.equals(s.path("requestId").asText())
                        && "CLOSED".equals(s.path("status").asText())) {
                    closed.add(s.get("id").asText());
                }
            }
            if (closed.size() == count) {
                return closed;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the " + count + " sessions of grant " + grant + " never closed in the index");
    }

    private JsonNode api(String method, String path, String token, Object body, int expected) throws Exception {
        return stack.api(method, path, token, body, expected);
    }
}
