package dev.portcullis.bastion;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.bastion.db.DatabaseProxy;
import dev.portcullis.local.Commands.Result;
import dev.portcullis.local.LocalPostgres;
import dev.portcullis.recording.event.QueryEvent;
import dev.portcullis.recording.read.RecordingReader;
import dev.portcullis.workflow.port.SessionIndex;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The proxy keeps server connections between people (as pgbouncer does); whoever comes next must get nothing of the
 * person before: no temporary table, prepared statement, setting, advisory lock or way out of read-only mode, not
 * another role's or another access level's connection, and no connection whose reset failed. Keeping connections must
 * not weaken the login either: a revoked credential or grant is refused at once however warm the pool is. Stock psql
 * through the proxy; the pool keeps one connection per kind, so the next person of the same kind gets that very one
 * (the tests check the server's backend process id).
 */
class DatabasePoolAttackTest {

    @TempDir
    static Path dir;

    static DatabaseFixture f;

    @BeforeAll
    static void start() throws IOException {
        f = new DatabaseFixture(
                dir,
                true,
                LocalPostgres.shared(),
                null,
                null,
                List.of(),
                o -> o.withPool(new DatabaseProxy.Options.Pool(
                        10, 1, Duration.ofSeconds(60), Duration.ofHours(1), Duration.ofSeconds(10))));
    }

    @AfterAll
    static void stop() {
        if (f != null) {
            f.close();
        }
    }

    @BeforeEach
    void noGrants() throws Exception {
        f.grants.clear();
        awaitNoSessions();
    }

    /** What a session leaves behind on its server connection, then the backend's process id. */
    private static String leaveState(long lock) {
        return "create temp table leak (i int);\n"
                + "prepare leaky as select 1;\n"
                + "set portcullis_test.mark = 'previous';\n"
                + "listen portcullis_leak;\n"
                + "select pg_advisory_lock(" + lock + ") is not null;\n"
                + "select 'pid=' || pg_backend_pid();\n";
    }

    /** Prints what the next person can see of that state, one line each. */
    private static final String LOOK = """
            select 'temp=' || count(*) from pg_catalog.pg_class where relnamespace = pg_catalog.pg_my_temp_schema();
            select 'prepared=' || count(*) from pg_catalog.pg_prepared_statements;
            select 'mark=' || coalesce(current_setting('portcullis_test.mark', true), '');
            select 'listening=' || count(*) from pg_catalog.pg_listening_channels();
            select 'user=' || current_user || '/' || session_user;
            select 'pid=' || pg_backend_pid();
            """;

    @Test
    void theNextPersonOnTheSameServerConnectionSeesNoneOfTheStateBefore() throws Exception {
        long lock = ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE);
        f.grant("alice", DatabaseFixture.WRITE_ROLE, Duration.ofMinutes(10));
        Result alice = f.psql(DatabaseFixture.WRITE_ROLE, f.credential("alice"), "require", leaveState(lock));
        assertThat(alice.exit()).as(alice.err()).isZero();
        awaitPooled(1);

        f.grant("bob", DatabaseFixture.WRITE_ROLE, Duration.ofMinutes(10));
        Result bob = f.psql(
                DatabaseFixture.WRITE_ROLE,
                f.credential("bob"),
                "require",
                LOOK + "select 'lock=' || pg_try_advisory_lock(" + lock + ");\n");
        assertThat(bob.exit()).as(bob.err()).isZero();
        assertThat(value(bob, "pid"))
                .as("the same server connection, kept between the two")
                .isEqualTo(value(alice, "pid"));
        assertThat(value(bob, "temp")).isEqualTo("0");
        assertThat(value(bob, "prepared")).isEqualTo("0");
        assertThat(value(bob, "mark")).isEmpty();
        assertThat(value(bob, "listening")).isEqualTo("0");
        assertThat(value(bob, "lock")).as("alice's advisory lock was released").isEqualTo("true");
        assertThat(value(bob, "user")).isEqualTo("app_admin/app_admin");
    }

    @Test
    void aReadOnlyPersonAfterAReadWritePersonOfTheSameRoleCannotWriteAndSeesNoState() throws Exception {
        long lock = ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE);
        f.grantWriteOnReadRole("alice", Duration.ofMinutes(10));
        Result alice = f.psql(
                DatabaseFixture.READ_ROLE,
                f.credential("alice"),
                "require",
                "set default_transaction_read_only = off;\n" + leaveState(lock));
        assertThat(alice.exit()).as(alice.err()).isZero();
        awaitPooled(1);

        f.grant("bob", DatabaseFixture.READ_ROLE, Duration.ofMinutes(10));
        String bobs = f.credential("bob");
        Result bob = f.psql(
                DatabaseFixture.READ_ROLE,
                bobs,
                "require",
                LOOK + "select 'lock=' || pg_try_advisory_lock(" + lock + ");\n");
        assertThat(bob.exit()).as(bob.err()).isZero();
        assertThat(value(bob, "pid")).as("never the write grant's connection").isNotEqualTo(value(alice, "pid"));
        assertThat(value(bob, "temp")).isEqualTo("0");
        assertThat(value(bob, "prepared")).isEqualTo("0");
        assertThat(value(bob, "mark")).isEmpty();
        assertThat(value(bob, "lock")).isEqualTo("true");
        Result mode = f.psql(DatabaseFixture.READ_ROLE, bobs, "require", "show default_transaction_read_only;");
        assertThat(mode.out().strip()).isEqualTo("on");
        Result write = f.psql(DatabaseFixture.READ_ROLE, bobs, "require", "create temp table mine (i int);");
        assertThat(write.exit()).isEqualTo(3);
        assertThat(write.err()).contains("cannot execute CREATE TABLE in a read-only transaction");
    }

    @Test
    void rolesNeverShareServerConnections() throws Exception {
        f.grant("alice", DatabaseFixture.WRITE_ROLE, Duration.ofMinutes(10));
        Result alice = f.psql(DatabaseFixture.WRITE_ROLE, f.credential("alice"), "require", LOOK);
        assertThat(alice.exit()).as(alice.err()).isZero();
        awaitPooled(1);

        f.grant("bob", DatabaseFixture.REDACTED_ROLE, Duration.ofMinutes(10));
        Result bob = f.psql(DatabaseFixture.REDACTED_ROLE, f.credential("bob"), "require", LOOK);
        assertThat(bob.exit()).as(bob.err()).isZero();
        assertThat(value(bob, "user")).isEqualTo("app_secret/app_secret");
        assertThat(value(bob, "pid")).isNotEqualTo(value(alice, "pid"));
    }

    @Test
    void aRevokedCredentialOrGrantIsRefusedAtOnceWithAWarmPool() throws Exception {
        UUID grant = f.grant("alice", DatabaseFixture.WRITE_ROLE, Duration.ofMinutes(10));
        String credential = f.credential("alice");
        assertThat(f.psql(DatabaseFixture.WRITE_ROLE, credential, "require", "select 1;")
                        .exit())
                .isZero();
        awaitPooled(1);

        f.credentials.remove(credential); // the broker no longer knows it (revoked, expired)
        Result revoked = f.psql(DatabaseFixture.WRITE_ROLE, credential, "require", "select 1;");
        assertThat(revoked.exit()).isEqualTo(2);
        assertThat(revoked.err()).contains("password authentication failed for user \"app_admin\"");

        String fresh = f.credential("alice");
        assertThat(f.psql(DatabaseFixture.WRITE_ROLE, fresh, "require", "select 1;")
                        .exit())
                .isZero();
        awaitPooled(1);
        f.grants.clear(); // the grant was revoked
        Result ended = f.psql(DatabaseFixture.WRITE_ROLE, fresh, "require", "select 1;");
        assertThat(ended.exit()).isEqualTo(2);
        assertThat(ended.err()).contains("no active grant for app_admin@prod-db");
        assertThat(f.bastion.liveSessions().sessionsOf(grant)).isEmpty();
    }

    @Test
    void aConnectionWhoseResetFailsIsNotKept() throws Exception {
        // so many temporary tables that dropping them outlasts the 1 ms statement_timeout the session leaves set:
        // DISCARD ALL is cancelled part way, and the connection must be closed, not handed to the next person
        f.grant("alice", DatabaseFixture.WRITE_ROLE, Duration.ofMinutes(10));
        Result alice = f.psql(DatabaseFixture.WRITE_ROLE, f.credential("alice"), "require", """
                do $$begin for i in 1..400 loop execute format('create temp table t%s (i int)', i); end loop; end$$;
                select 'pid=' || pg_backend_pid();
                set statement_timeout = 1;
                """);
        assertThat(alice.exit()).as(alice.err()).isZero();
        String pid = value(alice, "pid");
        for (int i = 0; i < 200 && backendAlive(pid); i++) {
            Thread.sleep(50); // a connection whose reset failed is closed, so its backend ends
        }
        assertThat(backendAlive(pid))
                .as("alice's server connection is closed, not kept")
                .isFalse();

        f.grant("bob", DatabaseFixture.WRITE_ROLE, Duration.ofMinutes(10));
        Result bob = f.psql(DatabaseFixture.WRITE_ROLE, f.credential("bob"), "require", LOOK);
        assertThat(bob.exit()).as(bob.err()).isZero();
        assertThat(value(bob, "pid")).isNotEqualTo(value(alice, "pid"));
        assertThat(value(bob, "temp")).isEqualTo("0");
    }

    @Test
    void eachPersonsStatementsAreRecordedUnderThemOnASharedServerConnection() throws Exception {
        f.grant("alice", DatabaseFixture.WRITE_ROLE, Duration.ofMinutes(10));
        Result alice = f.psql(
                DatabaseFixture.WRITE_ROLE,
                f.credential("alice"),
                "require",
                "select 'by alice';\n" + "select 'pid=' || pg_backend_pid();\n");
        SessionIndex.Opened aliceSession = f.index.lastOpened();
        awaitPooled(1);
        f.grant("bob", DatabaseFixture.WRITE_ROLE, Duration.ofMinutes(10));
        Result bob = f.psql(
                DatabaseFixture.WRITE_ROLE,
                f.credential("bob"),
                "require",
                "select 'by bob';\n" + "select 'pid=' || pg_backend_pid();\n");
        SessionIndex.Opened bobSession = f.index.lastOpened();
        assertThat(value(bob, "pid")).isEqualTo(value(alice, "pid"));
        assertThat(aliceSession.username()).isEqualTo("alice");
        assertThat(bobSession.username()).isEqualTo("bob");
        f.index.awaitClosed(bobSession.sessionId());
        assertThat(queries(aliceSession))
                .contains("select 'by alice';")
                .doesNotContain("select 'by bob';")
                .noneMatch(q -> q.contains("DISCARD"));
        assertThat(queries(bobSession))
                .contains("select 'by bob';")
                .doesNotContain("select 'by alice';")
                .noneMatch(q -> q.contains("DISCARD"));
    }

    private static boolean backendAlive(String pid) throws java.sql.SQLException {
        return backends("pid = " + pid) > 0;
    }

    /** Server backends (of the shared cluster) that match an SQL condition on pg_stat_activity. */
    private static long backends(String condition) throws java.sql.SQLException {
        try (var c = java.sql.DriverManager.getConnection(f.pg.jdbcUrl("orders"), f.pg.superuser(), f.pg.password());
                var rs = c.createStatement().executeQuery("select count(*) from pg_stat_activity where " + condition)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static List<String> queries(SessionIndex.Opened session) throws IOException {
        try (var s = RecordingReader.open(f.storage, session.recordingId()).events()) {
            return s.map(e -> e.event())
                    .filter(QueryEvent.class::isInstance)
                    .map(e -> ((QueryEvent) e).query())
                    .toList();
        }
    }

    /** The value a line {@code name=value} of psql's output gives. */
    private static String value(Result r, String name) {
        return r.out()
                .lines()
                .filter(l -> l.startsWith(name + "="))
                .map(l -> l.substring(name.length() + 1))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no " + name + " in " + r.out() + r.err()));
    }

    /** Waits (10 s at most) until the proxy keeps this many idle server connections. */
    private static void awaitPooled(int n) throws InterruptedException {
        for (int i = 0; i < 200 && f.bastion.databaseProxy().pooledConnections() < n; i++) {
            Thread.sleep(50);
        }
        assertThat(f.bastion.databaseProxy().pooledConnections())
                .as("server connections kept")
                .isGreaterThanOrEqualTo(n);
    }

    /**
     * Waits until no client is connected and no server connection of the fixture's roles is left (kept, or still being
     * reset after an earlier test), so that each test starts with none kept.
     */
    private static void awaitNoSessions() throws Exception {
        for (int i = 0; i < 200 && f.bastion.databaseProxy().connections() > 0; i++) {
            Thread.sleep(50);
        }
        String ours = "datname = 'orders' and usename in ('" + DatabaseFixture.WRITE_ROLE + "', '"
                + DatabaseFixture.READ_ROLE + "', '" + DatabaseFixture.REDACTED_ROLE + "')";
        for (int i = 0; i < 200; i++) {
            f.bastion.databaseProxy().closePooledConnections();
            if (backends(ours) == 0) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("server connections of an earlier test are still open");
    }
}
