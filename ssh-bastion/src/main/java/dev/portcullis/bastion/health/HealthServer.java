package dev.portcullis.bastion.health;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/**
 * The bastion's health and metrics over HTTP, on a port of its own (loopback unless configured otherwise), for the
 * probes and the metrics scraper: {@code /health/live} (the SSH listener is up), {@code /health/ready} (every named
 * {@link Readiness} check, 503 when one is down) and {@code /metrics} (Prometheus text). GET only; nothing here
 * changes anything or shows a secret.
 */
public final class HealthServer implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final ExecutorService threads;

    private HealthServer(HttpServer server, ExecutorService threads) {
        this.server = server;
        this.threads = threads;
    }

    public static HealthServer start(
            String host, int port, BooleanSupplier live, Readiness readiness, BastionMetrics metrics)
            throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 16);
        ExecutorService threads = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "bastion-health");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(threads);
        server.createContext("/health/live", exchange -> {
            boolean up = live.getAsBoolean();
            List<Readiness.Check> checks = List.of(new Readiness.Check(
                    "ssh-listener", up, up ? "accepting connections" : "the SSH server is not listening"));
            json(exchange, up, checks);
        });
        server.createContext("/health/ready", exchange -> {
            List<Readiness.Check> checks = readiness.run();
            json(exchange, checks.stream().allMatch(Readiness.Check::up), checks);
        });
        server.createContext("/metrics", exchange -> {
            if (refusedMethod(exchange)) {
                return;
            }
            send(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.scrape());
        });
        server.createContext(
                "/",
                exchange -> send(
                        exchange,
                        404,
                        "text/plain; charset=utf-8",
                        "the bastion serves /health/live, /health/ready and /metrics\n"));
        server.start();
        return new HealthServer(server, threads);
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private static void json(HttpExchange exchange, boolean up, List<Readiness.Check> checks) throws IOException {
        if (refusedMethod(exchange)) {
            return;
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", up ? "UP" : "DOWN");
        body.put(
                "checks",
                checks.stream()
                        .map(c -> {
                            Map<String, String> check = new LinkedHashMap<>(); // name first, for people reading it
                            check.put("name", c.name());
                            check.put("status", c.up() ? "UP" : "DOWN");
                            check.put("detail", c.detail());
                            return check;
                        })
                        .toList());
        send(exchange, up ? 200 : 503, "application/json", JSON.writeValueAsString(body));
    }

    private static boolean refusedMethod(HttpExchange exchange) throws IOException {
        if ("GET".equals(exchange.getRequestMethod()) || "HEAD".equals(exchange.getRequestMethod())) {
            return false;
        }
        send(exchange, 405, "text/plain; charset=utf-8", "GET only\n");
        return true;
    }

    private static void send(HttpExchange exchange, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        boolean head = "HEAD".equals(exchange.getRequestMethod());
        exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            if (!head) {
                out.write(bytes);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
