package dev.portcullis.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.StringJoiner;

/**
 * Signing in at the organisation's Keycloak as the realm's public command-line client: the OAuth 2.0 device
 * authorization grant (RFC 8628), refreshing tokens, and ending the session. Nothing here ever sees a password.
 */
public final class Oidc {

    /** Refresh an access token this long before it ends, so a call never goes out with one about to lapse. */
    static final Duration EARLY = Duration.ofSeconds(30);

    private final String issuer;
    private final String clientId;

    public Oidc(String issuer, String clientId) {
        this.issuer = issuer.endsWith("/") ? issuer.substring(0, issuer.length() - 1) : issuer;
        this.clientId = clientId;
    }

    /** Where the user confirms the sign-in, and what the command then polls with. */
    public record DeviceCode(
            String deviceCode,
            String userCode,
            String verificationUri,
            String verificationUriComplete,
            long expiresIn,
            long interval) {}

    public DeviceCode startDeviceSignIn() {
        Map<String, Object> answer =
                post("/protocol/openid-connect/auth/device", form("client_id", clientId, "scope", "openid"));
        return new DeviceCode(
                Json.str(answer, "device_code"),
                Json.str(answer, "user_code"),
                Json.str(answer, "verification_uri"),
                Json.str(answer, "verification_uri_complete"),
                Json.num(answer, "expires_in", 600),
                Json.num(answer, "interval", 5));
    }

    /**
     * Asks for the tokens at the pace the server set (RFC 8628 section 3.5: slower after slow_down) until the user has
     * confirmed, refused, or the code ended.
     */
    public Map<String, Object> awaitDeviceTokens(DeviceCode code) {
        long interval = Math.max(1, code.interval());
        Instant deadline = Instant.now().plusSeconds(code.expiresIn());
        while (Instant.now().isBefore(deadline)) {
            sleep(Duration.ofSeconds(interval));
            Http.Response r = send(
                    "/protocol/openid-connect/token",
                    form(
                            "grant_type",
                            "urn:ietf:params:oauth:grant-type:device_code",
                            "client_id",
                            clientId,
                            "device_code",
                            code.deviceCode()));
            if (r.status() == 200) {
                return Json.object(r.body());
            }
            String error = errorOf(r);
            switch (error) {
                case "authorization_pending" -> {}
                case "slow_down" -> interval += 5;
                case "access_denied" ->
                    throw new CliException(ExitCodes.SIGN_IN, "the sign-in was refused in the browser");
                case "expired_token" ->
                    throw new CliException(ExitCodes.SIGN_IN, "the sign-in code expired; run portcullis login again");
                default -> throw new CliException(ExitCodes.SIGN_IN, "Keycloak refused the sign-in: " + describe(r));
            }
        }
        throw new CliException(ExitCodes.SIGN_IN, "the sign-in code expired; run portcullis login again");
    }

    /** New tokens for a refresh token; null when the session behind it has ended (sign in again). */
    public Map<String, Object> refresh(String refreshToken) {
        Http.Response r = send(
                "/protocol/openid-connect/token",
                form("grant_type", "refresh_token", "client_id", clientId, "refresh_token", refreshToken));
        if (r.status() == 200) {
            return Json.object(r.body());
        }
        if (r.status() == 400 || r.status() == 401) {
            return null;
        }
        throw new CliException(ExitCodes.ERROR, "Keycloak could not refresh the sign-in: " + describe(r));
    }

    /** Ends the Keycloak session of the refresh token (best effort: the local tokens go either way). */
    public boolean endSession(String refreshToken) {
        Http.Response r =
                send("/protocol/openid-connect/logout", form("client_id", clientId, "refresh_token", refreshToken));
        return r.status() / 100 == 2;
    }

    /** Stores a token answer in {@code signIn}, with the instants its tokens end. */
    static void store(SignIn signIn, Map<String, Object> tokens) {
        long now = Instant.now().getEpochSecond();
        signIn.put("accessToken", Json.str(tokens, "access_token"));
        signIn.put("accessExpiresAt", now + Json.num(tokens, "expires_in", 60));
        if (tokens.get("refresh_token") != null) {
            signIn.put("refreshToken", Json.str(tokens, "refresh_token"));
            long refreshIn = Json.num(tokens, "refresh_expires_in", 0);
            signIn.put("refreshExpiresAt", refreshIn == 0 ? null : now + refreshIn);
        }
    }

    /** Prints the URL and code, and opens a browser on a desktop. */
    static void tell(DeviceCode code, PrintStream out, boolean openBrowser) {
        String url = code.verificationUriComplete() != null ? code.verificationUriComplete() : code.verificationUri();
        out.println("To sign in, open " + url);
        out.println("and confirm the code " + code.userCode() + " (valid for "
                + Duration.ofSeconds(code.expiresIn()).toMinutes() + " min).");
        out.flush();
        if (openBrowser) {
            Browser.open(url);
        }
    }

    private Map<String, Object> post(String path, String form) {
        Http.Response r = send(path, form);
        if (r.status() != 200) {
            throw new CliException(
                    ExitCodes.SIGN_IN, "Keycloak refused to start a sign-in for " + clientId + ": " + describe(r));
        }
        return Json.object(r.body());
    }

    private Http.Response send(String path, String form) {
        try {
            return Http.send(
                    "POST",
                    issuer + path,
                    Map.of("Content-Type", "application/x-www-form-urlencoded", "Accept", "application/json"),
                    form,
                    Duration.ofSeconds(30));
        } catch (IllegalArgumentException e) {
            throw new CliException(ExitCodes.ERROR, "the broker names a sign-in issuer that is not a URL: " + issuer);
        } catch (ConnectException e) {
            throw new CliException(ExitCodes.ERROR, "cannot reach Keycloak at " + issuer);
        } catch (IOException e) {
            throw new CliException(ExitCodes.ERROR, "cannot talk to Keycloak at " + issuer + ": " + e.getMessage());
        }
    }

    private static String errorOf(Http.Response r) {
        try {
            String error = Json.str(Json.object(r.body()), "error");
            return error == null ? "" : error;
        } catch (IllegalArgumentException e) {
            return "";
        }
    }

    private static String describe(Http.Response r) {
        try {
            Map<String, Object> body = Json.object(r.body());
            String d = Json.str(body, "error_description");
            return (d != null ? d : Json.str(body, "error")) + " (HTTP " + r.status() + ")";
        } catch (IllegalArgumentException e) {
            return "HTTP " + r.status();
        }
    }

    static String form(String... pairs) {
        StringJoiner out = new StringJoiner("&");
        for (int i = 0; i < pairs.length; i += 2) {
            out.add(URLEncoder.encode(pairs[i], StandardCharsets.UTF_8) + "="
                    + URLEncoder.encode(pairs[i + 1], StandardCharsets.UTF_8));
        }
        return out.toString();
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(ExitCodes.SIGN_IN, "sign-in interrupted");
        }
    }
}
