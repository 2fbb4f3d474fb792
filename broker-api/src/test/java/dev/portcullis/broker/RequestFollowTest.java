package dev.portcullis.broker;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * What the command line's {@code request --wait} follows: one request as server-sent events, each approval as it is
 * given, the stream ending once the request leaves PENDING; and the public settings it signs in with.
 */
@QuarkusTest
@QuarkusTestResource(BrokerTestEnvironment.class)
class RequestFollowTest {

    @ConfigProperty(name = "quarkus.http.test-port")
    int port;

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void theRequesterSeesEachApprovalAndTheStreamEndsWhenActive() throws Exception {
        String id = Api.aliceRequestsWeb();
        BlockingQueue<String> events = new LinkedBlockingQueue<>();
        CompletableFuture<Integer> stream = follow(Api.token("alice"), id, events);
        assertThat(next(events)).contains("\"state\":\"PENDING\"", "\"approvals\":0");
        Api.approve("bob", id).then().statusCode(200);
        assertThat(next(events)).contains("\"state\":\"PENDING\"", "\"approvals\":1", "\"reviewer\":\"bob\"");
        Api.approve("carol", id).then().statusCode(200);
        assertThat(next(events)).contains("\"state\":\"ACTIVE\"", "\"approvals\":2");
        assertThat(stream.get(10, TimeUnit.SECONDS))
                .as("the stream ends after ACTIVE")
                .isEqualTo(200);
        assertThat(events).isEmpty();
    }

    @Test
    void aDeniedRequestEndsTheStreamWithItsReason() throws Exception {
        String id = Api.aliceRequestsWeb();
        BlockingQueue<String> events = new LinkedBlockingQueue<>();
        CompletableFuture<Integer> stream = follow(Api.token("alice"), id, events);
        assertThat(next(events)).contains("\"state\":\"PENDING\"");
        Api.deny("bob", id, "not during the freeze").then().statusCode(200);
        assertThat(next(events)).contains("\"state\":\"DENIED\"", "not during the freeze");
        assertThat(stream.get(10, TimeUnit.SECONDS)).isEqualTo(200);
    }

    /** Attacker: another engineer (or nobody) must not follow alice's request, nor learn that it exists. */
    @Test
    void onlyThoseWhoMaySeeARequestMayFollowIt() throws Exception {
        String id = Api.aliceRequestsWeb();
        // the status comes with the headers: were the check missing, this would be a 200 stream that stays open
        HttpResponse<java.io.InputStream> stranger = http.send(
                request(Api.token(Api.newEngineer("follow-")), id).build(), HttpResponse.BodyHandlers.ofInputStream());
        try (java.io.InputStream body = stranger.body()) {
            assertThat(stranger.statusCode()).isEqualTo(404);
            assertThat(new String(body.readAllBytes())).contains("no_such_request");
        }
        HttpResponse<String> anonymous =
                http.send(HttpRequest.newBuilder(URI.create(url(id))).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(anonymous.statusCode()).isEqualTo(401);
    }

    @Test
    void anyoneMayReadWhereTheCommandLineSignsIn() throws Exception {
        HttpResponse<String> settings = http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/client-settings"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(settings.statusCode()).isEqualTo(200);
        assertThat(settings.body())
                .contains("\"clientId\":\"portcullis-cli\"", "/realms/portcullis\"", "\"bastionSshPort\":");
    }

    private String url(String id) {
        return "http://127.0.0.1:" + port + "/api/v1/requests/" + id + "/events";
    }

    private HttpRequest.Builder request(String token, String id) {
        return HttpRequest.newBuilder(URI.create(url(id)))
                .header("Authorization", "Bearer " + token)
                .header("Accept", "text/event-stream");
    }

    /** Collects the data of each {@code request} event; completes with the status when the server ends the stream. */
    private CompletableFuture<Integer> follow(String token, String id, BlockingQueue<String> into) {
        return http.sendAsync(request(token, id).build(), HttpResponse.BodyHandlers.ofLines())
                .thenApply(response -> {
                    List<String> block = new ArrayList<>();
                    response.body().forEach(line -> {
                        if (!line.isEmpty()) {
                            block.add(line);
                            return;
                        }
                        if (block.contains("event:request")) {
                            block.stream().filter(l -> l.startsWith("data:")).forEach(l -> into.add(l.substring(5)));
                        }
                        block.clear();
                    });
                    return response.statusCode();
                });
    }

    private static String next(BlockingQueue<String> events) throws InterruptedException {
        String event = events.poll(10, TimeUnit.SECONDS);
        assertThat(event).as("a request event within 10 s").isNotNull();
        return event;
    }
}
