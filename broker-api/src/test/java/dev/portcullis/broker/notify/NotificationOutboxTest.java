package dev.portcullis.broker.notify;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.broker.Api;
import dev.portcullis.broker.BrokerTestEnvironment;
import dev.portcullis.broker.DatabaseAdmin;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Two broker replicas share one outbox: claims made at the same time never hand one message to both, and a claim runs
 * out when its broker died before reporting, so the message is claimed again (at least once).
 */
@QuarkusTest
@QuarkusTestResource(BrokerTestEnvironment.class)
@io.quarkus.test.junit.TestProfile(NotificationOutboxTest.NoSender.class)
class NotificationOutboxTest {

    /** This broker's own sender stays idle: the test's two claimers stand for two replicas. */
    public static class NoSender implements io.quarkus.test.junit.QuarkusTestProfile {
        @Override
        public java.util.Map<String, String> getConfigOverrides() {
            return java.util.Map.of("portcullis.notify.send", "false");
        }
    }

    private static final int ROWS = 400;

    @Inject
    NotificationOutbox outbox;

    @Test
    void twoSendersClaimingAtOnceNeverGetTheSameMessage() throws Exception {
        String request = Api.aliceRequestsWeb();
        try (Connection db = DatabaseAdmin.superuser();
                Statement s = db.createStatement()) {
            s.execute("insert into notification_outbox (id, request_id, event, channel, payload, created_at, due_at)"
                    + " select gen_random_uuid(), '" + request
                    + "', 'request.created', 'replica-test', '{}', now(), now()"
                    + " from generate_series(1, " + ROWS + ")");
        }
        ExecutorService replicas = Executors.newFixedThreadPool(2);
        Callable<List<UUID>> replica = () -> {
            List<UUID> mine = new ArrayList<>();
            for (int round = 0; round < 200; round++) {
                List<NotificationOutbox.Claimed> batch = outbox.claim(7, Duration.ofMinutes(5));
                batch.stream().filter(c -> c.channel().equals("replica-test")).forEach(c -> mine.add(c.id()));
                batch.stream()
                        .filter(c -> !c.channel().equals("replica-test")) // another test's message: give it back
                        .forEach(c -> outbox.retryLater(c.id(), Duration.ZERO, "released by a test"));
                if (batch.isEmpty()) {
                    break;
                }
            }
            return mine;
        };
        Future<List<UUID>> a = replicas.submit(replica);
        Future<List<UUID>> b = replicas.submit(replica);
        List<UUID> first = a.get();
        List<UUID> second = b.get();
        replicas.shutdown();

        Set<UUID> both = new HashSet<>(first);
        both.retainAll(new HashSet<>(second));
        assertThat(both).as("messages claimed by both replicas").isEmpty();
        assertThat(first.size() + second.size()).isEqualTo(ROWS);
        assertThat(new HashSet<>(first)).hasSameSizeAs(first);

        // a replica that died holding a claim: once the claim runs out, the message is claimed again
        UUID held = first.isEmpty() ? second.get(0) : first.get(0);
        try (Connection db = DatabaseAdmin.superuser();
                Statement s = db.createStatement()) {
            s.execute("update notification_outbox set status = 'SENT' where channel = 'replica-test' and id <> '" + held
                    + "'");
            s.execute("update notification_outbox set claimed_until = now() - interval '1 second' where id = '" + held
                    + "'");
        }
        List<NotificationOutbox.Claimed> again = outbox.claim(50, Duration.ofMinutes(5));
        assertThat(again).extracting(NotificationOutbox.Claimed::id).contains(held);
        assertThat(again.stream()
                        .filter(c -> c.id().equals(held))
                        .findFirst()
                        .orElseThrow()
                        .attempts())
                .isEqualTo(2);
        again.stream()
                .filter(c -> !c.channel().equals("replica-test"))
                .forEach(c -> outbox.retryLater(c.id(), Duration.ZERO, "released by a test"));
        outbox.sent(held);
    }
}
