package dev.portcullis.broker.persistence;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/**
 * Binds a statement's {@code ?} parameters in the order they appear, so a statement assembled from fragments (a
 * writable CTE of an audit row, a grant event and an update) is bound fragment by fragment, each by the code that owns
 * its SQL, without anyone counting positions.
 */
public final class StatementParameters {

    private final PreparedStatement statement;
    private int next = 1;

    public StatementParameters(PreparedStatement statement) {
        this.statement = statement;
    }

    public StatementParameters string(String value) throws SQLException {
        statement.setString(next++, value);
        return this;
    }

    public StatementParameters object(Object value) throws SQLException {
        statement.setObject(next++, value);
        return this;
    }

    public StatementParameters number(long value) throws SQLException {
        statement.setLong(next++, value);
        return this;
    }

    public StatementParameters bool(boolean value) throws SQLException {
        statement.setBoolean(next++, value);
        return this;
    }

    /** A {@code timestamptz} in UTC, or SQL null. */
    public StatementParameters timestamp(Instant at) throws SQLException {
        statement.setObject(
                next++,
                at == null ? null : OffsetDateTime.ofInstant(at, ZoneOffset.UTC),
                Types.TIMESTAMP_WITH_TIMEZONE);
        return this;
    }
}
