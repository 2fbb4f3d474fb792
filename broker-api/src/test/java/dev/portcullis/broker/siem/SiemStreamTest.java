package dev.portcullis.broker.siem;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;

import dev.portcullis.broker.Api;
import dev.portcullis.broker.BrokerTestEnvironment;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * The SIEM stream end to end: audit rows made by the real workflow over HTTP reach rsyslog (syslog over TLS), the HEC
 * and the _bulk receiver, each once after dropping repeats, in order, linked by their hashes, also after the sinks
 * were down while the workflow went on (outage length: -Dsiem.outage-seconds, 5 by default; deploy/bench/siem.sh runs
 * it with 60).
 */
@QuarkusTest
@QuarkusTestResource(BrokerTestEnvironment.class)
@QuarkusTestResource(value = SiemSinksEnvironment.class, restrictToAnnotatedClass = true)
class SiemStreamTest {

    private static final int OUTAGE_SECONDS = Integer.getInteger("siem.outage-seconds", 5);
    /** How long the sinks may take to catch up: generous, it only bounds a loop that ends as soon as they have. */
    private static final long CATCH_UP_MILLIS = 180_000;

    @Inject
    DataSource db;

    private long head() throws Exception {
        try (Connection c = db.getConnection();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("select last_id from audit_head")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static List<ReceivedStream.Event> received(String sink) {
        if (sink.equals("syslog")) {
            return ReceivedStream.fromSyslog(SiemSinksEnvironment.rsyslog.received());
        }
        return SiemSinksEnvironment.http.received(sink).stream()
                .map(r -> new ReceivedStream.Event(r.seq(), r.prevHash(), r.hash()))
                .toList();
    }

    /** Waits (bounded) until every sink has every row up to the head, then checks each stream's continuity. */
    private void awaitEverySinkHasTheWholeTrail() throws Exception {
        long head = head();
        long deadline = System.currentTimeMillis() + CATCH_UP_MILLIS;
        for (String sink : List.of("syslog", "hec", "bulk")) {
            while (ReceivedStream.highest(received(sink)) < head && System.currentTimeMillis() < deadline) {
                Thread.sleep(100);
            }
            List<ReceivedStream.Event> events = received(sink);
            assertThat(ReceivedStream.highest(events))
                    .as("highest seq at sink " + sink)
                    .isGreaterThanOrEqualTo(head);
            assertThat(ReceivedStream.continuityProblems(events))
                    .as("continuity at sink " + sink)
                    .isEmpty();
        }
        assertThat(SiemSinksEnvironment.http.refusals())
                .as("requests the HTTP receiver refused")
                .isEmpty();
    }

    @Test
    void everyAuditRowReachesEverySinkOnceInOrder() throws Exception {
        Api.activeWebGrant(Api.newEngineer("siem-"));
        awaitEverySinkHasTheWholeTrail();
        assertThat(SiemSinksEnvironment.rsyslog.received())
                .anySatisfy(line -> assertThat(line)
                        .contains("[portcullis@32473 seq=\"")
                        .contains("\"action\":\"request.approved\""));
    }

    @Test
    void sinksDownUnderLoadGetEverythingAfterwardsInOrderWithoutAGap() throws Exception {
        awaitEverySinkHasTheWholeTrail();
        String engineer = Api.newEngineer("siem-load-");
        Api.token(engineer); // fetched once, before the clients share it
        long before = head();
        SiemSinksEnvironment.rsyslog.stop();
        SiemSinksEnvironment.http.stop();
        AtomicBoolean outage = new AtomicBoolean(true);
        AtomicInteger flows = new AtomicInteger();
        ExecutorService clients = Executors.newFixedThreadPool(4);
        List<Future<?>> running = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                running.add(clients.submit(() -> {
                    while (outage.get()) {
                        String id = Api.as(engineer)
                                .body(java.util.Map.of(
                                        "target",
                                        "prod-web-1",
                                        "login",
                                        "ubuntu",
                                        "durationMinutes",
                                        5,
                                        "reason",
                                        "SIEM outage load",
                                        "ticket",
                                        "INC-19"))
                                .post("/api/v1/requests")
                                .then()
                                .statusCode(201)
                                .extract()
                                .path("id");
                        Api.as(engineer)
                                .post("/api/v1/requests/" + id + "/cancel")
                                .then()
                                .statusCode(200);
                        flows.incrementAndGet();
                    }
                    return null;
                }));
            }
            Thread.sleep(OUTAGE_SECONDS * 1000L);
            // on a slow machine, at least a few flows' rows pile up behind the sinks (bounded)
            long deadline = System.currentTimeMillis() + 120_000;
            while (flows.get() < 8
                    && System.currentTimeMillis() < deadline
                    && running.stream().noneMatch(Future::isDone)) {
                Thread.sleep(100);
            }
            // while they are down, admins see the sinks fall behind
            given().get("/q/metrics")
                    .then()
                    .statusCode(200)
                    .body(
                            containsString("portcullis_siem_lag_rows{sink=\"syslog\"}"),
                            containsString("portcullis_siem_lag_seconds{sink=\"hec\"}"));
            assertThat(head()).isGreaterThan(before);
            SiemSinksEnvironment.rsyslog.start();
            SiemSinksEnvironment.http.start();
            Thread.sleep(1000); // the workflow goes on while the backlog drains
        } finally {
            outage.set(false);
            for (Future<?> client : running) {
                client.get(60, TimeUnit.SECONDS);
            }
            clients.shutdown();
            SiemSinksEnvironment.rsyslog.start();
            SiemSinksEnvironment.http.start();
        }
        assertThat(flows.get()).isPositive();
        awaitEverySinkHasTheWholeTrail();
    }

    /** Another replica holding a sink's cursor locked is sending that sink's rows: this broker leaves them to it. */
    @Test
    void aSinkWhoseCursorAnotherReplicaHoldsIsLeftToIt() throws Exception {
        awaitEverySinkHasTheWholeTrail();
        try (Connection otherReplica = db.getConnection()) {
            otherReplica.setAutoCommit(false);
            try (Statement s = otherReplica.createStatement()) {
                s.executeQuery("select last_id from siem_cursor where sink = 'hec' for update")
                        .close();
            }
            long hecBefore = SiemSinksEnvironment.http.received("hec").size();
            Api.aliceRequestsWeb();
            long head = head();
            long deadline = System.currentTimeMillis() + 30_000;
            while (ReceivedStream.highest(received("bulk")) < head && System.currentTimeMillis() < deadline) {
                Thread.sleep(100);
            }
            assertThat(ReceivedStream.highest(received("bulk"))).isGreaterThanOrEqualTo(head);
            assertThat(SiemSinksEnvironment.http.received("hec")).hasSize((int) hecBefore);
            otherReplica.rollback();
        }
        awaitEverySinkHasTheWholeTrail();
    }
}
