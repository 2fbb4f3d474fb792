package dev.portcullis.deploy;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Debian's Chromium driven by Playwright (never a downloaded browser), and people signing in on Keycloak's own login
 * page: what every browser test of this module starts with. Each {@link #signIn} is a fresh browser profile (its own
 * cookies), as another person at another machine would be.
 */
final class Chromium implements AutoCloseable {

    private final Playwright playwright;
    private final Browser browser;
    private final List<BrowserContext> contexts = new ArrayList<>();

    private Chromium(Playwright playwright, Browser browser) {
        this.playwright = playwright;
        this.browser = browser;
    }

    static Chromium launch() {
        Playwright playwright = Playwright.create(
                new Playwright.CreateOptions().setEnv(Map.of("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")));
        try {
            Browser browser = playwright
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
            return new Chromium(playwright, browser);
        } catch (RuntimeException e) {
            playwright.close();
            throw e;
        }
    }

    /** A fresh profile with one page, 1280x860, closed by {@link #closePages}. */
    Page newPage() {
        BrowserContext context = browser.newContext(new Browser.NewContextOptions().setViewportSize(1280, 860));
        contexts.add(context);
        return context.newPage();
    }

    /**
     * Opens {@code url} in a fresh profile, which sends the browser to Keycloak's sign-in page; signs in there as
     * {@code username} and waits until the broker's page (where Keycloak sent the browser back) names them.
     */
    Page signIn(String url, String username, String password) {
        Page page = newPage();
        page.navigate(url);
        page.locator("#username").fill(username);
        page.locator("#password").fill(password);
        page.locator("#kc-login").click();
        assertThat(page.getByTestId("username")).hasText(username);
        return page;
    }

    /** Screenshots of what every open page shows now, into {@code dir} (for a test that failed); then closes them. */
    void closePages(Path dir) {
        int n = 0;
        for (BrowserContext context : contexts) {
            for (Page page : context.pages()) {
                page.screenshot(new Page.ScreenshotOptions()
                        .setPath(dir.resolve("page-" + (++n) + ".png"))
                        .setFullPage(true));
            }
        }
        contexts.forEach(BrowserContext::close);
        contexts.clear();
    }

    @Override
    public void close() {
        try {
            browser.close();
        } finally {
            playwright.close();
        }
    }
}
