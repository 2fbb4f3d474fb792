package dev.portcullis.broker;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every endpoint, called by every kind of user: the status each one gets. */
@QuarkusTest
@QuarkusTestResource(BrokerTestEnvironment.class)
class AuthorizationMatrixTest {

    private static final List<String> CALLERS = List.of("anonymous", "alice", "bob", "dave", "erin");

    /** An endpoint, how to call it (given a spec and fresh fixtures), and the expected status per caller, in CALLERS order. */
    private record Endpoint(String name, Function<RequestSpecification, Response> call, int... expected) {}

    private static String pendingWeb() {
        return Api.aliceRequestsWeb();
    }

    private static String activeWeb() {
        String id = Api.aliceRequestsWeb();
        Api.approve("bob", id).then().statusCode(200);
        Api.approve("carol", id).then().statusCode(200);
        return id;
    }

    private static String pendingDb() {
        return Api.as("alice")
                .body(Map.of("target", "prod-db", "login", "app_readonly", "durationMinutes", 30))
                .post("/api/v1/requests")
                .then()
                .statusCode(201)
                .extract()
                .path("id");
    }

    /** A db request alice withdrew: following it answers at once and the stream ends. */
    private static String cancelledDb() {
        String id = pendingDb();
        Api.as("alice").post("/api/v1/requests/" + id + "/cancel").then().statusCode(200);
        return id;
    }

    private static String publicKey;

    private static synchronized String publicKey() {
        if (publicKey == null) {
            try {
                Path dir = Files.createTempDirectory("portcullis-matrix-key-");
                publicKey = SshKeygen.publicKey(SshKeygen.generate(dir, "ed25519", null));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return publicKey;
    }

    /** A session of alice's, under a grant of hers that is live while the bastion registers it and released after. */
    private static String aliceSession() {
        UUID id = UUID.randomUUID();
        String grant = Api.activeWebGrant("alice");
        Api.asBastion()
                .body(SessionIndexTest.opened(id, grant, "alice", null, Instant.parse("2026-03-01T10:00:00Z")))
                .post("/internal/v1/sessions")
                .then()
                .statusCode(201);
        Api.as("alice")
                .body(Map.of())
                .post("/api/v1/requests/" + grant + "/release")
                .then()
                .statusCode(200);
        return id.toString();
    }

    static Stream<Arguments> matrix() {
        List<Endpoint> endpoints = List.of(
                new Endpoint("GET /me", s -> s.get("/api/v1/me"), 401, 200, 200, 200, 200),
                new Endpoint("GET /targets", s -> s.get("/api/v1/targets"), 401, 200, 200, 200, 200),
                new Endpoint(
                        "POST /requests",
                        s -> s.body(Map.of(
                                        "target",
                                        "prod-web-1",
                                        "login",
                                        "ubuntu",
                                        "durationMinutes",
                                        30,
                                        "reason",
                                        "r",
                                        "ticket",
                                        "INC-1"))
                                .post("/api/v1/requests"),
                        401,
                        201,
                        403,
                        403,
                        403),
                new Endpoint(
                        "GET /requests?scope=mine", s -> s.get("/api/v1/requests?scope=mine"), 401, 200, 200, 200, 200),
                new Endpoint(
                        "GET /requests?scope=review",
                        s -> s.get("/api/v1/requests?scope=review"),
                        401,
                        200,
                        200,
                        200,
                        200),
                new Endpoint(
                        "GET /requests?scope=all", s -> s.get("/api/v1/requests?scope=all"), 401, 403, 403, 200, 200),
                new Endpoint(
                        "GET /requests/{ssh request}",
                        s -> s.get("/api/v1/requests/" + pendingWeb()),
                        401,
                        200,
                        200,
                        200,
                        200),
                new Endpoint(
                        "GET /requests/{db request}",
                        s -> s.get("/api/v1/requests/" + pendingDb()),
                        401,
                        200,
                        404,
                        200,
                        200),
                new Endpoint(
                        "GET /requests/{db request}/events",
                        s -> s.accept("text/event-stream").get("/api/v1/requests/" + cancelledDb() + "/events"),
                        401,
                        200,
                        404,
                        200,
                        200),
                new Endpoint("GET /client-settings", s -> s.get("/api/v1/client-settings"), 200, 200, 200, 200, 200),
                new Endpoint(
                        "POST approve",
                        s -> s.body(Map.of()).post("/api/v1/requests/" + pendingWeb() + "/approve"),
                        401,
                        403,
                        200,
                        403,
                        403),
                new Endpoint(
                        "POST deny",
                        s -> s.body(Map.of("reason", "no")).post("/api/v1/requests/" + pendingWeb() + "/deny"),
                        401,
                        403,
                        200,
                        403,
                        403),
                new Endpoint(
                        "POST approve {db request}",
                        s -> s.body(Map.of()).post("/api/v1/requests/" + pendingDb() + "/approve"),
                        401,
                        403,
                        403,
                        403,
                        200),
                new Endpoint(
                        "POST cancel",
                        s -> s.post("/api/v1/requests/" + pendingWeb() + "/cancel"),
                        401,
                        200,
                        403,
                        403,
                        403),
                new Endpoint(
                        "POST release",
                        s -> s.post("/api/v1/requests/" + activeWeb() + "/release"),
                        401,
                        200,
                        403,
                        403,
                        403),
                new Endpoint(
                        "POST revoke",
                        s -> s.body(Map.of("reason", "incident over"))
                                .post("/api/v1/requests/" + activeWeb() + "/revoke"),
                        401,
                        403,
                        403,
                        403,
                        200),
                new Endpoint("GET /audit", s -> s.get("/api/v1/audit"), 401, 403, 403, 200, 200),
                new Endpoint("GET /audit/verify", s -> s.get("/api/v1/audit/verify"), 401, 403, 403, 200, 200),
                new Endpoint("GET /audit/export", s -> s.get("/api/v1/audit/export"), 401, 403, 403, 200, 200),
                new Endpoint("GET /ssh/ca", s -> s.get("/api/v1/ssh/ca"), 200, 200, 200, 200, 200),
                new Endpoint(
                        "POST /ssh/certificates",
                        s -> s.body(Map.of("publicKey", publicKey())).post("/api/v1/ssh/certificates"),
                        401,
                        201,
                        201,
                        201,
                        201),
                new Endpoint("GET /sessions", s -> s.get("/api/v1/sessions"), 401, 200, 200, 200, 200),
                new Endpoint(
                        "GET /sessions?user=alice", s -> s.get("/api/v1/sessions?user=alice"), 401, 200, 403, 200, 200),
                new Endpoint(
                        "GET /sessions/{alice's}",
                        s -> s.get("/api/v1/sessions/" + aliceSession()),
                        401,
                        200,
                        404,
                        200,
                        200),
                new Endpoint("GET /search", s -> s.get("/api/v1/search?q=uptime"), 401, 200, 200, 200, 200),
                new Endpoint(
                        "GET /search?person=alice",
                        s -> s.get("/api/v1/search?q=uptime&person=alice"),
                        401,
                        200,
                        403,
                        200,
                        200),
                new Endpoint(
                        "POST /internal/v1/search/entries",
                        s -> s.body(Map.of(
                                        "entries",
                                        List.of(Map.of(
                                                "session",
                                                aliceSession(),
                                                "offsetMicros",
                                                0,
                                                "kind",
                                                "command",
                                                "text",
                                                "uptime"))))
                                .post("/internal/v1/search/entries"),
                        401,
                        403,
                        403,
                        403,
                        403),
                new Endpoint(
                        "POST /internal/v1/grants/authorize",
                        s -> s.body(Map.of(
                                        "username", "alice", "target", "prod-web-1", "login", "ubuntu", "use", "SHELL"))
                                .post("/internal/v1/grants/authorize"),
                        401,
                        403,
                        403,
                        403,
                        403),
                new Endpoint(
                        "POST /internal/v1/ssh/host-certificates",
                        s -> s.body(Map.of("publicKey", publicKey(), "principals", List.of("localhost")))
                                .post("/internal/v1/ssh/host-certificates"),
                        401,
                        403,
                        403,
                        403,
                        403),
                new Endpoint(
                        "POST /internal/v1/sessions",
                        s -> s.body(SessionIndexTest.opened(
                                        UUID.randomUUID(), null, "alice", null, Instant.parse("2026-03-01T10:00:00Z")))
                                .post("/internal/v1/sessions"),
                        401,
                        403,
                        403,
                        403,
                        403),
                new Endpoint(
                        "POST /internal/v1/sessions/{id}/end",
                        s -> s.body(SessionIndexTest.ended(Instant.parse("2026-03-01T10:00:00Z"), 0, 0, "CLOSED", null))
                                .post("/internal/v1/sessions/" + aliceSession() + "/end"),
                        401,
                        403,
                        403,
                        403,
                        403));
        List<Arguments> cases = new ArrayList<>();
        for (Endpoint endpoint : endpoints) {
            for (int i = 0; i < CALLERS.size(); i++) {
                cases.add(Arguments.of(endpoint.name(), CALLERS.get(i), endpoint, endpoint.expected()[i]));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} as {1} -> {3}")
    @MethodSource("matrix")
    void statusFor(String endpointName, String caller, Endpoint endpoint, int expected) {
        // Fixtures are made by their owners inside call(); only the final call runs as the caller.
        Response response = endpoint.call().apply("anonymous".equals(caller) ? Api.anonymous() : Api.as(caller));
        assertThat(response.statusCode())
                .as(endpointName + " as " + caller + ": " + response.asString())
                .isEqualTo(expected);
        if (expected >= 400) {
            assertThat(response.contentType()).startsWith("application/problem+json");
        }
    }
}
