package dev.portcullis.bastion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.workflow.port.SessionIndex;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An admin ends one database session (the broker's {@code end-session} instruction, handed to the bastion's live
 * views): pgJDBC gets a FATAL 57P01 with the admin's line, the person's other session under the same grant goes on.
 */
class DatabaseSessionEndTest {

    @TempDir
    static Path dir;

    static DatabaseFixture f;

    @BeforeAll
    static void start() throws IOException {
        f = new DatabaseFixture(dir);
    }

    @AfterAll
    static void stop() {
        if (f != null) {
            f.close();
        }
    }

    @Test
    void oneSessionEndsWithAdminShutdownAndTheOtherStays() throws Exception {
        f.grant("alice", DatabaseFixture.WRITE_ROLE, Duration.ofMinutes(10));
        try (Connection ended = DriverManager.getConnection(
                f.jdbcUrl(), DatabaseProxyTest.props(DatabaseFixture.WRITE_ROLE, f.credential("alice")))) {
            assertThat(one(ended)).isEqualTo(1);
            UUID endedId = f.index.lastOpened().sessionId();
            try (Connection stays = DriverManager.getConnection(
                    f.jdbcUrl(), DatabaseProxyTest.props(DatabaseFixture.WRITE_ROLE, f.credential("alice")))) {
                assertThat(one(stays)).isEqualTo(1);
                assertThat(f.bastion
                                .liveSessions()
                                .views()
                                .end(endedId, "this session was ended by erin (admin): INC-9"))
                        .isTrue();
                SessionIndex.Closed closed = f.index.awaitClosed(endedId);
                assertThat(closed.status()).isEqualTo("TERMINATED");
                assertThat(closed.detail()).isEqualTo("this session was ended by erin (admin): INC-9");
                assertThatThrownBy(() -> one(ended))
                        .isInstanceOf(SQLException.class)
                        .satisfies(e ->
                                assertThat(((SQLException) e).getSQLState()).isEqualTo("57P01"))
                        .hasMessageContaining("this session was ended by erin (admin): INC-9");
                assertThat(one(stays)).isEqualTo(1);
            }
        }
    }

    private static int one(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("select 1")) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
