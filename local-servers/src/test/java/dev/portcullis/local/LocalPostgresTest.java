package dev.portcullis.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;

class LocalPostgresTest {

    @Test
    void startsARealServerWithPasswordAuthAndCleansUp() throws Exception {
        Path dir;
        try (LocalPostgres pg = LocalPostgres.start(null)) {
            dir = pg.directory();
            pg.createDatabase("smoke");
            pg.createDatabase("smoke"); // idempotent
            pg.createRole("app", "s3cret-at-runtime");
            try (Connection c = DriverManager.getConnection(pg.jdbcUrl("smoke"), pg.superuser(), pg.password());
                    ResultSet rs = c.createStatement()
                            .executeQuery("select current_database(), current_setting('listen_addresses')")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo("smoke");
                assertThat(rs.getString(2)).isEqualTo("127.0.0.1");
            }
            try (Connection c = DriverManager.getConnection(pg.jdbcUrl("smoke"), "app", "s3cret-at-runtime")) {
                assertThat(c.isValid(2)).isTrue();
            }
            assertThatThrownBy(() -> DriverManager.getConnection(pg.jdbcUrl("smoke"), pg.superuser(), "wrong"))
                    .isInstanceOf(SQLException.class)
                    .hasMessageContaining("password authentication failed");
        }
        assertThat(Files.exists(dir))
                .as("a temporary cluster leaves nothing behind")
                .isFalse();
    }

    @Test
    void aBrokerDatabaseHasAnOwnerAndARuntimeLoginThatOwnsNothing() throws Exception {
        LocalPostgres pg = LocalPostgres.shared();
        LocalPostgres.BrokerDatabase db = pg.brokerDatabase("tk_roles");
        assertThat(pg.brokerDatabase("tk_roles"))
                .as("the same roles and passwords for every caller")
                .isEqualTo(db);
        try (Connection owner = DriverManager.getConnection(db.jdbcUrl(), db.owner(), db.ownerPassword())) {
            owner.createStatement().execute("create table if not exists t (x int)");
        }
        try (Connection runtime = DriverManager.getConnection(db.jdbcUrl(), db.runtime(), db.runtimePassword())) {
            assertThatThrownBy(() -> runtime.createStatement().execute("create table mine (x int)"))
                    .hasMessageContaining("permission denied for schema public");
            assertThatThrownBy(() -> runtime.createStatement().execute("drop table t"))
                    .hasMessageContaining("must be owner");
            assertThatThrownBy(() -> runtime.createStatement().execute("create schema mine"))
                    .hasMessageContaining("permission denied");
        }
    }

    @Test
    void aPersistentClusterKeepsItsDataAndPasswordAcrossRestarts() throws Exception {
        Path dir = Files.createTempDirectory("portcullis-pg-persistent-");
        try {
            String password;
            try (LocalPostgres pg = LocalPostgres.start(dir)) {
                password = pg.password();
                pg.createDatabase("keep");
                pg.sql("keep", "create table t (x int); insert into t values (42)");
            }
            try (LocalPostgres pg = LocalPostgres.start(dir);
                    Connection c = DriverManager.getConnection(pg.jdbcUrl("keep"), pg.superuser(), pg.password());
                    ResultSet rs = c.createStatement().executeQuery("select x from t")) {
                assertThat(pg.password()).isEqualTo(password);
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(42);
            }
        } finally {
            Processes.deleteTree(dir);
        }
    }

    @Test
    void rejectsIdentifiersThatAreNotPlain() {
        assertThatThrownBy(() -> LocalPostgres.shared().createDatabase("x; drop database postgres"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
