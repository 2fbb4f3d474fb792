package dev.portcullis.bastion.db;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.recording.event.QueryEvent;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Pairing of statements with answers, pure: what the client sent, what the server said, one event per statement. */
@Tag("unit")
class QueryLogTest {

    @Test
    void passwordLiteralsNeverReachARecording() {
        assertThat(QueryLog.withoutPasswords("ALTER ROLE app PASSWORD 'hunter2' VALID UNTIL 'infinity'"))
                .isEqualTo("ALTER ROLE app PASSWORD '[redacted]' VALID UNTIL 'infinity'");
        assertThat(QueryLog.withoutPasswords("create role x login password E'it''s\\'secret'"))
                .isEqualTo("create role x login password '[redacted]'");
        assertThat(QueryLog.withoutPasswords("create role x password $p$dollar$p$ login"))
                .isEqualTo("create role x password '[redacted]' login");
        assertThat(QueryLog.withoutPasswords("select password_hint from users"))
                .isEqualTo("select password_hint from users");
    }

    @Test
    void afterAnErrorTheRestOfTheBatchIsRecordedAsNotExecuted() throws Exception {
        QueryLog log = new QueryLog("db", true);
        log.parse(new PgFrontend.Parse("", "insert into t values (1)", 0));
        log.bind(new PgFrontend.Bind("", "", new int[0], List.of()));
        log.execute(new PgFrontend.Execute("", 0));
        log.parse(new PgFrontend.Parse("", "insert into t values (2)", 0));
        log.bind(new PgFrontend.Bind("", "", new int[0], List.of()));
        log.execute(new PgFrontend.Execute("", 0));
        log.sync();
        List<QueryEvent> failed = log.error("23505", "duplicate key");
        assertThat(failed).extracting(QueryEvent::sqlState).containsExactly("23505", null);
        assertThat(failed.get(1).error()).startsWith("not executed");
        assertThat(log.readyForQuery()).isEmpty();
        assertThat(log.inFlight()).isZero();
    }

    @Test
    void aSimpleQueryWithSeveralStatementsIsOneEventWithEveryTag() throws Exception {
        QueryLog log = new QueryLog("db", true);
        log.query("insert into t values (1); update t set a = 2");
        assertThat(log.commandComplete("INSERT 0 1")).isEmpty();
        assertThat(log.commandComplete("UPDATE 3")).isEmpty();
        QueryEvent e = log.readyForQuery().get(0);
        assertThat(e.command()).isEqualTo("INSERT 0 1; UPDATE 3");
        assertThat(e.rows()).isEqualTo(4);
    }

    @Test
    void aStatementOverTheLimitIsRecordedTruncatedWithItsLengthAndSha256() throws Exception {
        QueryLog log = new QueryLog("db", true);
        String huge = "select '" + "é".repeat(QueryLog.MAX_QUERY_CHARS) + "'";
        log.query(huge);
        QueryEvent e = log.readyForQuery().get(0);
        byte[] bytes = huge.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        String sha = java.util.HexFormat.of()
                .formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
        assertThat(e.query())
                .startsWith("select 'éé")
                .endsWith("... [truncated: " + bytes.length + " bytes in all, sha256 " + sha + "]");
        assertThat(log.used()).isZero();
    }

    @Test
    void preparedStatementsBeyondTheSessionsBudgetAreKeptShortAndClosingFreesTheBudget() throws Exception {
        QueryLog log = new QueryLog("db", true);
        String text = "select 1 /* " + "x".repeat(QueryLog.MAX_QUERY_CHARS - 20) + " */";
        int whole = (int) (QueryLog.SESSION_BUDGET_CHARS / text.length());
        for (int i = 0; i < whole + 5; i++) {
            log.parse(new PgFrontend.Parse("s" + i, text, 0));
        }
        assertThat(log.used()).isLessThanOrEqualTo(QueryLog.SESSION_BUDGET_CHARS);
        log.bind(new PgFrontend.Bind("", "s" + (whole + 4), new int[0], List.of()));
        log.execute(new PgFrontend.Execute("", 0));
        QueryEvent beyond = log.commandComplete("SELECT 1").get(0);
        assertThat(beyond.query())
                .hasSizeLessThan(QueryLog.OVER_BUDGET_PREFIX + 200)
                .contains("[truncated: " + text.length() + " bytes in all");
        for (int i = 0; i < whole + 5; i++) {
            log.close(new PgFrontend.Close('S', "s" + i));
        }
        assertThat(log.used()).isZero();
        log.parse(new PgFrontend.Parse("again", text, 0));
        assertThat(log.used()).as("room again after the statements were closed").isEqualTo(text.length());
    }

    @Test
    void aFastPathCallIsRecordedWithItsFunctionAndArguments() throws Exception {
        QueryLog log = new QueryLog("db", true);
        log.functionCall(
                new PgFrontend.FunctionCall(955, new int[] {1}, List.of(new byte[] {0, 0, 0, 1}, "hi".getBytes())));
        QueryEvent e = log.readyForQuery().get(0);
        assertThat(e.query()).isEqualTo("(fast-path call of function OID 955, lowrite)");
        assertThat(e.parameters()).containsExactly("\\x00000001", "\\x6869");
    }
}
