package dev.portcullis.bastion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.local.Commands.Result;
import dev.portcullis.local.LocalPostgres;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A holder of a read grant who wants to write, through the stock {@code psql} and pgJDBC against a real PostgreSQL
 * (a cluster of this test's own, so that it can give roles privileges freely). The database's own privileges are what
 * keeps a read grant read-only: a role that could write is refused at login, naming the privilege. The proxy's guard
 * is the second line: every known way of building SQL where it cannot read it is refused before it is sent.
 */
class DatabaseReadOnlyAttackTest {

    /** Roles marked readOnly in the inventory, each given one privilege that could write. */
    static final List<String> PROBES = List.of(
            "ro_insert",
            "ro_member",
            "ro_noinherit",
            "ro_definer",
            "ro_create",
            "ro_files",
            "ro_sequence",
            "ro_column",
            "ro_createrole");

    @TempDir
    static Path dir;

    static LocalPostgres pg;
    static DatabaseFixture f;

    @BeforeAll
    static void start() throws IOException {
        pg = LocalPostgres.start(null);
        f = new DatabaseFixture(dir, true, pg, null, null, PROBES, o -> o);
        pg.sql("orders", """
                create role writers nologin;
                grant insert, update, delete on items to writers;
                grant insert on items to ro_insert;
                grant writers to ro_member;
                alter role ro_noinherit noinherit;
                grant writers to ro_noinherit;
                create function bump() returns void language sql security definer
                  as 'insert into items (name) values (''bumped'')';
                alter function bump() owner to app_admin;
                revoke execute on function bump() from public;
                grant execute on function bump() to ro_definer;
                grant create on schema public to ro_create;
                grant pg_write_server_files to ro_files;
                grant usage on sequence items_id_seq to ro_sequence;
                grant update (name) on items to ro_column;
                alter role ro_createrole createrole;
                create function run_sql(q text) returns text language plpgsql as $$begin execute q; return 'ran'; end$$;
                create procedure touch() language sql as $$insert into items (name) values ('called')$$;
                """);
    }

    @AfterAll
    static void stop() {
        if (f != null) {
            f.close();
        }
        if (pg != null) {
            pg.close();
        }
    }

    @BeforeEach
    void noGrants() {
        f.grants.clear();
    }

    @Test
    void aRoleWithNothingButSelectServesReadGrants() throws Exception {
        f.grant("bob", DatabaseFixture.READ_ROLE, Duration.ofMinutes(10));
        Result r =
                f.psql(DatabaseFixture.READ_ROLE, f.credential("bob"), "require", "select count(*) >= 0 from items;");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out().strip()).isEqualTo("t");
    }

    @Test
    void aRoleThatCouldWriteIsRefusedAtLoginNamingThePrivilege() throws Exception {
        Map<String, String> expected = Map.of(
                "ro_insert", "INSERT on table items",
                "ro_member", "on table items",
                "ro_noinherit", "on table items (through role writers)",
                "ro_definer", "EXECUTE on SECURITY DEFINER function bump(), owned by app_admin, which has",
                "ro_create", "CREATE on schema public",
                "ro_files", "membership of pg_write_server_files",
                "ro_sequence", "USAGE on sequence items_id_seq",
                "ro_column", "UPDATE on a column of table items",
                "ro_createrole", "CREATEROLE");
        for (String role : PROBES) {
            f.grant("mallory", role, Duration.ofMinutes(10));
            Result r = f.psql(
                    role, f.credential("mallory"), "require", "insert into items (name) values ('" + role + "');");
            assertThat(r.exit()).as(role + ": " + r.err()).isEqualTo(2);
            assertThat(r.err())
                    .as(role)
                    .contains("FATAL:  portcullis: role " + role
                            + " cannot serve a read grant: the server lets it write (")
                    .contains(expected.get(role));
            assertThat(r.err().strip().lines()).as(role + ": one line").hasSize(1);
        }
        assertThat(written()).isZero();
    }

    @Test
    void aReadGrantOnARoleTheInventoryDoesNotMarkReadOnlyIsRefused() throws Exception {
        f.grant("mallory", DatabaseFixture.UNMARKED_ROLE, Duration.ofMinutes(10));
        Result r = f.psql(DatabaseFixture.UNMARKED_ROLE, f.credential("mallory"), "require", "select 1;");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err().strip())
                .isEqualTo("psql: error: connection to server at \"127.0.0.1\", port " + f.port()
                        + " failed: FATAL:  portcullis: role app_unmarked on prod-db is not marked readOnly in the bastion's"
                        + " inventory, so it cannot serve a read grant; ask an operator to use a read-only role for read"
                        + " grants");
    }

    @Test
    void sqlBuiltWhereTheGuardCannotReadItIsRefusedAndNothingIsWritten() throws Exception {
        f.grant("mallory", DatabaseFixture.READ_ROLE, Duration.ofMinutes(10));
        String credential = f.credential("mallory");
        Map<String, String> attacks = new java.util.LinkedHashMap<>();
        attacks.put(
                "DO $x$BEGIN EXECUTE 'SET default_transaction_' || 'read_only = of' || 'f'; COMMIT;"
                        + " INSERT INTO items (name) VALUES ('do-bypass');"
                        + " EXECUTE 'SET default_transaction_' || 'read_only = o' || 'n'; END$x$;",
                "DO is not allowed");
        attacks.put(
                "select query_to_xml('sel' || 'ect set_con' || 'fig(''default_transaction_' || 'read_only'',"
                        + " ''off'', false)', true, false, '');",
                "query_to_xml() is not allowed");
        attacks.put(
                "update pg_settings set setting = 'off' where name = 'default_transaction' || '_read_only';",
                "writing to pg_settings is not allowed");
        attacks.put(
                "with s as (update pg_catalog.pg_settings set setting = 'off' where name = 'x' returning 1)"
                        + " select * from s;",
                "writing to pg_settings is not allowed");
        attacks.put("set client_encoding = 'SJIS';", "changing client_encoding is not allowed");
        attacks.put("set names 'BIG5';", "SET NAMES is not allowed");
        attacks.put("set standard_conforming_strings = off;", "changing standard_conforming_strings is not allowed");
        attacks.put("select lo_import('/etc/passwd');", "lo_import() is not allowed");
        attacks.put("select lo_export(1234, '/tmp/portcullis-lo');", "lo_export() is not allowed");
        attacks.put("copy items to program 'id';", "COPY ... PROGRAM is not allowed");
        attacks.put("prepare p(text) as select query_to_xml($1, true, false, '');", "query_to_xml() is not allowed");
        attacks.put("set role app_admin;", "SET ROLE is not allowed");
        attacks.put("set session authorization app_admin;", "SET AUTHORIZATION is not allowed");
        attacks.put("call touch();", "CALL is not allowed");
        attacks.put(
                "begin; declare c cursor with hold for select ts_stat('insert into items (name) values (1)');"
                        + " commit;",
                "ts_stat() is not allowed");
        attacks.put(
                "select dblink_exec('dbname=orders user=app_admin',"
                        + " 'insert into items (name) values (''dblink'')');",
                "dblink_exec() is not allowed");
        for (Map.Entry<String, String> attack : attacks.entrySet()) {
            Result r = f.psql(DatabaseFixture.READ_ROLE, credential, "require", attack.getKey());
            assertThat(r.exit()).as(attack.getKey() + ": " + r.err()).isEqualTo(3);
            assertThat(r.err())
                    .as(attack.getKey())
                    .contains("portcullis: " + attack.getValue())
                    .contains("is read-only); the statement was not sent");
        }
        assertThat(written()).isZero();
    }

    @Test
    void encodingsThatHideQuotesAreRefusedAtStartup() throws Exception {
        f.grant("mallory", DatabaseFixture.READ_ROLE, Duration.ofMinutes(10));
        Result r = f.psql(
                DatabaseFixture.READ_ROLE,
                f.credential("mallory"),
                "require",
                "select 1;",
                Map.of("PGCLIENTENCODING", "SJIS"));
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("FATAL:  portcullis: client_encoding SJIS is not allowed under a read-only grant");
    }

    @Test
    void sqlInABindParameterIsRefused() throws Exception {
        f.grant("mallory", DatabaseFixture.READ_ROLE, Duration.ofMinutes(10));
        try (Connection c = DriverManager.getConnection(
                        f.jdbcUrl(), DatabaseProxyTest.props(DatabaseFixture.READ_ROLE, f.credential("mallory")));
                PreparedStatement ps = c.prepareStatement("select run_sql(?)")) {
            ps.setString(1, "set default_transaction_read_only = off");
            assertThatThrownBy(ps::executeQuery)
                    .isInstanceOf(SQLException.class)
                    .hasMessageContaining("portcullis: a parameter value: changing transaction_read_only or"
                            + " default_transaction_read_only is not allowed under a read-only grant");
        }
        // data that is no SQL passes
        f.grant("bob", DatabaseFixture.READ_ROLE, Duration.ofMinutes(10));
        try (Connection c = DriverManager.getConnection(
                        f.jdbcUrl(), DatabaseProxyTest.props(DatabaseFixture.READ_ROLE, f.credential("bob")));
                PreparedStatement ps = c.prepareStatement("select count(*) from items where name = ?")) {
            ps.setString(1, "do call update");
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).isTrue();
            }
        }
    }

    @Test
    void aFunctionThatRunsSqlCannotWriteBecauseTheRoleCannot() throws Exception {
        // the guard cannot know what run_sql does: the server's read-only mode and the role's privileges stop the write
        f.grant("mallory", DatabaseFixture.READ_ROLE, Duration.ofMinutes(10));
        Result r = f.psql(
                DatabaseFixture.READ_ROLE,
                f.credential("mallory"),
                "require",
                "select run_sql('insert into items (name) values (''via-function'')');");
        assertThat(r.exit()).isNotZero();
        assertThat(written()).isZero();
    }

    /** Rows anyone of this test managed to write. */
    private static long written() throws SQLException {
        try (Connection c = DriverManager.getConnection(pg.jdbcUrl("orders"), pg.superuser(), pg.password());
                ResultSet rs = c.createStatement().executeQuery("select count(*) from items")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
