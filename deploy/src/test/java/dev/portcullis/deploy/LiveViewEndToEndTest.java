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
import com.microsoft.playwright.assertions.LocatorAssertions;
import com.microsoft.playwright.options.AriaRole;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Live view and ending one session in Debian's Chromium, on two broker replicas: the bastion follows replica A, dave
 * watches alice's shell through replica B and sees her next command as she types it; erin ends that session alone,
 * alice's terminal says why, her second session and her grant stay. Screenshots go to target/screenshots.
 */
class LiveViewEndToEndTest {

    private static final Path SCREENSHOTS = Path.of("target", "screenshots");

    private static LiveScenario live;
    private static Playwright playwright;
    private static Browser browser;
    private final List<BrowserContext> contexts = new ArrayList<>();

    @BeforeAll
    static void stack() throws Exception {
        live = LiveScenario.start("live-view-e2e", "live_view_e2e");
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
    static void stop() throws Exception {
        if (browser != null) browser.close();
        if (playwright != null) playwright.close();
        if (live != null) live.close();
    }

    @AfterEach
    void closeBrowsers() {
        int n = 0;
        for (BrowserContext context : contexts) {
            for (Page page : context.pages()) {
                page.screenshot(new Page.ScreenshotOptions()
                        .setPath(SCREENSHOTS.resolve("last/live-" + (++n) + ".png"))
                        .setFullPage(true));
            }
        }
        contexts.forEach(BrowserContext::close);
        contexts.clear();
    }

    @Test
    void daveWatchesAlicesShellAndErinEndsItWhileHerSecondSessionStays() throws Exception {
        String grant = live.aliceGrant();
        LiveScenario.Terminal first = live.aliceShell(grant);
        LiveScenario.Terminal second = live.aliceShell(grant);
        first.type("echo first-shell-ready-$((20+22))");
        first.await("first-shell-ready-42", Duration.ofSeconds(20));

        // alice is the session's owner, not an auditor: no live view for her
        Page alice = signIn(live.b, "alice");
        alice.navigate(live.b.url() + "/ui/sessions/" + first.session + "/live");
        assertThat(alice.getByTestId("error-message")).containsText("/auditors or /admins");

        // dave, on replica B (the bastion follows A), opens the live session from the sessions list
        Page dave = signIn(live.b, "dave");
        dave.navigate(live.b.url() + "/ui/sessions?user=alice&status=OPEN");
        dave.locator("a[href='/ui/sessions/" + first.session + "/live']").click();
        assertThat(dave).hasURL(Pattern.compile(".*/ui/sessions/" + first.session + "/live$"));
        assertThat(dave.getByTestId("live-state")).hasText("Live.");
        Locator screen = dave.locator("#live-player .ap-term");
        // the bastion starts streaming once it hears of the watch: type until the stream carries output
        for (int i = 0; i < 50 && !screen.textContent().contains("warm-up-"); i++) {
            first.type("echo warm-up-" + i);
            Thread.sleep(200);
        }
        assertThat(screen).containsText("warm-up-");

        // her next command: dave sees it as her terminal does (the delay is the benchmark's figure, not asserted)
        long typed = System.currentTimeMillis();
        first.type("echo next command $((6*7))");
        long seen = first.await("next command 42", Duration.ofSeconds(10));
        assertThat(screen)
                .containsText("next command 42", new LocatorAssertions.ContainsTextOptions().setTimeout(10_000));
        System.out.printf(
                "live view: alice's terminal after %d ms, dave's browser after %d ms%n",
                seen - typed, System.currentTimeMillis() - typed);
        shot(dave, "live-view");

        // erin, an admin, ends this session alone (on replica A), with a reason alice is shown
        Page erin = signIn(live.a, "erin");
        erin.navigate(live.a.url() + "/ui/sessions/" + first.session + "/live");
        erin.onDialog(dialog -> dialog.accept());
        erin.getByLabel(Pattern.compile("^Reason")).fill("INC-7001 stop typing in prod");
        erin.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("End session"))
                .click();
        assertThat(erin.getByTestId("flash")).containsText("Ended one session of alice on prod-web-1");
        first.await(
                "portcullis: this session was ended by erin (admin): INC-7001 stop typing in prod",
                Duration.ofSeconds(10));
        assertThat(first.process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS))
                .isTrue();
        Locator ended = erin.getByTestId("session-row").filter(new Locator.FilterOptions().setHasText("TERMINATED"));
        assertThat(ended.first()).containsText("this session was ended by erin (admin): INC-7001 stop typing in prod");
        shot(erin, "session-ended-by-admin");
        assertThat(dave.getByTestId("live-state")).hasText("The session has ended.");

        // her second session and the grant stay
        second.type("echo second-shell-still-here-$((1+1))");
        second.await("second-shell-still-here-2", Duration.ofSeconds(20));
        assertThat(second.process.isAlive()).isTrue();
        assertThat(live.api("GET", "/api/v1/sessions/" + second.session, "dave", null, 200)
                        .get("status")
                        .asText())
                .isEqualTo("OPEN");
        assertThat(live.api("GET", "/api/v1/requests/" + grant, "alice", null, 200)
                        .get("state")
                        .asText())
                .isEqualTo("ACTIVE");

        // the watch is in the session's own recording and in the audit log
        java.net.http.HttpResponse<String> events = java.net.http.HttpClient.newHttpClient()
                .send(
                        java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                                        live.a.url() + "/api/v1/sessions/" + first.session + "/events.jsonl"))
                                .header("Authorization", "Bearer " + live.keycloak.accessToken("dave"))
                                .build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(events.statusCode()).as(events.body()).isEqualTo(200);
        List<String> watches = new ArrayList<>();
        for (String line : events.body().split("\n")) {
            JsonNode e = new com.fasterxml.jackson.databind.ObjectMapper().readTree(line);
            if ("watch".equals(e.path("type").asText())) {
                watches.add(e.path("viewer").asText() + " " + e.path("action").asText());
            }
        }
        // erin watched too while she had the session's page open
        assertThat(watches).contains("dave STARTED", "dave STOPPED", "erin STARTED", "erin STOPPED");
        assertThat(watches.indexOf("dave STARTED")).isLessThan(watches.indexOf("dave STOPPED"));
        JsonNode watched = live.api(
                "GET", "/api/v1/audit?action=session.watch.started&subject=" + first.session, "dave", null, 200);
        List<String> watchers = new ArrayList<>();
        watched.forEach(w -> watchers.add(w.get("actor").asText()));
        assertThat(watchers).contains("dave", "erin"); // newest first
        JsonNode endedBy = live.api(
                "GET", "/api/v1/audit?action=session.end.requested&subject=" + first.session, "dave", null, 200);
        assertThat(endedBy.get(0).get("actor").asText()).isEqualTo("erin");
        second.type("exit");
        assertThat(second.process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS))
                .isTrue();
    }

    private Page signIn(BrokerProcess broker, String username) {
        BrowserContext context = browser.newContext(new Browser.NewContextOptions().setViewportSize(1280, 860));
        contexts.add(context);
        Page page = context.newPage();
        page.navigate(broker.url() + "/ui/access");
        page.locator("#username").fill(username);
        page.locator("#password").fill(live.keycloak.demoPassword());
        page.locator("#kc-login").click();
        assertThat(page.getByTestId("username")).hasText(username);
        return page;
    }

    private static void shot(Page page, String name) {
        page.screenshot(new Page.ScreenshotOptions()
                .setPath(SCREENSHOTS.resolve(name + ".png"))
                .setFullPage(true));
    }
}
