package dev.portcullis.recording.event;

import java.util.Objects;

/**
 * One statement sent through the database proxy.
 *
 * @param rows  rows returned or affected when the server said so, else null
 * @param error the server's error message when the statement failed, else null
 */
public record QueryEvent(String database, String query, Long rows, String error) implements StructuredEvent {

    public QueryEvent {
        Objects.requireNonNull(database, "database");
        Objects.requireNonNull(query, "query");
    }
}
