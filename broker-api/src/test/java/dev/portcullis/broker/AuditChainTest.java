package dev.portcullis.broker;

import static dev.portcullis.broker.Api.as;
import static dev.portcullis.broker.DatabaseAdmin.superuser;
import static dev.portcullis.broker.DatabaseAdmin.tamper;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;

import dev.portcullis.broker.persistence.HashChainedAuditLog;
import dev.portcullis.workflow.port.AuditEvent;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(BrokerTestEnvironment.class)
class AuditChainTest {

    @Inject
    HashChainedAuditLog auditLog;

    @Test
    void anEditedRowBreaksTheChainAndIsPointedAt() throws Exception {
        String id = Api.aliceRequestsWeb();
        Api.approve("bob", id).then().statusCode(200);
        as("dave")
                .get("/api/v1/audit/verify")
                .then()
                .statusCode(200)
                .body("valid", equalTo(true))
                .body("intactRows", greaterThan(1));

        long rowId = as("dave")
                .get("/api/v1/audit?subject=" + id + "&action=request.approved")
                .jsonPath()
                .getLong("[0].id");
        try (Connection db = superuser()) {
            assertThat(update(db, "update audit_log set actor = 'mallory' where id = " + rowId))
                    .as("the append-only trigger stops edits from the application")
                    .isFalse();
            String original = scalar(db, "select actor from audit_log where id = " + rowId);
            try {
                tamper(db, "update audit_log set actor = 'mallory' where id = " + rowId);
                as("dave")
                        .get("/api/v1/audit/verify")
                        .then()
                        .statusCode(200)
                        .body("valid", equalTo(false))
                        .body("brokenAt", equalTo((int) rowId))
                        .body("problem", equalTo("row " + rowId + " was changed after it was written"));
            } finally {
                tamper(db, "update audit_log set actor = '" + original + "' where id = " + rowId);
            }
            as("dave").get("/api/v1/audit/verify").then().body("valid", equalTo(true));
        }
    }

    @Test
    void concurrentTransactionsChainTheirRowsAtCommitGaplessAndRolledBackRowsLeaveNoTrace() throws Exception {
        long before;
        try (Connection db = superuser()) {
            before = Long.parseLong(scalar(db, "select last_id from audit_head"));
        }
        int threads = 16;
        int each = 25;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<Integer>> done = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            done.add(pool.submit(() -> {
                int committed = 0;
                for (int i = 0; i < each; i++) {
                    boolean keep = i % 5 != 4; // every fifth transaction rolls back after appending
                    AuditEvent event = new AuditEvent(
                            Instant.now(),
                            "chain-test-" + thread,
                            "test.appended",
                            "test",
                            thread + "-" + i,
                            Map.of("i", String.valueOf(i)));
                    try {
                        QuarkusTransaction.requiringNew().run(() -> {
                            auditLog.append(event);
                            auditLog.append(event); // two rows in one transaction stay next to each other
                            if (!keep) {
                                throw new IllegalStateException("roll back");
                            }
                        });
                        committed += 2;
                    } catch (IllegalStateException rolledBack) {
                        // nothing of it may reach the chain
                    }
                }
                return committed;
            }));
        }
        int committed = 0;
        for (Future<Integer> f : done) {
            committed += f.get(2, TimeUnit.MINUTES);
        }
        pool.shutdown();
        assertThat(committed).isEqualTo(threads * each * 2 * 4 / 5);
        try (Connection db = superuser()) {
            assertThat(scalar(db, "select count(*) from audit_pending"))
                    .as("nothing left waiting")
                    .isEqualTo("0");
            assertThat(Long.parseLong(scalar(
                            db,
                            "select count(*) from audit_log where id > " + before + " and action = 'test.appended'")))
                    .as("every committed row, and none of the rolled back ones")
                    .isEqualTo(committed);
            assertThat(scalar(
                            db,
                            "select count(*) from (select subject_id from audit_log where action = 'test.appended' and id > "
                                    + before + " group by subject_id having max(id) - min(id) <> 1) apart"))
                    .as("a transaction's rows are chained together")
                    .isEqualTo("0");
        }
        as("dave").get("/api/v1/audit/verify").then().statusCode(200).body("valid", equalTo(true));
    }

    @Test
    void rowsHashedByTheDatabaseVerifyInJavaWhateverTheirText() {
        // PostgreSQL computes each row's hash as it chains the row (at commit, under the head's lock); the verifier
        // recomputes it in Java: accents, an emoji outside the BMP, quotes, backslashes and tabs must hash alike
        String id = Api.aliceRequestsWeb();
        String comment = "d'accord, \u00e9t\u00e9 \ud83d\ude42 \"quoted\" back\\slash\ttab";
        as("bob")
                .body(Map.of("comment", comment))
                .post("/api/v1/requests/" + id + "/approve")
                .then()
                .statusCode(200);
        assertThat(as("dave")
                        .get("/api/v1/audit?subject=" + id + "&action=request.approved")
                        .jsonPath()
                        .getString("[0].details.comment"))
                .isEqualTo(comment);
        as("dave").get("/api/v1/audit/verify").then().statusCode(200).body("valid", equalTo(true));
    }

    @Test
    void exportIsJsonLinesOldestFirst() {
        Api.aliceRequestsWeb();
        String body = as("dave")
                .get("/api/v1/audit/export")
                .then()
                .statusCode(200)
                .contentType("application/jsonl")
                .extract()
                .asString();
        List<String> lines = body.lines().toList();
        assertThat(lines).isNotEmpty();
        assertThat(lines.get(0)).contains("\"id\":1,").contains("\"prevHash\":\"" + "0".repeat(64) + "\"");
        assertThat(lines).allSatisfy(l -> assertThat(l).startsWith("{").endsWith("}"));
    }

    private static boolean update(Connection db, String sql) {
        try (Statement s = db.createStatement()) {
            s.executeUpdate(sql);
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    private static String scalar(Connection db, String sql) throws Exception {
        try (PreparedStatement s = db.prepareStatement(sql);
                ResultSet rs = s.executeQuery()) {
            rs.next();
            return rs.getString(1);
        }
    }
}
