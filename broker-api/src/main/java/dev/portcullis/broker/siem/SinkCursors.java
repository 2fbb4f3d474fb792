package dev.portcullis.broker.siem;

import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/**
 * Moves one sink's cursor in {@code siem_cursor} (V18). A pass locks the sink's row ({@code for update skip locked}: a
 * replica that finds it locked leaves the sink to the replica holding it), reads the audit rows after the cursor in
 * sequence order, hands them to the sink, and moves the cursor in the same transaction only once the sink took them.
 * A failure anywhere rolls back: the cursor stays, and the same rows go out again on the next pass.
 */
final class SinkCursors {

    /** What a pass did: rows sent (0 when there was nothing new or another replica holds the sink). */
    record Pass(int sent, boolean lockedElsewhere) {}

    private static final String LOCK =
            "select last_id, rtrim(last_hash) from siem_cursor where sink = ? for update skip locked";
    private static final String ROWS =
            "select id, at, actor, action, subject_type, subject_id, details, rtrim(prev_hash),"
                    + " rtrim(hash) from audit_log where id > ? order by id limit ?";
    private static final String ADVANCE =
            "update siem_cursor set last_id = ?, last_hash = ?, updated_at = now() where sink = ?";
    private static final String CREATE =
            "insert into siem_cursor (sink, last_id, last_hash) values (?, 0, ?)" + " on conflict (sink) do nothing";

    private final DataSource db;

    SinkCursors(DataSource db) {
        this.db = db;
    }

    /** A sink seen for the first time starts before the first audit row: it gets the whole trail. */
    void create(String sink) throws SQLException {
        try (Connection c = db.getConnection();
                PreparedStatement create = c.prepareStatement(CREATE)) {
            create.setString(1, sink);
            create.setString(2, "0".repeat(64));
            create.executeUpdate();
        }
    }

    Pass pass(SiemSink sink, int limit) throws SQLException, IOException {
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            try {
                long lastId;
                try (PreparedStatement lock = c.prepareStatement(LOCK)) {
                    lock.setString(1, sink.name());
                    try (ResultSet rs = lock.executeQuery()) {
                        if (!rs.next()) {
                            c.rollback();
                            return new Pass(0, true);
                        }
                        lastId = rs.getLong(1);
                    }
                }
                List<AuditRow> rows = rows(c, lastId, limit);
                if (!rows.isEmpty()) {
                    sink.deliver(rows);
                    AuditRow last = rows.get(rows.size() - 1);
                    try (PreparedStatement advance = c.prepareStatement(ADVANCE)) {
                        advance.setLong(1, last.seq());
                        advance.setString(2, last.hash());
                        advance.setString(3, sink.name());
                        advance.executeUpdate();
                    }
                }
                c.commit();
                return new Pass(rows.size(), false);
            } catch (SQLException | IOException | RuntimeException e) {
                rollbackQuietly(c);
                throw e;
            }
        }
    }

    private static List<AuditRow> rows(Connection c, long after, int limit) throws SQLException {
        List<AuditRow> rows = new ArrayList<>();
        try (PreparedStatement read = c.prepareStatement(ROWS)) {
            read.setLong(1, after);
            read.setInt(2, limit);
            try (ResultSet rs = read.executeQuery()) {
                while (rs.next()) {
                    rows.add(new AuditRow(
                            rs.getLong(1),
                            rs.getObject(2, OffsetDateTime.class).toInstant(),
                            rs.getString(3),
                            rs.getString(4),
                            rs.getString(5),
                            rs.getString(6),
                            rs.getString(7),
                            rs.getString(8),
                            rs.getString(9)));
                }
            }
        }
        return rows;
    }

    private static void rollbackQuietly(Connection c) {
        try {
            c.rollback();
        } catch (SQLException ignored) {
            // the connection is going back to the pool broken; it will be discarded there
        }
    }
}
