package dev.portcullis.recording.event;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * One statement sent through the database proxy, recorded when the server answered it.
 *
 * @param database       the target (the name people connect to), not the server's database name
 * @param query          the statement as sent (a simple query may hold several statements)
 * @param parameters     values bound to the statement's parameters, as text ({@code \x...} hex for binary values, null
 *                       for SQL NULL, {@code [redacted]} when the rule keeps them out of recordings); null when none
 * @param command        the server's command tag(s), e.g. {@code SELECT 1} or {@code INSERT 0 3}, else null
 * @param rows           rows returned or affected when the server said so, else null
 * @param durationMicros from sending the statement to the server's answer, else null
 * @param sqlState       the server's (or the proxy's) SQLSTATE when the statement failed or was refused, else null
 * @param error          the error message when the statement failed or was refused, else null
 */
public record QueryEvent(
        String database,
        String query,
        List<String> parameters,
        String command,
        Long rows,
        Long durationMicros,
        String sqlState,
        String error)
        implements StructuredEvent {

    public QueryEvent {
        Objects.requireNonNull(database, "database");
        Objects.requireNonNull(query, "query");
        // List.copyOf refuses nulls, and a NULL parameter is a null element
        parameters = parameters == null ? null : Collections.unmodifiableList(new ArrayList<>(parameters));
    }

    public QueryEvent(String database, String query, Long rows, String error) {
        this(database, query, null, null, rows, null, null, error);
    }
}
