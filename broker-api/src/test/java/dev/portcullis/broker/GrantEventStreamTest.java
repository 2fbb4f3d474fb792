package dev.portcullis.broker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.local.LocalKeycloak;
import dev.portcullis.local.LocalPostgres;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/** A real subscriber, authenticated as the bastion service client, reads grant events over SSE. */
@QuarkusTest
@QuarkusTestResource(BrokerTestEnvironment.class)
class GrantEventStreamTest {

    @ConfigProperty(name = "quarkus.http.test-port")
    int port;

    private final HttpClient http = HttpClient.newHttpClient();

    /** One SSE event as the wire carried it. */
    record Sse(String id, String event, String data) {}

    @Test
    void aBastionSeesGrantsStartAndEndAndCanResumeAfterAReconnect() throws Exception {
        LocalKeycloak kc = LocalKeycloak.shared();
        String bastion = kc.clientCredentialsToken(kc.bastionClientId(), kc.bastionClientSecret());

        BlockingQueue<Sse> received = new LinkedBlockingQueue<>();
        CompletableFuture<?> stream = subscribe(bastion, null, received);
        Thread.sleep(300); // the stream starts from "now"

        String id = Api.aliceRequestsWeb();
        Api.approve("bob", id).then().statusCode(200);
        Api.approve("carol", id).then().statusCode(200);
        Sse started = next(received, id);
        assertThat(started.event()).isEqualTo("started");
        assertThat(started.data())
                .contains(
                        "\"requester\":\"alice\"", "\"target\":\"prod-web-1\"", "\"login\":\"ubuntu\"", "\"endsAt\":");

        Api.as("alice").post("/api/v1/requests/" + id + "/release").then().statusCode(200);
        Sse ended = next(received, id);
        assertThat(ended.event()).isEqualTo("ended");
        assertThat(ended.data()).contains("\"state\":\"EXPIRED\"", "released early");
        assertThat(Long.parseLong(ended.id())).isGreaterThan(Long.parseLong(started.id()));
        stream.cancel(true);

        // While no bastion listens, another grant starts and is revoked; a bastion resuming from the
        // last id it saw gets both events, and nothing from before.
        String second = Api.aliceRequestsWeb();
        Api.approve("bob", second).then().statusCode(200);
        Api.approve("carol", second).then().statusCode(200);
        Api.as("erin")
                .body(java.util.Map.of("reason", "incident closed"))
                .post("/api/v1/requests/" + second + "/revoke")
                .then()
                .statusCode(200);
        BlockingQueue<Sse> resumed = new LinkedBlockingQueue<>();
        CompletableFuture<?> again = subscribe(bastion, ended.id(), resumed);
        Sse first = next(resumed, second);
        Sse last = next(resumed, second);
        assertThat(List.of(first.event(), last.event())).containsExactly("started", "ended");
        assertThat(last.data()).contains("\"state\":\"REVOKED\"", "incident closed");
        again.cancel(true);
    }

    /**
     * F5: the stream opens with the point it starts from, so a bastion that sees no grant event before its stream
     * drops still resumes from there; and an event that commits after a later one is not skipped on resume, because
     * the resume point a bastion is given never passes an id whose transaction is still open.
     */
    @Test
    void aStreamOpensWithItsPositionAndItsResumePointNeverPassesAnEventStillToCommit() throws Exception {
        LocalKeycloak kc = LocalKeycloak.shared();
        String bastion = kc.clientCredentialsToken(kc.bastionClientId(), kc.bastionClientSecret());
        String early = Api.activeWebGrant(Api.newEngineer("hole-"));

        BlockingQueue<Sse> received = new LinkedBlockingQueue<>();
        CompletableFuture<?> stream = subscribe(bastion, null, received);
        Sse opening = received.poll(10, TimeUnit.SECONDS);
        assertThat(opening).as("the first thing on the stream").isNotNull();
        assertThat(opening.event()).isEqualTo("position");
        assertThat(opening.data()).isEqualTo("{\"position\":" + opening.id() + "}");

        // An insert that took its id from the sequence but has not committed yet, as a slow transaction would.
        try (Connection slow = DriverManager.getConnection(
                LocalPostgres.shared().jdbcUrl(BrokerTestEnvironment.DATABASE),
                LocalPostgres.shared().superuser(),
                LocalPostgres.shared().password())) {
            slow.setAutoCommit(false);
            long held;
            try (PreparedStatement insert =
                    slow.prepareStatement("insert into grant_event (request_id, kind, requester, target, login,"
                            + " state, reason, at) values (?::uuid, 'ended', 'late', 'prod-web-1', 'ubuntu', 'REVOKED', 'committed late', now())"
                            + " returning id")) {
                insert.setString(1, early);
                try (ResultSet rs = insert.executeQuery()) {
                    rs.next();
                    held = rs.getLong(1);
                }
            }
            // a later event commits first and is sent at once, with a resume point behind the open one
            String later = Api.activeWebGrant(Api.newEngineer("hole-"));
            Sse started = next(received, later);
            assertThat(Long.parseLong(started.id())).isLessThan(held);
            stream.cancel(true);
            slow.commit();
            // the bastion resumes from what it was given, and gets the late event
            BlockingQueue<Sse> resumed = new LinkedBlockingQueue<>();
            CompletableFuture<?> again = subscribe(bastion, started.id(), resumed);
            Sse late = next(resumed, early);
            assertThat(late.data()).contains("committed late");
            again.cancel(true);
        }
    }

    @Test
    void onlyTheBastionServiceClientMayListen() throws Exception {
        HttpResponse<String> asAlice =
                http.send(request(Api.token("alice"), null).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(asAlice.statusCode()).isEqualTo(403);
        assertThat(asAlice.body()).contains("not_a_bastion");
        HttpResponse<String> anonymous =
                http.send(HttpRequest.newBuilder(URI.create(url())).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(anonymous.statusCode()).isEqualTo(401);
        LocalKeycloak kc = LocalKeycloak.shared();
        String bastion = kc.clientCredentialsToken(kc.bastionClientId(), kc.bastionClientSecret());
        HttpResponse<String> badResume =
                http.send(request(bastion, "yesterday").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(badResume.statusCode()).isEqualTo(422);
    }

    private String url() {
        return "http://127.0.0.1:" + port + "/internal/v1/grant-events";
    }

    private HttpRequest.Builder request(String token, String lastEventId) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url()))
                .header("Authorization", "Bearer " + token)
                .header("Accept", "text/event-stream");
        if (lastEventId != null) {
            b.header("Last-Event-ID", lastEventId);
        }
        return b;
    }

    private CompletableFuture<?> subscribe(String token, String lastEventId, BlockingQueue<Sse> into) {
        return http.sendAsync(request(token, lastEventId).build(), HttpResponse.BodyHandlers.ofLines())
                .thenAccept(response -> {
                    assertThat(response.statusCode()).isEqualTo(200);
                    parse(response.body(), into);
                });
    }

    private static void parse(Stream<String> lines, BlockingQueue<Sse> into) {
        List<String> block = new ArrayList<>();
        lines.forEach(line -> {
            if (!line.isEmpty()) {
                block.add(line);
                return;
            }
            String id = null, event = null;
            StringBuilder data = new StringBuilder();
            for (String l : block) {
                if (l.startsWith("id:")) id = l.substring(3).trim();
                else if (l.startsWith("event:")) event = l.substring(6).trim();
                else if (l.startsWith("data:")) data.append(l.substring(5).trim());
            }
            block.clear();
            if (id != null || event != null) {
                into.add(new Sse(id, event, data.toString()));
            }
        });
    }

    /** The next event about this request, skipping other tests' events. */
    private static Sse next(BlockingQueue<Sse> queue, String requestId) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            Sse e = queue.poll(200, TimeUnit.MILLISECONDS);
            if (e != null && e.data().contains(requestId)) {
                return e;
            }
        }
        throw new AssertionError("no grant event for " + requestId + " within 10 s");
    }
}
