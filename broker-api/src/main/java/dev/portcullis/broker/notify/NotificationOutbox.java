package dev.portcullis.broker.notify;

import io.agroal.api.AgroalDataSource;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.PersistenceException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The notification outbox in PostgreSQL (V17): rows written in the decision's transaction, claimed by the senders of any
 * broker replica with {@code FOR UPDATE SKIP LOCKED} (so each message is sent by one of them), each claim lasting
 * {@code claimFor}: a message whose broker died while sending it is claimed again afterwards (at least once).
 */
@ApplicationScoped
public class NotificationOutbox {

    @Inject
    AgroalDataSource dataSource;

    /** A row to add: {@code onlyWhile} null for a message sent whatever happens next. */
    public record Row(
            UUID id,
            UUID request,
            NotificationEvent event,
            String channel,
            String payload,
            String onlyWhile,
            Instant createdAt,
            Instant dueAt) {}

    /** A claimed row, with the number of attempts this one included. */
    public record Claimed(
            UUID id, UUID request, String event, String channel, String payload, String onlyWhile, int attempts) {}

    /** A message given up on, for admins. */
    public record Failed(
            UUID id,
            UUID request,
            String event,
            String channel,
            int attempts,
            String lastError,
            Instant createdAt,
            Instant failedAt) {}

    private static final String INSERT =
            "insert into notification_outbox (id, request_id, event, channel, payload, only_while,"
                    + " created_at, due_at) values (?, ?, ?, ?, ?, ?, ?, ?)";

    /** Adds rows on the current transaction's connection: they are stored with the decision or not at all. */
    public void add(List<Row> rows) {
        if (rows.isEmpty()) {
            return;
        }
        try (Connection c = dataSource.getConnection();
                PreparedStatement insert = c.prepareStatement(INSERT)) {
            for (Row r : rows) {
                insert.setObject(1, r.id());
                insert.setObject(2, r.request());
                insert.setString(3, r.event().wireName());
                insert.setString(4, r.channel());
                insert.setString(5, r.payload());
                insert.setString(6, r.onlyWhile());
                insert.setObject(7, at(r.createdAt()), Types.TIMESTAMP_WITH_TIMEZONE);
                insert.setObject(8, at(r.dueAt()), Types.TIMESTAMP_WITH_TIMEZONE);
                insert.addBatch();
            }
            insert.executeBatch();
        } catch (SQLException e) {
            throw new PersistenceException("cannot store notifications: " + e.getMessage(), e);
        }
    }

    private static final String CLAIM = "update notification_outbox o set claimed_until = now() + ?::interval,"
            + " attempts = o.attempts + 1 where o.id in (select id from notification_outbox where status = 'PENDING'"
            + " and due_at <= now() and (claimed_until is null or claimed_until < now()) order by due_at limit ?"
            + " for update skip locked)"
            + " returning o.id, o.request_id, o.event, o.channel, o.payload, o.only_while, o.attempts";

    /** Claims up to {@code limit} due messages for this broker, oldest first, skipping those another broker holds. */
    public List<Claimed> claim(int limit, Duration claimFor) {
        return QuarkusTransaction.requiringNew().call(() -> {
            List<Claimed> claimed = new ArrayList<>();
            try (Connection c = dataSource.getConnection();
                    PreparedStatement update = c.prepareStatement(CLAIM)) {
                update.setString(1, claimFor.toMillis() + " milliseconds");
                update.setInt(2, limit);
                try (ResultSet row = update.executeQuery()) {
                    while (row.next()) {
                        claimed.add(new Claimed(
                                row.getObject(1, UUID.class),
                                row.getObject(2, UUID.class),
                                row.getString(3),
                                row.getString(4),
                                row.getString(5),
                                row.getString(6),
                                row.getInt(7)));
                    }
                }
            }
            return claimed;
        });
    }

    public void sent(UUID id) {
        finish(id, "SENT", null);
    }

    /** Not sent because the request moved on (a reminder after the decision, an ending-soon after the end). */
    public void skipped(UUID id, String why) {
        finish(id, "SKIPPED", why);
    }

    /** Given up on; the caller audits it in the same transaction. */
    public void failed(UUID id, String error) {
        finish(id, "FAILED", error);
    }

    public void retryLater(UUID id, Duration wait, String error) {
        run(
                "update notification_outbox set claimed_until = null, due_at = now() + ?::interval, last_error = ?"
                        + " where id = ? and status = 'PENDING'",
                wait.toMillis() + " milliseconds",
                trim(error),
                id);
    }

    private void finish(UUID id, String status, String note) {
        run(
                "update notification_outbox set status = ?, last_error = coalesce(?, last_error), claimed_until = null,"
                        + " done_at = now() where id = ? and status = 'PENDING'",
                status,
                trim(note),
                id);
    }

    private void run(String sql, Object... params) {
        QuarkusTransaction.joiningExisting().run(() -> {
            try (Connection c = dataSource.getConnection();
                    PreparedStatement update = c.prepareStatement(sql)) {
                for (int i = 0; i < params.length; i++) {
                    update.setObject(i + 1, params[i]);
                }
                update.executeUpdate();
            } catch (SQLException e) {
                throw new PersistenceException("cannot record a notification's outcome: " + e.getMessage(), e);
            }
        });
    }

    /** The state of a request now, for messages sent only while it lasts; null when there is no such request. */
    public String stateOf(UUID request) {
        return QuarkusTransaction.joiningExisting().call(() -> {
            try (Connection c = dataSource.getConnection();
                    PreparedStatement select = c.prepareStatement("select state from access_request where id = ?")) {
                select.setObject(1, request);
                try (ResultSet row = select.executeQuery()) {
                    return row.next() ? row.getString(1) : null;
                }
            }
        });
    }

    /** Messages given up on, newest first. */
    public List<Failed> failed(int limit) {
        return QuarkusTransaction.joiningExisting().call(() -> {
            List<Failed> failed = new ArrayList<>();
            try (Connection c = dataSource.getConnection();
                    PreparedStatement select = c.prepareStatement(
                            "select id, request_id, event, channel, attempts, last_error, created_at, done_at from notification_outbox"
                                    + " where status = 'FAILED' order by done_at desc limit ?")) {
                select.setInt(1, limit);
                try (ResultSet row = select.executeQuery()) {
                    while (row.next()) {
                        failed.add(new Failed(
                                row.getObject(1, UUID.class),
                                row.getObject(2, UUID.class),
                                row.getString(3),
                                row.getString(4),
                                row.getInt(5),
                                row.getString(6),
                                row.getObject(7, OffsetDateTime.class).toInstant(),
                                row.getObject(8, OffsetDateTime.class).toInstant()));
                    }
                }
            }
            return failed;
        });
    }

    private static OffsetDateTime at(Instant instant) {
        return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }

    private static String trim(String s) {
        return s == null || s.length() <= 1000 ? s : s.substring(0, 1000);
    }
}
