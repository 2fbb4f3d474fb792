package dev.portcullis.bastion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.local.Commands.Result;
import dev.portcullis.recording.RecordingVerifier;
import dev.portcullis.recording.event.QueryEvent;
import dev.portcullis.recording.read.RecordingReader;
import dev.portcullis.workflow.port.SessionIndex;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The database proxy as people use it: the stock {@code psql} and pgJDBC, a real PostgreSQL behind the proxy, every
 * statement in a signed recording.
 */
class DatabaseProxyTest {

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

    @BeforeEach
    void noGrants() {
        f.grants.clear();
        f.grants.unreachable = false;
        f.brokerDown.set(false);
    }

    @Test
    void psqlUnderAWriteGrantRunsStatementsAndEveryOneIsRecorded() throws Exception {
        UUID grant = f.grant("alice", DatabaseFixture.WRITE_ROLE, Duration.ofMinutes(10));
        Result r = f.psql(
                DatabaseFixture.WRITE_ROLE,
                f.credential("alice"),
                "require",
                "insert into items (name) values ('widget'), ('gadget');\nselect current_user, count(*) > 1 from items;\n"
                        + "\\set ON_ERROR_STOP 0\ncreate role intruder login password 'hunter3';\n\\set ON_ERROR_STOP 1\nselect 1/0;\n");
        assertThat(r.out()).contains("app_admin|t");
        assertThat(r.err()).contains("division by zero");
        assertThat(r.exit()).as("psql stops at the failed statement").isEqualTo(3);

        SessionIndex.Opened opened = lastOpened();
        assertThat(opened.username()).isEqualTo("alice");
        assertThat(opened.login()).isEqualTo(DatabaseFixture.WRITE_ROLE);
        assertThat(opened.target()).isEqualTo(DatabaseFixture.TARGET);
        assertThat(opened.protocol()).isEqualTo("postgres");
        assertThat(opened.requestId()).isEqualTo(grant);
        SessionIndex.Closed closed = awaitClosed(opened.sessionId());
        assertThat(closed.status()).isEqualTo("CLOSED");
        assertThat(closed.bytesIn()).isPositive();
        assertThat(closed.bytesOut()).isPositive();

        assertThat(RecordingVerifier.verify(f.storage, opened.recordingId(), f.signer.publicKey())
                        .status())
                .isEqualTo(RecordingVerifier.Status.VALID);
        List<QueryEvent> queries = queries(opened.recordingId());
        assertThat(queries)
                .extracting(QueryEvent::query)
                .contains(
                        "insert into items (name) values ('widget'), ('gadget');",
                        "select current_user, count(*) > 1 from items;",
                        "select 1/0;");
        QueryEvent insert = queries.stream()
                .filter(q -> q.query().startsWith("insert"))
                .findFirst()
                .orElseThrow();
        assertThat(insert.command()).isEqualTo("INSERT 0 2");
        assertThat(insert.rows()).isEqualTo(2);
        assertThat(insert.durationMicros()).isNotNull().isNotNegative();
        QueryEvent failed = queries.stream()
                .filter(q -> q.query().equals("select 1/0;"))
                .findFirst()
                .orElseThrow();
        assertThat(failed.sqlState()).isEqualTo("22012");
        assertThat(failed.error()).isEqualTo("division by zero");
        assertThat(queries).allSatisfy(q -> assertThat(q.database()).isEqualTo(DatabaseFixture.TARGET));
        // a password in a statement is never in the recording
        assertThat(queries)
                .anySatisfy(q -> assertThat(q.query()).isEqualTo("create role intruder login password '[redacted]';"));
        assertThat(RecordingReader.open(f.storage, opened.recordingId()).searchOutput("hunter3"))
                .isEmpty();
        try (var events = RecordingReader.open(f.storage, opened.recordingId()).events()) {
            assertThat(events.map(e -> e.event().toString())).noneMatch(e -> e.contains("hunter3"));
        }
    }

    @Test
    void pgJdbcPreparedStatementsAreRecordedWithTheirParameters() throws Exception {
        f.grant("alice", DatabaseFixture.WRITE_ROLE, Duration.ofMinutes(10));
        try (Connection c =
                DriverManager.getConnection(f.jdbcUrl(), props(DatabaseFixture.WRITE_ROLE, f.credential("alice")))) {
            try (PreparedStatement ps = c.prepareStatement("insert into items (name, secret) values (?, ?)")) {
                ps.setString(1, "bolt");
                ps.setString(2, "s3cret");
                assertThat(ps.executeUpdate()).isEqualTo(1);
            }
            try (PreparedStatement ps = c.prepareStatement("select count(*) from items where name = ?")) {
                ps.setString(1, "bolt");
                try (ResultSet rs = ps.executeQuery()) {
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.getLong(1)).isPositive();
                }
            }
            assertThatThrownBy(() -> c.createStatement().executeQuery("select * from no_such_table"))
                    .isInstanceOf(SQLException.class)
                    .hasMessageContaining("does not exist");
        }
        SessionIndex.Opened opened = lastOpened();
        awaitClosed(opened.sessionId());
        List<QueryEvent> queries = queries(opened.recordingId());
        QueryEvent insert = queries.stream()
                .filter(q -> q.query().startsWith("insert into items"))
                .findFirst()
                .orElseThrow();
        assertThat(insert.parameters()).containsExactly("bolt", "s3cret");
        assertThat(insert.rows()).isEqualTo(1);
        QueryEvent select = queries.stream()
                .filter(q -> q.query().startsWith("select count(*)"))
                .findFirst()
                .orElseThrow();
        assertThat(select.parameters()).containsExactly("bolt");
        assertThat(select.command()).isEqualTo("SELECT 1");
        assertThat(queries).anySatisfy(q -> {
            assertThat(q.query()).isEqualTo("select * from no_such_table");
            assertThat(q.sqlState()).isEqualTo("42P01");
        });
    }

    @Test
    void aRuleCanKeepParameterValuesOutOfTheRecording() throws Exception {
        f.grant("alice", DatabaseFixture.REDACTED_ROLE, Duration.ofMinutes(10));
        try (Connection c = DriverManager.getConnection(
                        f.jdbcUrl(), props(DatabaseFixture.REDACTED_ROLE, f.credential("alice")));
                PreparedStatement ps = c.prepareStatement("insert into items (name, secret) values (?, ?)")) {
            ps.setString(1, "nut");
            ps.setString(2, "hunter2");
            ps.executeUpdate();
        }
        SessionIndex.Opened opened = lastOpened();
        awaitClosed(opened.sessionId());
        QueryEvent insert = queries(opened.recordingId()).stream()
                .filter(q -> q.query().startsWith("insert"))
                .findFirst()
                .orElseThrow();
        assertThat(insert.parameters()).containsExactly("[redacted]", "[redacted]");
        assertThat(RecordingReader.open(f.storage, opened.recordingId()).searchOutput("hunter2"))
                .isEmpty();
    }

    @Test
    void aReadGrantRunsReadOnlyAndRefusesWritesAndEscapesWithAClearError() throws Exception {
        f.grant("bob", DatabaseFixture.READ_ROLE, Duration.ofMinutes(10));
        String credential = f.credential("bob");
        Result read = f.psql(DatabaseFixture.READ_ROLE, credential, "require", "select count(*) >= 0 from items;");
        assertThat(read.exit()).isZero();
        assertThat(read.out().trim()).isEqualTo("t");

        Result write =
                f.psql(DatabaseFixture.READ_ROLE, credential, "require", "insert into items (name) values ('x');");
        assertThat(write.exit()).isEqualTo(3);
        assertThat(write.err())
                .contains("cannot execute INSERT in a read-only transaction")
                .contains("your Portcullis grant for app_readonly@prod-db is read-only");

        for (String escape : List.of(
                "begin read write; insert into items (name) values ('x'); commit;",
                "set default_transaction_read_only = off;",
                "SET SESSION CHARACTERISTICS AS TRANSACTION READ /* x */ WRITE;",
                "select set_config('default_transaction_read_only', 'off', false);",
                "DO $$BEGIN EXECUTE 'set transaction read write'; END$$;",
                "set U&\"transaction\\005fread_only\" = off;")) {
            Result r = f.psql(DatabaseFixture.READ_ROLE, credential, "require", escape);
            assertThat(r.exit()).as(escape).isEqualTo(3);
            assertThat(r.err())
                    .as(escape)
                    .contains("portcullis: ")
                    .contains("is read-only); the statement was not sent");
        }
        // the same session goes on after a refusal, still read-only
        Result after = f.psql(
                DatabaseFixture.READ_ROLE,
                credential,
                "require",
                "\\set ON_ERROR_STOP 0\nbegin read write;\nshow transaction_read_only;\nselect 42;\n");
        assertThat(after.out()).contains("on").contains("42");

        SessionIndex.Opened opened = lastOpened();
        awaitClosed(opened.sessionId());
        assertThat(queries(opened.recordingId())).anySatisfy(q -> {
            assertThat(q.query()).isEqualTo("begin read write;");
            assertThat(q.sqlState()).isEqualTo("25006");
            assertThat(q.error()).contains("READ WRITE is not allowed under a read-only grant");
        });
    }

    @Test
    void refusalsSayWhyInOneLine() throws Exception {
        Result noGrant = f.psql(DatabaseFixture.WRITE_ROLE, f.credential("carol"), "require", "select 1;");
        assertThat(noGrant.exit()).isEqualTo(2);
        assertThat(noGrant.err())
                .contains("FATAL:  portcullis: no active grant for app_admin@prod-db; request one at "
                        + DatabaseFixture.PORTAL);

        f.grant("carol", DatabaseFixture.WRITE_ROLE, Duration.ofMinutes(10));
        Result badPassword = f.psql(DatabaseFixture.WRITE_ROLE, "the-database-password-maybe", "require", "select 1;");
        assertThat(badPassword.exit()).isEqualTo(2);
        assertThat(badPassword.err())
                .contains(
                        "password authentication failed for user \"app_admin\": use a database credential from the broker");

        Result plain = f.psql(DatabaseFixture.WRITE_ROLE, f.credential("carol"), "disable", "select 1;");
        assertThat(plain.exit()).isEqualTo(2);
        assertThat(plain.err()).contains("requires TLS: connect with sslmode=require");

        Result options = f.psql(
                DatabaseFixture.WRITE_ROLE,
                f.credential("carol"),
                "require",
                "select 1;",
                Map.of("PGOPTIONS", "-c default_transaction_read_only=off"));
        assertThat(options.err())
                .contains("startup parameter 'options' is not allowed through the Portcullis proxy (unset PGOPTIONS)");

        f.brokerDown.set(true);
        Result down = f.psql(DatabaseFixture.WRITE_ROLE, f.credential("carol"), "require", "select 1;");
        assertThat(down.err()).contains("the broker cannot be reached, so no session can be authorized right now");
    }

    @Test
    void theGrantsEndCutsTheConnectionWithAMessageTheClientShows() throws Exception {
        UUID grant = f.grant("dave", DatabaseFixture.WRITE_ROLE, Duration.ofSeconds(3));
        try (Connection c = DriverManager.getConnection(
                        f.jdbcUrl(), props(DatabaseFixture.WRITE_ROLE, f.credential("dave")));
                Statement s = c.createStatement()) {
            assertThat(s.execute("select 1")).isTrue();
            // a statement running when the grant ends is cut too
            assertThatThrownBy(() -> s.execute("select pg_sleep(20)"))
                    .isInstanceOf(SQLException.class)
                    .hasMessageContaining("portcullis: your grant for app_admin@prod-db ended at");
        }
        SessionIndex.Closed closed = awaitClosed(lastOpened().sessionId());
        assertThat(closed.status()).isEqualTo("GRANT_ENDED");
        assertThat(f.bastion.liveSessions().sessionsOf(grant)).isEmpty();

        UUID revoked = f.grant("dave", DatabaseFixture.WRITE_ROLE, Duration.ofMinutes(10));
        try (Connection c = DriverManager.getConnection(
                        f.jdbcUrl(), props(DatabaseFixture.WRITE_ROLE, f.credential("dave")));
                Statement s = c.createStatement()) {
            s.execute("select 1");
            f.bastion
                    .liveSessions()
                    .grantEnded(revoked, "your grant for app_admin@prod-db was revoked: incident closed");
            assertThatThrownBy(() -> s.execute("select 2")).isInstanceOf(SQLException.class);
        }
        assertThat(awaitClosed(lastOpened().sessionId()).detail()).contains("was revoked: incident closed");
    }

    @Test
    void theGrantsEndCancelsTheStatementRunningOnTheServer() throws Exception {
        UUID grant = f.grant("frank", DatabaseFixture.WRITE_ROLE, Duration.ofMinutes(10));
        String marker = UUID.randomUUID().toString();
        CompletableFuture<Result> running = CompletableFuture.supplyAsync(() -> {
            try {
                return f.psql(
                        DatabaseFixture.WRITE_ROLE,
                        f.credential("frank"),
                        "require",
                        "select pg_sleep(600) /* " + marker + " */;");
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        for (int i = 0; i < 300 && backendsRunning(marker) == 0; i++) {
            Thread.sleep(100);
        }
        assertThat(backendsRunning(marker))
                .as("the statement runs on the server")
                .isEqualTo(1);
        f.bastion.liveSessions().grantEnded(grant, "your grant for app_admin@prod-db was revoked: done");
        for (int i = 0; i < 150 && backendsRunning(marker) > 0; i++) {
            Thread.sleep(100);
        }
        assertThat(backendsRunning(marker))
                .as("the server's backend is gone, not sleeping on")
                .isZero();
        Result r = running.get(60, TimeUnit.SECONDS);
        assertThat(r.err()).contains("was revoked: done");
    }

    @Test
    void fastPathCallsAreRecordedWithTheFunctionAndItsArguments() throws Exception {
        f.grant("frank", DatabaseFixture.WRITE_ROLE, Duration.ofMinutes(10));
        Path file = dir.resolve("lo.txt");
        java.nio.file.Files.writeString(file, "hello");
        Result r = f.psql(
                DatabaseFixture.WRITE_ROLE,
                f.credential("frank"),
                "require",
                "\\lo_import " + file + "\n\\lo_unlink :LASTOID\n");
        assertThat(r.exit()).as(r.err()).isZero();
        SessionIndex.Opened opened = lastOpened();
        awaitClosed(opened.sessionId());
        assertThat(queries(opened.recordingId())).anySatisfy(q -> {
            assertThat(q.query()).isEqualTo("(fast-path call of function OID 955, lowrite)");
            assertThat(q.parameters()).contains("\\x68656c6c6f");
        });
    }

    @Test
    void cancellingAQueryReachesTheServerThroughTheProxy() throws Exception {
        f.grant("erin", DatabaseFixture.WRITE_ROLE, Duration.ofMinutes(10));
        try (Connection c = DriverManager.getConnection(
                        f.jdbcUrl(), props(DatabaseFixture.WRITE_ROLE, f.credential("erin")));
                Statement s = c.createStatement()) {
            CompletableFuture<Void> cancel = CompletableFuture.runAsync(() -> {
                try {
                    Thread.sleep(500);
                    s.cancel();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            assertThatThrownBy(() -> s.execute("select pg_sleep(30)"))
                    .isInstanceOf(SQLException.class)
                    .hasMessageContaining("canceling statement due to user request");
            cancel.get(10, TimeUnit.SECONDS);
            // the connection is fine afterwards
            assertThat(s.execute("select 1")).isTrue();
        }
    }

    @Test
    void garbageAndLiesAboutLengthsCloseTheConnectionWithAProtocolErrorAndNothingElse() throws Exception {
        byte[][] attacks = {
            "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII), // not PostgreSQL at all
            {0, 0, 0, 3}, // a length below the minimum
            {0x7f, 0, 0, 0, 0, 3, 0, 0}, // 2 GB startup packet
            {0, 0, 0, 8, 0x04, (byte) 0xd2, 0x16, 0x2f, 'Q', 0, 0, 0, 5, 0}, // data after SSLRequest
            {0, 0, 0, 9, 0, 3, 0, 0, 'u'}, // a string with no end
            {0, 0, 0, 8, 0, 2, 0, 0}, // protocol 2.0
        };
        for (byte[] attack : attacks) {
            String answer = rawExchange(attack);
            assertThat(answer)
                    .as(new String(attack, StandardCharsets.ISO_8859_1))
                    .contains("08P01")
                    .contains("portcullis: protocol violation");
        }
        // the proxy goes on serving
        f.grant("erin", DatabaseFixture.WRITE_ROLE, Duration.ofMinutes(10));
        assertThat(f.psql(DatabaseFixture.WRITE_ROLE, f.credential("erin"), "require", "select 1;")
                        .exit())
                .isZero();
    }

    @Test
    void aPasswordMessageClaimingAGigabyteIsRefusedBeforeItIsRead() throws Exception {
        try (Socket raw = new Socket("127.0.0.1", f.port())) {
            raw.setSoTimeout(10_000);
            raw.getOutputStream().write(new byte[] {0, 0, 0, 8, 0x04, (byte) 0xd2, 0x16, 0x2f}); // SSLRequest
            assertThat(raw.getInputStream().read()).isEqualTo('S');
            javax.net.ssl.SSLContext trustAll = javax.net.ssl.SSLContext.getInstance("TLS");
            trustAll.init(
                    null,
                    new javax.net.ssl.TrustManager[] {
                        new javax.net.ssl.X509TrustManager() {
                            public void checkClientTrusted(java.security.cert.X509Certificate[] c, String a) {}

                            public void checkServerTrusted(java.security.cert.X509Certificate[] c, String a) {}

                            public java.security.cert.X509Certificate[] getAcceptedIssuers() {
                                return new java.security.cert.X509Certificate[0];
                            }
                        }
                    },
                    null);
            try (javax.net.ssl.SSLSocket tls = (javax.net.ssl.SSLSocket)
                    trustAll.getSocketFactory().createSocket(raw, "127.0.0.1", f.port(), true)) {
                tls.startHandshake();
                OutputStream out = tls.getOutputStream();
                byte[] params = "user\0app_admin\0database\0prod-db\0\0".getBytes(StandardCharsets.US_ASCII);
                java.nio.ByteBuffer startup = java.nio.ByteBuffer.allocate(8 + params.length)
                        .putInt(8 + params.length)
                        .putInt(196608)
                        .put(params);
                out.write(startup.array());
                out.flush();
                InputStream in = tls.getInputStream();
                assertThat((char) in.read())
                        .as("the proxy asks for the password")
                        .isEqualTo('R');
                in.readNBytes(8);
                out.write(new byte[] {'p', 0x40, 0, 0, 0}); // a password of 1 GiB, none of it sent
                out.flush();
                String answer = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
                assertThat(answer).contains("08P01").contains("larger than the proxy's limit");
            }
        }
    }

    @Test
    void aConnectionThatNeverStartsUpIsClosedAfterTheStartupTimeout() throws Exception {
        try (Socket s = new Socket("127.0.0.1", f.port())) {
            s.setSoTimeout((int) DatabaseFixture.STARTUP_TIMEOUT.multipliedBy(5).toMillis());
            s.getOutputStream().write(new byte[] {0, 0, 0}); // a third of a length, then nothing
            s.getOutputStream().flush();
            String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            assertThat(answer).contains("08P01").contains("did not start up and log in within 3 s");
        }
    }

    /** Sends bytes on a fresh connection and returns what the proxy answered until it closed the connection. */
    private static String rawExchange(byte[] bytes) throws IOException {
        try (Socket s = new Socket("127.0.0.1", f.port())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(bytes);
            out.flush();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    /** Server backends whose statement holds this marker, as the server's own pg_stat_activity shows them. */
    static long backendsRunning(String marker) throws SQLException {
        try (Connection c = DriverManager.getConnection(f.pg.jdbcUrl("orders"), f.pg.superuser(), f.pg.password());
                PreparedStatement ps = c.prepareStatement(
                        "select count(*) from pg_stat_activity where query like ? and pid <> pg_backend_pid()")) {
            ps.setString(1, "%" + marker + "%");
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    static Properties props(String role, String password) {
        Properties p = new Properties();
        p.setProperty("user", role);
        p.setProperty("password", password);
        return p;
    }

    private static List<QueryEvent> queries(String recordingId) throws IOException {
        try (var s = RecordingReader.open(f.storage, recordingId).events()) {
            return s.map(e -> e.event())
                    .filter(QueryEvent.class::isInstance)
                    .map(QueryEvent.class::cast)
                    .toList();
        }
    }

    private static SessionIndex.Opened lastOpened() throws InterruptedException {
        return f.index.lastOpened();
    }

    private static SessionIndex.Closed awaitClosed(UUID session) throws InterruptedException {
        return f.index.awaitClosed(session);
    }
}
