package dev.portcullis.broker.persistence;

import static dev.portcullis.broker.Api.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import dev.portcullis.broker.Api;
import dev.portcullis.broker.BrokerTestEnvironment;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/**
 * Whoever holds a database login attacks the audit trail: the broker's own runtime login (read from the broker's
 * configuration, as someone who got hold of it would) may not empty, rewrite or drop it; the owner, standing in for a
 * database administrator, can rewrite it consistently, and the head signed outside the database catches that.
 */
@QuarkusTest
@QuarkusTestResource(BrokerTestEnvironment.class)
class AuditTamperingTest {

    @Inject
    AuditHeadSigner signer;

    @Test
    void theBrokersOwnLoginCanNeitherEmptyNorRewriteNorDropTheAuditTrail() throws Exception {
        String id = Api.aliceRequestsWeb();
        List<String> attacks = List.of(
                "truncate audit_log",
                "truncate audit_log, audit_head cascade",
                "update audit_log set actor = 'mallory'",
                "delete from audit_log",
                "update audit_head set last_id = 0, last_hash = repeat('0', 64)",
                "delete from audit_head",
                "insert into audit_log (id, at, actor, action, subject_type, subject_id, details, prev_hash, hash)"
                        + " values (999999, now(), 'mallory', 'x', 'x', 'x', '{}', repeat('0', 64), repeat('0', 64))",
                "delete from audit_pending",
                "drop table audit_log",
                "alter table audit_log disable trigger user",
                "drop trigger audit_log_append_only on audit_log",
                "drop function portcullis_refuse_change() cascade",
                "alter table audit_log owner to current_user",
                "create table audit_shadow (x int)",
                "truncate access_request cascade",
                "update flyway_schema_history set checksum = 0",
                "set session_replication_role = replica");
        try (Connection broker = login("quarkus.datasource")) {
            for (String attack : attacks) {
                assertThatThrownBy(() -> attempt(broker, attack)).as(attack).isInstanceOf(SQLException.class);
            }
        }
        // TRUNCATE fires no row trigger; its own trigger stops even the owner
        try (Connection owner = login("quarkus.flyway")) {
            assertThatThrownBy(() -> attempt(owner, "truncate audit_log"))
                    .hasMessageContaining("audit_log is append-only");
        }
        // and the broker still appends
        Api.approve("bob", id).then().statusCode(200);
        assertThat(as("dave")
                        .get("/api/v1/audit?subject=" + id + "&action=request.approved")
                        .jsonPath()
                        .getList("$"))
                .hasSize(1);
        as("dave").get("/api/v1/audit/verify").then().statusCode(200).body("valid", equalTo(true));
    }

    @Test
    void aChainRewrittenConsistentlyInTheDatabaseIsCaughtByTheSignedHead() throws Exception {
        String id = Api.aliceRequestsWeb();
        long rowId = as("dave")
                .get("/api/v1/audit?subject=" + id + "&action=request.created")
                .jsonPath()
                .getLong("[0].id");
        assertThat(signer.signHead())
                .as("the head is signed while the chain is intact")
                .isPresent();
        as("dave").get("/api/v1/audit/verify").then().statusCode(200).body("valid", equalTo(true));

        String actor;
        try (Connection owner = login("quarkus.flyway")) {
            actor = rechain(owner, rowId, "mallory");
            try {
                as("dave")
                        .get("/api/v1/audit/verify")
                        .then()
                        .statusCode(200)
                        .body("valid", equalTo(false))
                        .body("problem", containsString("is not the one signed at"));
                assertThat(signer.signHead())
                        .as("a rewritten chain is never signed")
                        .isEmpty();
            } finally {
                rechain(owner, rowId, actor);
            }
        }
        as("dave").get("/api/v1/audit/verify").then().statusCode(200).body("valid", equalTo(true));
        assertThat(signer.signHead()).isPresent();
    }

    /**
     * What a database administrator can do: set row {@code rowId}'s actor, recompute every hash from it to the end and
     * move the head, triggers off, so the chain verifies on its own. Returns the actor it replaced. Appends wait for it
     * (the head is locked), so none is lost.
     */
    private static String rechain(Connection owner, long rowId, String actor) throws SQLException {
        owner.setAutoCommit(false);
        try (Statement s = owner.createStatement()) {
            s.execute("lock table audit_head in exclusive mode");
            s.execute("alter table audit_log disable trigger user");
            String previous;
            try (ResultSet rs = s.executeQuery("select prev_hash from audit_log where id = " + rowId)) {
                rs.next();
                previous = rs.getString(1).trim();
            }
            List<AuditEntryEntity> rows = new ArrayList<>();
            try (ResultSet rs =
                    s.executeQuery("select id, at, actor, action, subject_type, subject_id, details from audit_log"
                            + " where id >= " + rowId + " order by id")) {
                while (rs.next()) {
                    AuditEntryEntity row = new AuditEntryEntity();
                    row.id = rs.getLong(1);
                    row.at = rs.getObject(2, OffsetDateTime.class).toInstant();
                    row.actor = rs.getString(3);
                    row.action = rs.getString(4);
                    row.subjectType = rs.getString(5);
                    row.subjectId = rs.getString(6);
                    row.details = rs.getString(7);
                    rows.add(row);
                }
            }
            String replaced = rows.get(0).actor;
            rows.get(0).actor = actor;
            try (PreparedStatement update =
                    owner.prepareStatement("update audit_log set actor = ?, prev_hash = ?, hash = ? where id = ?")) {
                for (AuditEntryEntity row : rows) {
                    row.prevHash = previous;
                    row.hash = HashChainedAuditLog.hashOf(row);
                    update.setString(1, row.actor);
                    update.setString(2, row.prevHash);
                    update.setString(3, row.hash);
                    update.setLong(4, row.id);
                    update.executeUpdate();
                    previous = row.hash;
                }
            }
            s.executeUpdate("update audit_head set last_hash = '" + previous + "'");
            s.execute("alter table audit_log enable trigger user");
            owner.commit();
            return replaced;
        } catch (SQLException | RuntimeException e) {
            owner.rollback();
            throw e;
        } finally {
            owner.setAutoCommit(true);
        }
    }

    /** Runs one statement in a transaction that is rolled back whatever happens, so a successful attack leaves no mark. */
    private static void attempt(Connection db, String sql) throws SQLException {
        db.setAutoCommit(false);
        try (Statement s = db.createStatement()) {
            s.execute(sql);
        } finally {
            db.rollback();
            db.setAutoCommit(true);
        }
    }

    /** A login of the running broker, from its own settings ({@code quarkus.datasource} or {@code quarkus.flyway}). */
    private static Connection login(String prefix) throws SQLException {
        var config = ConfigProvider.getConfig();
        // without a login of its own for the migrations, the datasource's login is the owner
        String from =
                config.getOptionalValue(prefix + ".username", String.class).isPresent() ? prefix : "quarkus.datasource";
        return DriverManager.getConnection(
                config.getValue("quarkus.datasource.jdbc.url", String.class),
                config.getValue(from + ".username", String.class),
                config.getValue(from + ".password", String.class));
    }
}
