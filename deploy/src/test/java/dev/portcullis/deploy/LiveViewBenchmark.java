package dev.portcullis.deploy;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import dev.portcullis.local.BenchmarkFigures;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Live view delay and ending one session, on two broker replicas (the bastion follows A, the viewer and the admin use
 * B). Live view: alice's command output, from the moment her own terminal shows it to the moment it is in dave's
 * browser (a MutationObserver in the page notes when each marker appears; both clocks are this machine's), against
 * the same command from typed to shown in her own terminal. Ending: the end request to alice's ssh exiting, against a
 * grant revoked to its session's ssh exiting. Run by {@code deploy/bench/live.sh}; figures go to the file named by
 * {@code bench.output}.
 */
@Tag("benchmark")
class LiveViewBenchmark {

    private static final int ROUNDS = Integer.getInteger("bench.rounds", 50);
    private static final int ENDS = Integer.getInteger("bench.ends", 10);
    private static final String OBSERVER = """
            () => { window.seen = {}; const el = document.querySelector('#live-player');
              new MutationObserver(() => { const re = /lv-(\\d+)-0ok/g; const t = el.textContent; let m;
                while ((m = re.exec(t)) !== null) { if (!(m[1] in window.seen)) window.seen[m[1]] = Date.now(); } })
                .observe(el, {subtree: true, childList: true, characterData: true}); }""";

    private final HttpClient http = HttpClient.newHttpClient();
    private final List<Double> endAnswered = new ArrayList<>();
    private final List<Double> revokeAnswered = new ArrayList<>();

    @Test
    void liveViewDelayAndEndingOneSession() throws Exception {
        List<Double> own = new ArrayList<>();
        List<Double> viewer = new ArrayList<>();
        List<Double> ended = new ArrayList<>();
        List<Double> revoked = new ArrayList<>();
        try (LiveScenario live = LiveScenario.start("live-bench", "live_bench");
                Playwright playwright = Playwright.create(
                        new Playwright.CreateOptions().setEnv(Map.of("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")));
                Browser browser = playwright
                        .chromium()
                        .launch(new BrowserType.LaunchOptions()
                                .setExecutablePath(Path.of("/usr/bin/chromium"))
                                .setHeadless(true)
                                .setArgs(
                                        List.of("--no-sandbox", "--disable-gpu", "--disable-background-networking")))) {
            String grant = live.aliceGrant();
            LiveScenario.Terminal shell = live.aliceShell(grant);
            Page dave = browser.newContext().newPage();
            dave.navigate(live.b.url() + "/ui/sessions/" + shell.session + "/live");
            dave.locator("#username").fill("dave");
            dave.locator("#password").fill(live.keycloak.demoPassword());
            dave.locator("#kc-login").click();
            dave.waitForSelector("#live-player .ap-term");
            dave.evaluate(OBSERVER);
            // the stream starts once the bastion hears of the watch: warm up until a marker arrives
            for (int i = 0; i < 100 && seen(dave, -1) == null; i++) {
                shell.type("echo lv--1-$((1-1))ok");
                Thread.sleep(200);
            }
            for (int i = 0; i < ROUNDS; i++) {
                long typed = System.currentTimeMillis();
                shell.type("echo lv-" + i + "-$((1-1))ok");
                long shown = shell.await("lv-" + i + "-0ok", Duration.ofSeconds(10));
                Long inBrowser = null;
                for (int w = 0; w < 200 && (inBrowser = seen(dave, i)) == null; w++) {
                    Thread.sleep(50);
                }
                if (inBrowser == null) {
                    throw new AssertionError("marker " + i + " never reached the browser");
                }
                own.add((double) Math.max(1, shown - typed));
                viewer.add((double) Math.max(0, inBrowser - shown));
                Thread.sleep(100);
            }
            dave.context().close();

            String erin = live.keycloak.accessToken("erin");
            for (int i = 0; i < ENDS; i++) {
                LiveScenario.Terminal one = established(live.aliceShell(grant), "end-" + i);
                ended.add(
                        closing(one, live.b.url() + "/api/v1/sessions/" + one.session + "/end", erin, i, endAnswered));

                String other = live.aliceGrant();
                LiveScenario.Terminal doomed = established(live.aliceShell(other), "revoke-" + i);
                revoked.add(closing(
                        doomed, live.b.url() + "/api/v1/requests/" + other + "/revoke", erin, i, revokeAnswered));
            }
        }
        write(own, viewer, ended, revoked);
    }

    /**
     * The session once its shell answered a command: a session is OPEN in the broker as soon as the bastion admits it,
     * before the target's shell runs, and ending one that is still opening is another (shorter) path.
     */
    private static LiveScenario.Terminal established(LiveScenario.Terminal shell, String marker) throws Exception {
        shell.type("echo " + marker + "-$((1-1))up");
        shell.await(marker + "-0up", Duration.ofSeconds(30));
        return shell;
    }

    /**
     * Milliseconds from sending the request to the session's ssh exiting (the user's session closed); the request's
     * own answer (the end request waits for the bastion's report; a revoke also ends the grant's trigger and JIT
     * membership) is timed apart, into {@code answered}, since it may come after the session closed.
     */
    private double closing(LiveScenario.Terminal session, String url, String token, int round, List<Double> answered)
            throws Exception {
        long start = System.nanoTime();
        CompletableFuture<Long> answer = http.sendAsync(
                        HttpRequest.newBuilder(URI.create(url))
                                .header("Authorization", "Bearer " + token)
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString("{\"reason\":\"bench round " + round + "\"}"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .thenApply(r -> {
                    if (r.statusCode() / 100 != 2) {
                        throw new AssertionError(url + ": " + r.statusCode() + " " + r.body());
                    }
                    return System.nanoTime();
                });
        if (!session.process.waitFor(30, TimeUnit.SECONDS)) {
            throw new AssertionError(url + ": the session's ssh did not exit");
        }
        double closed = (System.nanoTime() - start) / 1e6;
        answered.add((answer.get(30, TimeUnit.SECONDS) - start) / 1e6);
        return closed;
    }

    private static Long seen(Page page, int marker) {
        Object v = page.evaluate("m => window.seen && window.seen[m]", String.valueOf(marker));
        return v == null ? null : ((Number) v).longValue();
    }

    private static double p(List<Double> values, double q) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(Math.max(0, (int) Math.ceil(q * sorted.size()) - 1));
    }

    private void write(List<Double> own, List<Double> viewer, List<Double> ended, List<Double> revoked)
            throws Exception {
        StringBuilder md = new StringBuilder("# Live view and ending one session\n\n")
                .append(
                        "Two broker replicas on one PostgreSQL; the bastion follows replica A, dave's browser (Chromium,\n")
                .append(
                        "Playwright) and erin's requests go to replica B. Alice types `echo` commands into an interactive\n")
                .append("shell through the bastion from a terminal (`script` + stock `ssh -tt`).\n\n")
                .append(
                        "- **Live view delay**: from alice's terminal showing a command's output to dave's browser showing\n")
                .append(
                        "  it (a MutationObserver in the page notes the time; both clocks are this machine's). Baseline: the\n")
                .append("  same command from typed to shown in alice's own terminal.\n")
                .append(
                        "- **End one session**: `POST /api/v1/sessions/{id}/end` sent to replica B to alice's ssh exiting with\n")
                .append(
                        "  the message. Baseline: `POST /api/v1/requests/{id}/revoke` sent to replica B to its session's ssh\n")
                .append(
                        "  exiting. The requests' own answers are timed apart: the end request waits for the bastion's\n")
                .append(
                        "  report that the session closed, a revoke also ends the grant's trigger and JIT membership.\n")
                .append("  Each ended session is established first: its shell has answered a command.\n\n")
                .append(String.format(
                        Locale.ROOT,
                        "%d live-view rounds, %d end rounds each way, on %d cores: %s.%n%n",
                        own.size(),
                        ended.size(),
                        Runtime.getRuntime().availableProcessors(),
                        machine()))
                .append("| figure | p50 ms | p99 ms | max ms |\n| --- | ---: | ---: | ---: |\n");
        row(md, "typed to alice's own terminal", own);
        row(md, "alice's terminal to dave's browser", viewer);
        row(md, "end one session: request to ssh exit", ended);
        row(md, "revoke the grant: request to ssh exit", revoked);
        row(md, "end one session: request to its answer", endAnswered);
        row(md, "revoke the grant: request to its answer", revokeAnswered);
        System.out.println(md);
        String out = System.getProperty("bench.output");
        if (out != null) {
            Files.writeString(Path.of(out), md.toString());
            new BenchmarkFigures("benchmarks/" + Path.of(out).getFileName())
                    .add(
                            "live view delay, terminal output to the auditor's browser, p99",
                            p(viewer, 0.99),
                            "ms",
                            "a typed command to its output in the user's own terminal, p99",
                            Math.max(1, p(own, 0.99)),
                            "value<=1000")
                    .add(
                            "end one session: request to session closed, p99",
                            p(ended, 0.99),
                            "ms",
                            "grant revoked to its session closed, p99",
                            Math.max(1, p(revoked, 0.99)),
                            "value<=1000")
                    .writeBeside(Path.of(out));
        }
    }

    private static void row(StringBuilder md, String what, List<Double> values) {
        md.append(String.format(
                Locale.ROOT,
                "| %s | %.0f | %.0f | %.0f |%n",
                what,
                p(values, 0.5),
                p(values, 0.99),
                Collections.max(values)));
    }

    private static String machine() {
        String cpu = "unknown CPU";
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                    .filter(l -> l.startsWith("model name"))
                    .findFirst()
                    .map(l -> l.substring(l.indexOf(':') + 1).trim())
                    .orElse(cpu);
        } catch (java.io.IOException ignored) {
            // keep the default
        }
        long mem = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getTotalMemorySize();
        return cpu + ", " + (mem >> 30) + " GiB RAM, Java " + System.getProperty("java.version") + ", "
                + System.getProperty("os.name");
    }
}
