package dev.portcullis.cli;

import java.io.IOException;
import java.net.ConnectException;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The broker's public REST API as the signed-in user: a fresh access token on every call (refreshed silently from the
 * refresh token when it is about to end), and any refusal turned into the broker's problem details in one line.
 */
public final class Broker {

    private final ConfigDir dir;
    private final SignIn signIn;
    private final String url;

    public Broker(ConfigDir dir, SignIn signIn) {
        this.dir = dir;
        this.signIn = signIn;
        String u = signIn.broker();
        this.url = u.endsWith("/") ? u.substring(0, u.length() - 1) : u;
    }

    public String url() {
        return url;
    }

    public SignIn signIn() {
        return signIn;
    }

    public Object get(String path) {
        return parse(send("GET", path, null, false, "application/json"));
    }

    /** POST with a JSON body (or none); {@code submitting} marks a new request, whose policy refusals have their own code. */
    public Object post(String path, Object body, boolean submitting) {
        return parse(send("POST", path, body == null ? null : Json.write(body), submitting, "application/json"));
    }

    /** GET of a text body (a recording, a PEM file). */
    public String text(String path) {
        return send("GET", path, null, false, "*/*");
    }

    /** The lines of a streamed answer (server-sent events), read as they come. */
    public Stream<String> lines(String path) {
        Map<String, String> headers = authorized("text/event-stream");
        Http.Streamed r = call(() -> Http.stream(url + path, headers));
        if (r.status() / 100 != 2) {
            String body;
            try (Stream<String> lines = r.lines()) {
                body = String.join("\n", lines.toList());
            }
            throw CliException.ofProblem(r.status(), body, false);
        }
        return r.lines();
    }

    private String send(String method, String path, String json, boolean submitting, String accept) {
        Map<String, String> headers = authorized(accept);
        if (json != null) {
            headers.put("Content-Type", "application/json");
        }
        Http.Response r = call(() -> Http.send(method, url + path, headers, json, Duration.ofSeconds(60)));
        if (r.status() / 100 != 2) {
            throw CliException.ofProblem(r.status(), r.body(), submitting);
        }
        return r.body();
    }

    private Map<String, String> authorized(String accept) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Authorization", "Bearer " + accessToken());
        headers.put("Accept", accept);
        return headers;
    }

    private interface Exchange<T> {
        T run() throws IOException;
    }

    private <T> T call(Exchange<T> exchange) {
        try {
            return exchange.run();
        } catch (ConnectException e) {
            throw new CliException(ExitCodes.ERROR, "cannot reach the broker at " + url);
        } catch (IOException e) {
            throw new CliException(ExitCodes.ERROR, "cannot talk to the broker at " + url + ": " + e.getMessage());
        }
    }

    /** The access token, refreshed first when it ends within {@link Oidc#EARLY}. */
    synchronized String accessToken() {
        String token = signIn.get("accessToken");
        long endsAt = signIn.number("accessExpiresAt");
        if (token != null && Instant.now().plus(Oidc.EARLY).getEpochSecond() < endsAt) {
            return token;
        }
        String refresh = signIn.get("refreshToken");
        if (refresh == null) {
            throw new CliException(ExitCodes.SIGN_IN, "not signed in: run portcullis login");
        }
        Map<String, Object> tokens = new Oidc(signIn.get("issuer"), signIn.get("clientId")).refresh(refresh);
        if (tokens == null) {
            signIn.put("accessToken", null).put("refreshToken", null).save(dir);
            throw new CliException(ExitCodes.SIGN_IN, "your sign-in has ended: run portcullis login");
        }
        Oidc.store(signIn, tokens);
        signIn.save(dir);
        return signIn.get("accessToken");
    }

    private static Object parse(String body) {
        if (body == null || body.isBlank()) {
            return null;
        }
        try {
            return Json.parse(body);
        } catch (IllegalArgumentException e) {
            throw new CliException(ExitCodes.ERROR, "the broker's answer is not JSON: " + e.getMessage());
        }
    }

    /** The broker's public settings, read before signing in. */
    static Map<String, Object> clientSettings(String brokerUrl) {
        String base = brokerUrl.endsWith("/") ? brokerUrl.substring(0, brokerUrl.length() - 1) : brokerUrl;
        Http.Response r;
        try {
            r = Http.send(
                    "GET",
                    base + "/api/v1/client-settings",
                    Map.of("Accept", "application/json"),
                    null,
                    Duration.ofSeconds(30));
        } catch (IOException e) {
            throw new CliException(ExitCodes.ERROR, "cannot reach the broker at " + base);
        } catch (IllegalArgumentException e) {
            throw new CliException(ExitCodes.USAGE, "not a broker URL: " + brokerUrl);
        }
        if (r.status() != 200) {
            throw CliException.ofProblem(r.status(), r.body(), false);
        }
        return Json.object(r.body());
    }
}
