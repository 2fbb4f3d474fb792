package dev.portcullis.bastion.broker;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;

/**
 * The bastion's side of the broker's internal API: a client-credentials token of the {@code portcullis-bastion}
 * Keycloak client (no static secret shared with the broker), JSON in and out, one clear exception per failure.
 * Every call to the broker goes over TLS checked against the pinned CA only ({@link BrokerChannel}), except to a
 * loopback broker on plain http; the token comes from Keycloak over its own connection.
 */
public final class BrokerClient {

    static final ObjectMapper JSON = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
    private static final ObjectMapper ANSWERS = JSON.copy().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private final URI broker;
    private final URI tokenUrl;
    private final String clientId;
    private final String clientSecret;
    private final Duration timeout;
    private final HttpClient http;
    private final HttpClient keycloak;
    private String token;
    private Instant tokenExpires = Instant.EPOCH;
    private volatile CallObserver observer = (call, nanos, outcome) -> {};

    /** Told of every call to the broker: which (its path with ids blanked), how long, ok, refused or failed. */
    public interface CallObserver {
        void called(String call, long nanos, String outcome);
    }

    public void observe(CallObserver observer) {
        this.observer = observer;
    }

    /** @param brokerTls the broker's pinned TLS context ({@link BrokerChannel#pinned}); null for loopback http */
    public BrokerClient(
            URI broker, SSLContext brokerTls, URI tokenUrl, String clientId, String clientSecret, Duration timeout) {
        BrokerChannel.check(broker, tokenUrl, brokerTls != null);
        this.broker = broker;
        this.tokenUrl = tokenUrl;
        this.clientId = clientId;
        this.clientSecret = clientSecret;
        this.timeout = timeout;
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(timeout);
        this.http = (brokerTls == null ? b : b.sslContext(brokerTls)).build();
        this.keycloak = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    /** The broker's TLS certificate is not signed by the pinned CA (or not for the broker's name): never talked to. */
    public static final class UntrustedBrokerException extends IOException {
        UntrustedBrokerException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The broker answered with an error status. */
    public static final class BrokerException extends IOException {
        private final int status;

        BrokerException(int status, String message) {
            super(message);
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

    public JsonNode get(String path, boolean authenticated) throws IOException {
        HttpRequest.Builder request = HttpRequest.newBuilder(broker.resolve(path))
                .timeout(timeout)
                .GET()
                .header("Accept", "application/json");
        return send(request, authenticated);
    }

    /** {@link #post(String, Object)} with the answer read as one of the contract's records ({@code BastionApi}). */
    public <T> T post(String path, Object body, Class<T> answer) throws IOException {
        return read(post(path, body), answer);
    }

    /** Reads an answer as a contract record; fields this bastion does not know yet are ignored, never an error. */
    static <T> T read(JsonNode answer, Class<T> type) throws IOException {
        try {
            return ANSWERS.treeToValue(answer, type);
        } catch (JsonProcessingException | IllegalArgumentException e) {
            throw new IOException(
                    "the broker's answer could not be read as " + type.getSimpleName() + ": "
                            + e.getMessage().lines().findFirst().orElse(""),
                    e);
        }
    }

    public JsonNode post(String path, Object body) throws IOException {
        HttpRequest.Builder request = HttpRequest.newBuilder(broker.resolve(path))
                .timeout(timeout)
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
        return send(request, true);
    }

    /** Opens a server-sent event stream; the caller reads lines until the stream ends. */
    public Stream<String> events(String path, String lastEventId) throws IOException {
        HttpRequest.Builder request = HttpRequest.newBuilder(broker.resolve(path))
                .GET()
                .header("Accept", "text/event-stream")
                .header("Authorization", "Bearer " + token(false));
        if (lastEventId != null) {
            request.header("Last-Event-ID", lastEventId);
        }
        HttpResponse<Stream<String>> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofLines());
        } catch (IOException e) {
            throw untrustedOr(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
        if (response.statusCode() != 200) {
            response.body().close();
            if (response.statusCode() == 401) {
                invalidateToken();
            }
            throw new BrokerException(response.statusCode(), "grant events: HTTP " + response.statusCode());
        }
        return response.body();
    }

    private JsonNode send(HttpRequest.Builder request, boolean authenticated) throws IOException {
        long start = System.nanoTime();
        String outcome = "failed";
        try {
            JsonNode answer = attempt(request, authenticated);
            outcome = "ok";
            return answer;
        } catch (BrokerException e) {
            outcome = "refused";
            throw e;
        } finally {
            observer.called(
                    ID.matcher(request.build().uri().getPath()).replaceAll("{id}"), System.nanoTime() - start, outcome);
        }
    }

    private static final java.util.regex.Pattern ID = java.util.regex.Pattern.compile(
            "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

    private JsonNode attempt(HttpRequest.Builder request, boolean authenticated) throws IOException {
        for (int attempt = 0; ; attempt++) {
            if (authenticated) {
                request.setHeader("Authorization", "Bearer " + token(attempt > 0));
            }
            HttpResponse<byte[]> response;
            try {
                response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            } catch (IOException e) {
                throw untrustedOr(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            }
            int status = response.statusCode();
            if (status == 401 && authenticated && attempt == 0) {
                continue; // the token may have been revoked or expired early: one fresh token, once
            }
            JsonNode body = response.body().length == 0 ? JSON.nullNode() : parse(response.body());
            if (status >= 200 && status < 300) {
                return body;
            }
            String detail = body.hasNonNull("detail")
                    ? body.get("detail").asText()
                    : body.hasNonNull("title") ? body.get("title").asText() : "HTTP " + status;
            throw new BrokerException(status, detail);
        }
    }

    /** A TLS failure anywhere in the chain is an untrusted broker; anything else goes on as it was. */
    private IOException untrustedOr(IOException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SSLException ssl) {
                String why = ssl.getMessage() == null
                        ? ssl.getClass().getSimpleName()
                        : ssl.getMessage().lines().findFirst().orElse("");
                return untrusted(why, e);
            }
        }
        return e;
    }

    private UntrustedBrokerException untrusted(String why, IOException e) {
        return new UntrustedBrokerException(
                "the broker at " + broker + " did not prove itself with a certificate of the "
                        + "pinned CA (PORTCULLIS_BROKER_CA_FILE): " + why,
                e);
    }

    private static JsonNode parse(byte[] body) throws IOException {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new IOException("the broker answered with something that is not JSON");
        }
    }

    private synchronized void invalidateToken() {
        token = null;
    }

    private synchronized String token(boolean fresh) throws IOException {
        if (!fresh && token != null && Instant.now().isBefore(tokenExpires)) {
            return token;
        }
        String form = "grant_type=client_credentials&client_id=" + URLEncoder.encode(clientId, StandardCharsets.UTF_8)
                + "&client_secret=" + URLEncoder.encode(clientSecret, StandardCharsets.UTF_8);
        HttpRequest request = HttpRequest.newBuilder(tokenUrl)
                .timeout(timeout)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form))
                .build();
        HttpResponse<byte[]> response;
        try {
            response = keycloak.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
        if (response.statusCode() != 200) {
            throw new BrokerException(
                    response.statusCode(),
                    "Keycloak refused the bastion's client credentials (HTTP " + response.statusCode() + ")");
        }
        JsonNode body = parse(response.body());
        token = body.path("access_token").asText(null);
        if (token == null) {
            throw new IOException("Keycloak's token response holds no access_token");
        }
        long expiresIn = body.path("expires_in").asLong(60);
        tokenExpires = Instant.now().plusSeconds(Math.max(5, expiresIn - 30));
        return token;
    }
}
