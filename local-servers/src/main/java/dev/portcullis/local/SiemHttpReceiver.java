package dev.portcullis.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A SIEM's HTTP side for tests, on a loopback port (the JDK's HttpServer): Splunk's HTTP Event Collector at
 * {@code /services/collector/event} ({@code Authorization: Splunk <token>}, event objects one after another) and
 * OpenSearch's {@code /_bulk} (NDJSON, an index action with {@code _id} then the document). It checks the token and the
 * format of each request, refuses what is wrong (401, 400, and remembers why), and keeps what it accepted in arrival
 * order. {@link #stop()} and {@link #start()} take it down and bring it back on the same port.
 */
public final class SiemHttpReceiver implements AutoCloseable {

    /** One event as it arrived: which API, its seq, hashes, the row's time, and when it arrived (epoch ms). */
    public record Received(String api, long seq, String prevHash, String hash, String at, long arrivedAtMillis) {}

    private static final ObjectMapper JSON = new ObjectMapper();

    private final int port;
    private final String hecToken;
    private final List<Received> received = new ArrayList<>();
    private final List<String> refusals = new ArrayList<>();
    private HttpServer server;
    private ExecutorService executor;

    private SiemHttpReceiver(int port, String hecToken) {
        this.port = port;
        this.hecToken = hecToken;
    }

    /** Starts on a free loopback port; HEC requests must carry {@code hecToken}. */
    public static SiemHttpReceiver start(String hecToken) {
        SiemHttpReceiver receiver = new SiemHttpReceiver(Processes.freeLoopbackPort(), hecToken);
        receiver.start();
        return receiver;
    }

    public synchronized void start() {
        if (server != null) {
            return;
        }
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on 127.0.0.1:" + port, e);
        }
        executor = Executors.newFixedThreadPool(4);
        server.setExecutor(executor);
        server.createContext("/services/collector/event", this::hec);
        server.createContext("/_bulk", this::bulk);
        server.start();
    }

    /** Stops at once: connections are refused until {@link #start()}. */
    public synchronized void stop() {
        if (server != null) {
            server.stop(0);
            executor.shutdownNow();
            server = null;
        }
    }

    public String hecUrl() {
        return "http://127.0.0.1:" + port + "/services/collector/event";
    }

    public String bulkUrl() {
        return "http://127.0.0.1:" + port + "/_bulk";
    }

    /** What was accepted through {@code api} ("hec" or "bulk"), in arrival order, duplicates included. */
    public List<Received> received(String api) {
        synchronized (received) {
            return received.stream().filter(r -> r.api().equals(api)).toList();
        }
    }

    /** Why requests were refused, oldest first (empty when every request was well formed and authorised). */
    public List<String> refusals() {
        synchronized (received) {
            return List.copyOf(refusals);
        }
    }

    private void hec(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!"POST".equals(exchange.getRequestMethod())) {
                answer(exchange, 405, "{\"text\":\"Method not allowed\",\"code\":9}", null);
                return;
            }
            String authorization = exchange.getRequestHeaders().getFirst("Authorization");
            if (authorization == null || !authorization.equals("Splunk " + hecToken)) {
                answer(exchange, 401, "{\"text\":\"Invalid token\",\"code\":4}", "hec: wrong or no token");
                return;
            }
            List<Received> events = new ArrayList<>();
            long now = System.currentTimeMillis();
            try {
                var parser = JSON.createParser(body(exchange));
                var values = JSON.readValues(parser, JsonNode.class);
                while (values.hasNext()) {
                    JsonNode envelope = values.next();
                    if (!envelope.path("time").isNumber()
                            || !"portcullis".equals(envelope.path("source").asText())) {
                        throw new IllegalArgumentException("an event without a numeric time or source portcullis");
                    }
                    events.add(event("hec", envelope.path("event"), now));
                }
            } catch (IOException | IllegalArgumentException e) {
                answer(exchange, 400, "{\"text\":\"Invalid data format\",\"code\":6}", "hec: " + e.getMessage());
                return;
            }
            keep(events);
            answer(exchange, 200, "{\"text\":\"Success\",\"code\":0}", null);
        }
    }

    private void bulk(HttpExchange exchange) throws IOException {
        try (exchange) {
            String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
            if (!"POST".equals(exchange.getRequestMethod())
                    || contentType == null
                    || !contentType.startsWith("application/x-ndjson")) {
                answer(
                        exchange,
                        400,
                        "{\"error\":\"expected a POST of application/x-ndjson\"}",
                        "bulk: method or type");
                return;
            }
            List<Received> events = new ArrayList<>();
            StringBuilder items = new StringBuilder();
            long now = System.currentTimeMillis();
            try {
                String body = new String(body(exchange).readAllBytes(), StandardCharsets.UTF_8);
                if (!body.endsWith("\n")) {
                    throw new IllegalArgumentException("the bulk request must be terminated by a newline");
                }
                String[] lines = body.split("\n");
                if (lines.length % 2 != 0) {
                    throw new IllegalArgumentException("an action line without its document");
                }
                for (int i = 0; i < lines.length; i += 2) {
                    JsonNode action = JSON.readTree(lines[i]).path("index");
                    JsonNode document = JSON.readTree(lines[i + 1]);
                    Received event = event("bulk", document, now);
                    if (!action.path("_index").isTextual()
                            || !String.valueOf(event.seq())
                                    .equals(action.path("_id").asText())) {
                        throw new IllegalArgumentException(
                                "line " + (i + 1) + " is not an index action with _id = seq");
                    }
                    events.add(event);
                    items.append(items.length() == 0 ? "" : ",")
                            .append("{\"index\":{\"_id\":\"")
                            .append(event.seq())
                            .append("\",\"status\":201}}");
                }
            } catch (IOException | IllegalArgumentException e) {
                answer(exchange, 400, "{\"error\":\"bad bulk request\"}", "bulk: " + e.getMessage());
                return;
            }
            keep(events);
            answer(exchange, 200, "{\"took\":1,\"errors\":false,\"items\":[" + items + "]}", null);
        }
    }

    private static InputStream body(HttpExchange exchange) {
        return exchange.getRequestBody();
    }

    private static Received event(String api, JsonNode event, long now) {
        if (!event.path("seq").canConvertToLong()
                || !event.path("hash").isTextual()
                || !event.path("prevHash").isTextual()
                || !event.path("action").isTextual()
                || !event.path("at").isTextual()) {
            throw new IllegalArgumentException("an event without seq, hash, prevHash, action and at: " + event);
        }
        return new Received(
                api,
                event.path("seq").asLong(),
                event.path("prevHash").asText(),
                event.path("hash").asText(),
                event.path("at").asText(),
                now);
    }

    private void keep(List<Received> events) {
        synchronized (received) {
            received.addAll(events);
        }
    }

    private void answer(HttpExchange exchange, int status, String body, String refusal) throws IOException {
        if (refusal != null) {
            synchronized (received) {
                refusals.add(refusal);
            }
        }
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        stop();
    }
}
