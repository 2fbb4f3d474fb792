package dev.portcullis.bastion.db;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.portcullis.recording.event.QueryEvent;

/** Pairing of statements with answers, pure: what the client sent, what the server said, one event per statement. */
class QueryLogTest {

    @Test
    void passwordLiteralsNeverReachARecording() {
        assertThat(QueryLog.withoutPasswords("ALTER ROLE app PASSWORD 'hunter2' VALID UNTIL 'infinity'"))
                .isEqualTo("ALTER ROLE app PASSWORD '[redacted]' VALID UNTIL 'infinity'");
        assertThat(QueryLog.withoutPasswords("create role x login password E'it''s\\'secret'"))
                .isEqualTo("create role x login password '[redacted]'");
        assertThat(QueryLog.withoutPasswords("create role x password $p$dollar$p$ login")).isEqualTo("create role x password '[redacted]' login");
        assertThat(QueryLog.withoutPasswords("select password_hint from users")).isEqualTo("select password_hint from users");
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
}
