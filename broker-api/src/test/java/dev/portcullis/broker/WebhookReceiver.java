package dev.portcullis.broker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A webhook receiver as a customer would write one from the Standard Webhooks specification (its own HMAC code, not the
 * broker's): it answers 401 to a message whose signature does not verify, 400 to a stale timestamp, and keeps what it
 * accepted. It can be stopped and started again on the same port, to stand for a receiver that is down; a message whose
 * reason contains {@link #REFUSE} is refused for good (410).
 */
public final class WebhookReceiver {

    public static final String REFUSE = "refuse-webhook";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static WebhookReceiver shared;

    /** A message the receiver accepted: its headers and body. */
    public record Delivery(String id, long timestamp, String type, JsonNode data, String body) {}

    private int port;
    private final byte[] key;
    private final List<Delivery> accepted = new CopyOnWriteArrayList<>();
    private final List<String> rejected = new CopyOnWriteArrayList<>();
    private HttpServer server;

    private WebhookReceiver(int port, byte[] key) {
        this.port = port;
        this.key = key;
    }

    public static synchronized WebhookReceiver shared() {
        if (shared == null) {
            byte[] key = new byte[32];
            new SecureRandom().nextBytes(key);
            shared = new WebhookReceiver(0, key);
            shared.start();
        }
        return shared;
    }

    public String url() {
        return "http://127.0.0.1:" + port + "/hooks/portcullis";
    }

    public String secret() {
        return "whsec_" + Base64.getEncoder().encodeToString(key);
    }

    public synchronized void start() {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        port = server.getAddress().getPort(); // the first start picks a free port, later ones take it again
        server.createContext("/hooks/portcullis", this::handle);
        server.start();
    }

    /** Closes the port: deliveries are refused (connection refused) until {@link #start}. */
    public synchronized void stop() {
        server.stop(0);
    }

    private void handle(HttpExchange exchange) throws IOException {
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        String id = exchange.getRequestHeaders().getFirst("webhook-id");
        String timestamp = exchange.getRequestHeaders().getFirst("webhook-timestamp");
        String signatures = exchange.getRequestHeaders().getFirst("webhook-signature");
        int status;
        if (id == null || timestamp == null || signatures == null || !verifies(id, timestamp, body, signatures)) {
            rejected.add(body);
            status = 401;
        } else if (Math.abs(System.currentTimeMillis() / 1000 - Long.parseLong(timestamp)) > 300) {
            rejected.add(body);
            status = 400;
        } else if (body.contains(REFUSE)) {
            status = 410;
        } else {
            JsonNode message = JSON.readTree(body);
            accepted.add(new Delivery(
                    id, Long.parseLong(timestamp), message.path("type").asText(), message.path("data"), body));
            status = 204;
        }
        exchange.sendResponseHeaders(status, -1);
        exchange.close();
    }

    /** Standard Webhooks: v1,base64(HMAC-SHA256(key, id.timestamp.body)), any of several space-separated ones. */
    private boolean verifies(String id, String timestamp, String body, String signatures) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            byte[] expected = ("v1,"
                            + Base64.getEncoder()
                                    .encodeToString(mac.doFinal(
                                            (id + "." + timestamp + "." + body).getBytes(StandardCharsets.UTF_8))))
                    .getBytes(StandardCharsets.UTF_8);
            for (String candidate : signatures.split(" ")) {
                if (MessageDigest.isEqual(expected, candidate.getBytes(StandardCharsets.UTF_8))) {
                    return true;
                }
            }
            return false;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public List<Delivery> accepted() {
        return new ArrayList<>(accepted);
    }

    /** Bodies whose signature or timestamp did not verify. */
    public List<String> rejected() {
        return new ArrayList<>(rejected);
    }

    /** Waits, at most {@code patience}, for an accepted delivery that matches. */
    public Optional<Delivery> await(Predicate<Delivery> matching, Duration patience) throws InterruptedException {
        long deadline = System.nanoTime() + patience.toNanos();
        while (true) {
            Optional<Delivery> found = accepted.stream().filter(matching).findFirst();
            if (found.isPresent() || System.nanoTime() > deadline) {
                return found;
            }
            Thread.sleep(20);
        }
    }
}
