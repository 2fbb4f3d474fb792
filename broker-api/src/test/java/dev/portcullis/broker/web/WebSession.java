package dev.portcullis.broker.web;

import dev.portcullis.local.LocalKeycloak;
import java.io.IOException;
import java.net.CookieHandler;
import java.net.CookieManager;
import java.net.CookiePolicy;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A person at a browser, without the browser: signs in through the real Keycloak login form (authorization code
 * flow with PKCE, cookies kept) and then fetches and posts pages as they would. The Playwright tests in deploy drive
 * real Chromium; these are for the many small checks of what pages say.
 */
final class WebSession {

    private static final Pattern LOGIN_FORM = Pattern.compile("<form[^>]*id=\"kc-form-login\"[^>]*action=\"([^\"]+)\"");

    private final URI base;
    private final HttpClient http;

    private WebSession(URI base) {
        this.base = base;
        this.http = HttpClient.newBuilder()
                .cookieHandler(new LoopbackCookies())
                .followRedirects(HttpClient.Redirect.NORMAL)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
    }

    /**
     * Cookies as a browser keeps them for loopback addresses: Chromium sends Secure cookies to http://127.0.0.1
     * (a potentially trustworthy origin), and Keycloak marks its login cookies Secure; Java's CookieManager would not.
     * Everything in these tests is on 127.0.0.1, so every live cookie whose path fits goes along.
     */
    private static final class LoopbackCookies extends CookieHandler {
        private final CookieManager store = new CookieManager(null, CookiePolicy.ACCEPT_ALL);

        @Override
        public Map<String, List<String>> get(URI uri, Map<String, List<String>> requestHeaders) {
            String path = uri.getPath() == null || uri.getPath().isEmpty() ? "/" : uri.getPath();
            List<String> pairs = store.getCookieStore().getCookies().stream()
                    .filter(c -> !c.hasExpired())
                    .filter(c -> c.getPath() == null || path.startsWith(c.getPath()))
                    .map(c -> c.getName() + "=" + c.getValue())
                    .toList();
            return pairs.isEmpty() ? Map.of() : Map.of("Cookie", List.of(String.join("; ", pairs)));
        }

        @Override
        public void put(URI uri, Map<String, List<String>> responseHeaders) throws IOException {
            store.put(uri, responseHeaders);
        }
    }

    private HttpResponse<String> landing;

    static WebSession anonymous(URI base) {
        return new WebSession(base);
    }

    /** Opens the UI, is sent to Keycloak, fills in the login form, and comes back signed in. */
    static WebSession signIn(URI base, String username) {
        return signIn(base, username, "/ui/access");
    }

    /** Opens {@code path} (a link from a message, say), signs in on Keycloak's form, and lands where the link pointed. */
    static WebSession signIn(URI base, String username, String path) {
        WebSession session = new WebSession(base);
        HttpResponse<String> login = session.get(path);
        Matcher form = LOGIN_FORM.matcher(login.body());
        if (!form.find()) {
            throw new AssertionError("expected Keycloak's login form at " + login.uri() + ", got " + login.statusCode()
                    + ":\n" + login.body());
        }
        String action = form.group(1).replace("&amp;", "&");
        HttpResponse<String> back = session.send(HttpRequest.newBuilder(URI.create(action))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(formBody(Map.of(
                        "username",
                        username,
                        "password",
                        LocalKeycloak.shared().demoPassword(),
                        "credentialId",
                        "")))));
        if (back.statusCode() != 200 || !back.uri().getPath().startsWith("/ui/")) {
            throw new AssertionError("signing in as " + username + " ended at " + back.uri() + " with "
                    + back.statusCode() + ":\n" + back.body());
        }
        session.landing = back;
        return session;
    }

    /** The page the sign-in ended on. */
    HttpResponse<String> landing() {
        return landing;
    }

    HttpResponse<String> get(String path) {
        return send(HttpRequest.newBuilder(base.resolve(path)).GET());
    }

    /** Without following redirects: to see where the broker sends the browser. */
    HttpResponse<String> getNoRedirect(String path) {
        HttpClient once = HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        try {
            return once.send(
                    HttpRequest.newBuilder(base.resolve(path))
                            .timeout(Duration.ofSeconds(30))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    HttpResponse<String> post(String path, Map<String, String> form) {
        Map<String, String> ordered = new LinkedHashMap<>(form);
        return send(HttpRequest.newBuilder(base.resolve(path))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(formBody(ordered))));
    }

    /** A form post as another site's page would send it (with that site's Origin). */
    HttpResponse<String> postFrom(String origin, String path, Map<String, String> form) {
        return send(HttpRequest.newBuilder(base.resolve(path))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Origin", origin)
                .POST(HttpRequest.BodyPublishers.ofString(formBody(new LinkedHashMap<>(form)))));
    }

    private HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return http.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String formBody(Map<String, String> form) {
        return form.entrySet().stream()
                .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                        + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
    }
}
