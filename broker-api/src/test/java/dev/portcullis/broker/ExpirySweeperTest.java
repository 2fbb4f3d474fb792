package dev.portcullis.broker;

import static dev.portcullis.broker.Api.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import dev.portcullis.local.LocalPostgres;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The safety net: grants past their end time expire, and pending requests past their TTL time out, once
 * each, even without a trigger (the test moves their times in the database, where no trigger follows).
 */
@QuarkusTest
@QuarkusTestResource(BrokerTestEnvironment.class)
class ExpirySweeperTest {

    @jakarta.inject.Inject
    dev.portcullis.broker.scheduling.ExpirySweeper sweeper;

    @Test
    void dueGrantsExpireAndDuePendingRequestsTimeOut() throws Exception {
        String grant = Api.aliceRequestsWeb();
        Api.approve("bob", grant).then().statusCode(200);
        Api.approve("carol", grant).then().statusCode(200);
        String pending = Api.aliceRequestsWeb();

        LocalPostgres pg = LocalPostgres.shared();
        try (Connection db = DriverManager.getConnection(
                        pg.jdbcUrl(BrokerTestEnvironment.DATABASE), pg.superuser(), pg.password());
                Statement s = db.createStatement()) {
            // Move the clock of these two rows instead of waiting an hour.
            s.executeUpdate(
                    "update access_request set ends_at = now() - interval '1 second' where id = '" + grant + "'");
            s.executeUpdate("update access_request set pending_until = now() - interval '1 second' where id = '"
                    + pending + "'");
        }

        sweeper.sweep();
        sweeper.sweep(); // a second pass (or a second broker) changes nothing
        waitForState(grant, "EXPIRED");
        waitForState(pending, "TIMED_OUT");
        as("alice")
                .get("/api/v1/requests/" + grant)
                .then()
                .body("endedBy", equalTo("portcullis"))
                .body("live", equalTo(false));
        List<String> actions =
                as("dave").get("/api/v1/audit?subject=" + grant).jsonPath().getList("action", String.class);
        assertThat(actions).filteredOn("grant.expired"::equals).hasSize(1);
        Api.approve("bob", pending).then().statusCode(409).body("code", equalTo("request_closed"));
    }

    private static void waitForState(String id, String state) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        String seen = null;
        while (System.nanoTime() < deadline) {
            seen = as("alice").get("/api/v1/requests/" + id).jsonPath().getString("state");
            if (state.equals(seen)) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("request " + id + " is " + seen + ", expected " + state);
    }
}
