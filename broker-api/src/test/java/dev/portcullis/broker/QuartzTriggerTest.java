package dev.portcullis.broker;

import static dev.portcullis.broker.Api.as;
import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.local.LocalPostgres;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.junit.jupiter.api.Test;
import org.quartz.JobKey;
import org.quartz.Scheduler;
import org.quartz.SimpleScheduleBuilder;
import org.quartz.Trigger;
import org.quartz.TriggerBuilder;
import org.quartz.TriggerKey;

/** Approving a grant stores a Quartz trigger for its end in PostgreSQL; the trigger ends the grant. */
@QuarkusTest
@QuarkusTestResource(BrokerTestEnvironment.class)
class QuartzTriggerTest {

    @Inject
    Scheduler quartz;

    @Test
    void theEndOfEveryGrantIsATriggerInTheJobStoreAndItFires() throws Exception {
        String id = Api.aliceRequestsWeb();
        // A pending request needs no trigger: reviews after its pending time are refused, and the sweep marks it
        // TIMED_OUT.
        assertThat(quartz.checkExists(TriggerKey.triggerKey("time-out-" + id, "portcullis")))
                .as("no pending time-out trigger")
                .isFalse();
        assertThat(quartz.checkExists(TriggerKey.triggerKey("expire-" + id, "portcullis")))
                .as("no end trigger before the grant starts")
                .isFalse();
        Api.approve("bob", id).then().statusCode(200);
        Api.approve("carol", id).then().statusCode(200);
        Trigger end = quartz.getTrigger(TriggerKey.triggerKey("expire-" + id, "portcullis"));
        Instant endsAt = Instant.parse(
                as("alice").get("/api/v1/requests/" + id).jsonPath().getString("endsAt"));
        assertThat(end.getStartTime().toInstant())
                .as("never before the end (Quartz counts milliseconds)")
                .isAfterOrEqualTo(endsAt)
                .isBefore(endsAt.plusMillis(1));
        assertThat(end.getMisfireInstruction()).isEqualTo(org.quartz.SimpleTrigger.MISFIRE_INSTRUCTION_FIRE_NOW);
        assertThat(end.getJobKey())
                .as("every grant's trigger fires the one durable job")
                .isEqualTo(JobKey.jobKey("end-due-request", "portcullis"));
        assertThat(end.getJobDataMap().getString("requestId")).isEqualTo(id);
        try (Connection db = connection();
                Statement s = db.createStatement();
                var rs =
                        s.executeQuery("select count(*) from qrtz_triggers where trigger_name = 'expire-" + id + "'")) {
            rs.next();
            assertThat(rs.getInt(1)).as("the trigger lives in PostgreSQL").isEqualTo(1);
        }

        // Bring the end forward (the sweeper is off in tests), so only the trigger can end it.
        Instant soon = Instant.now().plusSeconds(1);
        try (Connection db = connection();
                Statement s = db.createStatement()) {
            s.executeUpdate("update access_request set ends_at = '" + soon + "' where id = '" + id + "'");
        }
        quartz.rescheduleJob(
                end.getKey(),
                TriggerBuilder.newTrigger()
                        .withIdentity(end.getKey())
                        .forJob(end.getJobKey())
                        .usingJobData(end.getJobDataMap())
                        .startAt(Date.from(soon))
                        .withSchedule(SimpleScheduleBuilder.simpleSchedule().withMisfireHandlingInstructionFireNow())
                        .build());

        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        String state = null;
        while (System.nanoTime() < deadline && !"EXPIRED".equals(state)) {
            Thread.sleep(100);
            state = as("alice").get("/api/v1/requests/" + id).jsonPath().getString("state");
        }
        assertThat(state).isEqualTo("EXPIRED");
        assertThat(as("dave")
                        .get("/api/v1/audit?action=grant.expired&subject=" + id)
                        .jsonPath()
                        .getList("actor"))
                .containsExactly("portcullis");
    }

    @Test
    void aGrantReleasedEarlyTakesItsTriggerWithItAndTheSharedJobStays() throws Exception {
        String id = Api.aliceRequestsWeb();
        Api.approve("bob", id).then().statusCode(200);
        Api.approve("carol", id).then().statusCode(200);
        assertThat(quartz.checkExists(TriggerKey.triggerKey("expire-" + id, "portcullis")))
                .isTrue();
        as("alice").post("/api/v1/requests/" + id + "/release").then().statusCode(200);
        assertThat(quartz.checkExists(TriggerKey.triggerKey("expire-" + id, "portcullis")))
                .as("the end trigger is gone")
                .isFalse();
        assertThat(quartz.checkExists(JobKey.jobKey("end-due-request", "portcullis")))
                .as("the durable job serves the next grant")
                .isTrue();
    }

    private static Connection connection() throws Exception {
        LocalPostgres pg = LocalPostgres.shared();
        return DriverManager.getConnection(pg.jdbcUrl(BrokerTestEnvironment.DATABASE), pg.superuser(), pg.password());
    }
}
