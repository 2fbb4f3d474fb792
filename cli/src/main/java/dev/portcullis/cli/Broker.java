package dev.portcullis.cli;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The broker's public REST API as the signed-in user: a fresh access token on every call (refreshed silently from the
 * refresh token when it is about to end), and any refusal turned into the broker's problem details in one line.
 */
public final class Broker {

    private final HttpClient http;
    private final ConfigDir dir;
    private final SignIn signIn;
    private final String url;

    public Broker(HttpClient http, ConfigDir dir, SignIn signIn) {
        this.http = http;
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
        HttpRequest request = authorized(path).header("Accept", "text/event-stream").GET().build();
        HttpResponse<Stream<String>> r = call(request, HttpResponse.BodyHandlers.ofLines());
        if (r.statusCode() / 100 != 2) {
            String body = String.join("\n", r.body().toList());
            throw CliException.ofProblem(r.statusCode(), body, false);
        }
        return r.body();
    }

    private String send(String method, String path, String json, boolean submitting, String accept) {
        HttpRequest.Builder b = authorized(path).timeout(Duration.ofSeconds(60)).header("Accept", accept);
        if (json != null) {
            b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(json));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        HttpResponse<String> r = call(b.build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() / 100 != 2) {
            throw CliException.ofProblem(r.statusCode(), r.body(), submitting);
        }
        return r.body();
    }

    private HttpRequest.Builder authorized(String path) {
        return HttpRequest.newBuilder(URI.create(url + path)).header("Authorization", "Bearer " + accessToken());
    }

    private <T> HttpResponse<T> call(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        try {
            return http.send(request, handler);
        } catch (ConnectException e) {
            throw new CliException(ExitCodes.ERROR, "cannot reach the broker at " + url);
        } catch (IOException e) {
            throw new CliException(ExitCodes.ERROR, "cannot talk to the broker at " + url + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(ExitCodes.ERROR, "interrupted");
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
        Map<String, Object> tokens = new Oidc(http, signIn.get("issuer"), signIn.get("clientId")).refresh(refresh);
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
    static Map<String, Object> clientSettings(HttpClient http, String brokerUrl) {
        String base = brokerUrl.endsWith("/") ? brokerUrl.substring(0, brokerUrl.length() - 1) : brokerUrl;
        HttpResponse<String> r;
        try {
            HttpRequest request = HttpRequest.newBuilder(URI.create(base + "/api/v1/client-settings")).timeout(Duration.ofSeconds(30))
                    .header("Accept", "application/json").build();
            r = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new CliException(ExitCodes.ERROR, "cannot reach the broker at " + base);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(ExitCodes.ERROR, "interrupted");
        } catch (IllegalArgumentException e) {
            throw new CliException(ExitCodes.USAGE, "not a broker URL: " + brokerUrl);
        }
        if (r.statusCode() != 200) {
            throw CliException.ofProblem(r.statusCode(), r.body(), false);
        }
        return Json.object(r.body());
    }
}
