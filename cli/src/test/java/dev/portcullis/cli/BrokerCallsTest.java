package dev.portcullis.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.StringReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command's calls to the broker over real HTTP on loopback: what it sends, and what it refuses to follow. */
class BrokerCallsTest {

    @TempDir
    Path home;

    private final List<HttpServer> servers = new CopyOnWriteArrayList<>();
    private final List<String> seen = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        servers.forEach(s -> s.stop(0));
    }

    private HttpServer serve(String name, int status, Map<String, String> headers, String body) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> answer(name, exchange, status, headers, body));
        server.start();
        servers.add(server);
        return server;
    }

    private void answer(String name, HttpExchange exchange, int status, Map<String, String> headers, String body)
            throws IOException {
        seen.add(name + " " + exchange.getRequestMethod() + " " + exchange.getRequestURI() + " "
                + exchange.getRequestHeaders().getFirst("Authorization")
                + (exchange.getRequestHeaders().containsKey("Content-Type")
                        ? " " + exchange.getRequestHeaders().getFirst("Content-Type")
                        : ""));
        headers.forEach((k, v) -> exchange.getResponseHeaders().add(k, v));
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }

    private static String url(HttpServer server) {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private String[] signedInAt(String broker, String... args) {
        ConfigDir dir = new ConfigDir(home.resolve("cfg"));
        SignIn.load(dir)
                .put("broker", broker)
                .put("accessToken", "token-1")
                .put("accessExpiresAt", 9_999_999_999L)
                .put("issuer", "http://127.0.0.1:1/realms/x")
                .put("clientId", "portcullis-cli")
                .save(dir);
        return args;
    }

    private String[] run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = Main.run(
                args,
                Map.of(
                        "HOME",
                        home.toString(),
                        "PORTCULLIS_CONFIG_DIR",
                        home.resolve("cfg").toString()),
                new PrintStream(out, true),
                new PrintStream(err, true),
                new BufferedReader(new StringReader("")));
        return new String[] {String.valueOf(exit), out.toString(), err.toString()};
    }

    @Test
    void statusAsksTheBrokerWithTheBearerTokenAndPrintsTheRequests() throws IOException {
        HttpServer broker = serve(
                "broker",
                200,
                Map.of("Content-Type", "application/json"),
                "[{\"id\":\"r1\",\"target\":\"prod-web-1\",\"login\":\"ubuntu\",\"state\":\"ACTIVE\",\"approvals\":2,"
                        + "\"approvalsRequired\":2,\"endsAt\":\"2999-01-01T00:00:00Z\",\"reason\":\"disk full\"}]");
        String[] r = run(signedInAt(url(broker), "status"));
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        assertThat(r[1]).contains("prod-web-1", "ubuntu", "ACTIVE", "2/2", "disk full");
        assertThat(seen).containsExactly("broker GET /api/v1/requests?scope=mine&state=PENDING,ACTIVE Bearer token-1");
    }

    @Test
    void aBrokerThatRedirectsElsewhereNeverGetsTheTokenSentOn() throws IOException {
        HttpServer elsewhere = serve("elsewhere", 200, Map.of("Content-Type", "application/json"), "[]");
        HttpServer broker = serve("broker", 302, Map.of("Location", url(elsewhere) + "/api/v1/requests"), "");
        String[] r = run(signedInAt(url(broker), "status"));
        assertThat(r[0]).isEqualTo(String.valueOf(ExitCodes.ERROR));
        assertThat(r[2]).startsWith("portcullis: the broker answered HTTP 302").doesNotContain("Exception");
        assertThat(seen).hasSize(1).allMatch(s -> s.startsWith("broker "));
    }

    @Test
    void aCallWithoutABodySendsNoContentTypeTheBrokerWouldRefuse() throws IOException {
        String id = "3f2a6c1e-0000-0000-0000-000000000001";
        HttpServer broker = serve(
                "broker",
                200,
                Map.of("Content-Type", "application/json"),
                "{\"id\":\"" + id + "\",\"target\":\"prod-web-1\",\"login\":\"ubuntu\",\"state\":\"ACTIVE\"}");
        String[] r = run(signedInAt(url(broker), "release", id));
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        assertThat(seen)
                .containsExactly(
                        "broker GET /api/v1/requests/" + id + " Bearer token-1",
                        "broker POST /api/v1/requests/" + id + "/release Bearer token-1");
    }

    @Test
    void theBrokersRefusalArrivesAsItsProblemInOneLine() throws IOException {
        HttpServer broker = serve(
                "broker",
                403,
                Map.of("Content-Type", "application/problem+json"),
                "{\"title\":\"Forbidden\",\"status\":403,\"detail\":\"only approvers\",\"code\":\"not_allowed\"}");
        String[] r = run(signedInAt(url(broker), "approvals"));
        assertThat(r[0]).isEqualTo(String.valueOf(ExitCodes.ERROR));
        assertThat(r[2]).isEqualTo("portcullis: only approvers (not_allowed, HTTP 403)\n");
    }
}
