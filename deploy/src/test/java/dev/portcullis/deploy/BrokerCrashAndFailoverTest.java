package dev.portcullis.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.local.LocalKeycloak;
import dev.portcullis.local.LocalPostgres;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real broker processes on one PostgreSQL: grants end on time and exactly once when brokers are killed
 * with SIGKILL, whether another broker is alive or every broker is down and one comes back. The safety
 * sweep is turned off so that only the Quartz triggers in the clustered job store can end grants.
 */
class BrokerCrashAndFailoverTest {

    private static final int GRANTS = 100;
    private static final String DATABASE = "failover";
    private static final Map<String, String> QUARTZ_ONLY = Map.of("PORTCULLIS_SWEEP_INTERVAL", "1h");

    private static LocalPostgres postgres;
    private static LocalKeycloak keycloak;
    private static final List<BrokerProcess> started = new ArrayList<>();
    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    static Path logs;

    @BeforeAll
    static void servers() {
        postgres = LocalPostgres.shared();
        postgres.brokerDatabase(DATABASE);
        keycloak = LocalKeycloak.shared();
    }

    @AfterAll
    static void stopBrokers() {
        started.forEach(BrokerProcess::stop);
    }

    @Test
    void grantsEndExactlyOnceAndOnTimeWhenBrokersAreKilled() throws Exception {
        BrokerProcess a = broker("a");
        BrokerProcess b = broker("b");

        // 1. Two brokers; A dies with 100 grants running. B ends every one on time.
        Map<String, Instant> first = makeGrants(a, GRANTS);
        a.kill();
        awaitAllEnded(first.keySet(), latest(first).plusSeconds(60));
        Duration worst = Duration.ZERO;
        for (Map.Entry<String, Instant> grant : first.entrySet()) {
            Duration late = Duration.between(grant.getValue(), endedAt(grant.getKey()));
            worst = late.compareTo(worst) > 0 ? late : worst;
            assertThat(late).as("grant %s ended late", grant.getKey()).isLessThanOrEqualTo(Duration.ofSeconds(5));
        }
        System.out.println("failover: " + GRANTS + " grants ended by the surviving broker, worst " + worst.toMillis()
                + " ms after the end time");
        assertExactlyOneExpiry(first.keySet());

        // 2. Every broker is down while 100 grants run out; the first one back ends them all at once.
        Map<String, Instant> second = makeGrants(b, GRANTS);
        b.kill();
        sleepUntil(latest(second).plusSeconds(3));
        BrokerProcess back = broker("a-restarted");
        Instant ready = Instant.now();
        awaitAllEnded(second.keySet(), ready.plusSeconds(60));
        Duration worstAfterRestart = Duration.ZERO;
        for (String id : second.keySet()) {
            Duration late = Duration.between(ready, endedAt(id));
            worstAfterRestart = late.compareTo(worstAfterRestart) > 0 ? late : worstAfterRestart;
            assertThat(late).as("grant %s ended late after the restart", id).isLessThanOrEqualTo(Duration.ofSeconds(5));
        }
        System.out.println("restart: " + GRANTS + " overdue grants ended, the last " + worstAfterRestart.toMillis()
                + " ms after the broker was ready");
        assertExactlyOneExpiry(second.keySet());
        assertThat(back.isAlive()).isTrue();
    }

    private BrokerProcess broker(String name) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Path repo = Path.of("..").toAbsolutePath().normalize();
        Path dir = Files.createDirectories(logs.resolve("broker-" + name));
        BrokerProcess broker = BrokerProcess.start(
                repo,
                port,
                dir.resolve("broker.log"),
                postgres.brokerDatabase(DATABASE),
                keycloak,
                repo.resolve("deploy/policies/policies.yaml"),
                QUARTZ_ONLY);
        started.add(broker);
        return broker.awaitReady(Duration.ofSeconds(120));
    }

    /** One-minute read-only database grants: alice asks, erin (dba-approvers) approves. Returns id to end time. */
    private Map<String, Instant> makeGrants(BrokerProcess broker, int count) throws Exception {
        String alice = keycloak.accessToken("alice");
        String erin = keycloak.accessToken("erin");
        Map<String, Instant> grants = new java.util.concurrent.ConcurrentHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<?>> work = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            work.add(pool.submit(() -> {
                String created = post(
                        broker,
                        "/api/v1/requests",
                        alice,
                        "{\"target\":\"prod-db\",\"login\":\"app_readonly\",\"durationMinutes\":1,\"reason\":\"failover test\"}");
                String id = field(created, "id");
                String approved = post(broker, "/api/v1/requests/" + id + "/approve", erin, "{}");
                assertThat(field(approved, "state")).isEqualTo("ACTIVE");
                grants.put(id, Instant.parse(field(approved, "endsAt")));
                return null;
            }));
        }
        for (Future<?> f : work) {
            f.get(5, TimeUnit.MINUTES);
        }
        pool.shutdown();
        return grants;
    }

    private String post(BrokerProcess broker, String path, String token, String body) throws Exception {
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(URI.create(broker.url() + path))
                        .header("Authorization", "Bearer " + token)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isLessThan(300);
        return r.body();
    }

    private static String field(String json, String name) {
        int at = json.indexOf("\"" + name + "\":\"") + name.length() + 4;
        return json.substring(at, json.indexOf('"', at));
    }

    private static Instant latest(Map<String, Instant> grants) {
        return grants.values().stream().max(Instant::compareTo).orElseThrow();
    }

    private void awaitAllEnded(java.util.Set<String> ids, Instant deadline) throws Exception {
        while (Instant.now().isBefore(deadline)) {
            if (count("select count(*) from access_request where state = 'EXPIRED' and id in (" + inList(ids) + ")")
                    == ids.size()) {
                return;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("only "
                + count("select count(*) from access_request where state = 'EXPIRED' and id in (" + inList(ids) + ")")
                + " of " + ids.size() + " grants ended by " + deadline);
    }

    private void assertExactlyOneExpiry(java.util.Set<String> ids) throws Exception {
        Map<String, Integer> rows = new HashMap<>();
        try (Connection db = connection();
                Statement s = db.createStatement();
                ResultSet rs = s.executeQuery(
                        "select subject_id, count(*) from audit_log where action = 'grant.expired' and subject_id in ("
                                + inList(ids) + ") group by subject_id")) {
            while (rs.next()) {
                rows.put(rs.getString(1), rs.getInt(2));
            }
        }
        assertThat(rows).hasSize(ids.size());
        assertThat(rows.values()).allMatch(n -> n == 1);
        assertThat(count("select count(*) from grant_event where kind = 'ended' and request_id::text in (" + inList(ids)
                        + ")"))
                .isEqualTo(ids.size());
    }

    private Instant endedAt(String id) throws Exception {
        try (Connection db = connection();
                Statement s = db.createStatement();
                ResultSet rs = s.executeQuery("select ended_at from access_request where id = '" + id + "'")) {
            rs.next();
            return rs.getTimestamp(1).toInstant();
        }
    }

    private int count(String sql) throws Exception {
        try (Connection db = connection();
                Statement s = db.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static String inList(java.util.Set<String> ids) {
        return String.join(",", ids.stream().map(id -> "'" + id + "'").toList());
    }

    private static Connection connection() throws Exception {
        return DriverManager.getConnection(postgres.jdbcUrl(DATABASE), postgres.superuser(), postgres.password());
    }

    private static void sleepUntil(Instant when) throws InterruptedException {
        long millis = Duration.between(Instant.now(), when).toMillis();
        if (millis > 0) {
            Thread.sleep(millis);
        }
    }
}
