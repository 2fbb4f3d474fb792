package dev.portcullis.bastion.db;

import java.io.IOException;
import java.util.List;

/**
 * What a server connection goes through between two people, before {@link UpstreamPool} keeps it: {@code DISCARD ALL}
 * (which closes portals and cursors, drops prepared statements and temporary tables, releases advisory locks, stops
 * listening, resets every setting to its value at login and the session authorization to the login role), then for a
 * read-only connection {@code default_transaction_read_only=on} once more, then one query that checks the result: the
 * session and current user are the role the connection logged in as, read-only settings are on where they must be, and
 * no prepared statement, cursor, temporary table, advisory lock or LISTEN is left. Anything else, an error included,
 * and the connection is closed instead of kept. The same check runs again before a connection that sat idle a while
 * is handed out.
 * <p>
 * Both statements go in one round trip, and on the releasing session's threads, after its client has gone: the next
 * person does not wait for them.
 */
final class ServerReset {

    static final String DISCARD = "DISCARD ALL";
    static final String READ_ONLY = "SET default_transaction_read_only = on";
    static final String CHECK = """
            select session_user, current_user, current_setting('default_transaction_read_only'),
              current_setting('transaction_read_only'),
              (select count(*) from pg_catalog.pg_prepared_statements)
              + (select count(*) from pg_catalog.pg_cursors)
              + (select count(*) from pg_catalog.pg_class where relnamespace = pg_catalog.pg_my_temp_schema())
              + (select count(*) from pg_catalog.pg_listening_channels())
              + (select count(*) from pg_catalog.pg_locks
                 where locktype = 'advisory' and pid = pg_catalog.pg_backend_pid())""";

    private ServerReset() {}

    /** The reset's statements, as simple queries (DISCARD ALL may not share a query string with anything). */
    static List<String> statements(boolean readOnly) {
        return List.of(DISCARD, readOnly ? READ_ONLY + "; " + CHECK : CHECK);
    }

    /** Sends the reset; {@link #await} reads its answers. */
    static void send(PgUpstream upstream, boolean readOnly) throws IOException {
        upstream.sendQueries(statements(readOnly));
    }

    /** Reads the reset's answers; null when the connection is clean, otherwise why not. */
    static String await(PgUpstream upstream, boolean readOnly, String role) {
        try {
            List<List<List<String>>> answers = upstream.answers(2);
            return verdict(answers.get(1), readOnly, role);
        } catch (IOException e) {
            return "the reset failed: " + e.getMessage();
        }
    }

    /** The check alone, for a connection that sat idle; null when it is still clean, otherwise why not. */
    static String check(PgUpstream upstream, boolean readOnly, String role) {
        try {
            return verdict(upstream.query(CHECK), readOnly, role);
        } catch (IOException e) {
            return "the check failed: " + e.getMessage();
        }
    }

    static String verdict(List<List<String>> rows, boolean readOnly, String role) {
        if (rows.size() != 1 || rows.get(0).size() != 5) {
            return "the check answered " + rows.size() + " rows";
        }
        List<String> row = rows.get(0);
        if (!role.equals(row.get(0)) || !role.equals(row.get(1))) {
            return "the connection runs as " + row.get(0) + "/" + row.get(1) + ", not " + role;
        }
        if (readOnly && !("on".equals(row.get(2)) && "on".equals(row.get(3)))) {
            return "the read-only settings are not on";
        }
        if (!"0".equals(row.get(4))) {
            return "session state survived the reset";
        }
        return null;
    }
}
