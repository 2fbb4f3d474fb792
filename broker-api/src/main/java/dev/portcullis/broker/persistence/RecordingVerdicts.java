package dev.portcullis.broker.persistence;

import io.agroal.api.AgroalDataSource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.PersistenceException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The last verdict on each session's recording ({@code recording_verdict}, V20), for what a search shows beside its
 * hits: written by every full verification (the background check, a replay, a download, retention), due again
 * {@code portcullis.recordings.recheck-after} later, and due at once when the session ends (a trigger) or a read
 * finds a chunk no longer as verified.
 */
@ApplicationScoped
public class RecordingVerdicts {

    @Inject
    AgroalDataSource dataSource;

    /** How long a verdict of a closed recording stands before the background check verifies it again. */
    @ConfigProperty(name = "portcullis.recordings.recheck-after", defaultValue = "P7D")
    Duration recheckAfter;

    /**
     * Stores a verdict reached on the recording of a session that was open ({@code wasOpen}) or closed when its
     * verification began. A verdict on a recording still being written is due again as soon as the session has ended,
     * so one that ended during the verification is checked again at once.
     */
    public void record(UUID session, boolean wasOpen, String status, String problem) {
        try (Connection c = dataSource.getConnection();
                PreparedStatement upsert = c.prepareStatement(
                        "insert into recording_verdict (session_id, status, problem, checked_at, check_due)"
                                + " select s.id, ?, ?, now(), case when s.status = 'OPEN' then null"
                                + "   when ? then now() else now() + ?::interval end"
                                + " from bastion_session s where s.id = ?"
                                + " on conflict (session_id) do update set status = excluded.status,"
                                + "   problem = excluded.problem, checked_at = excluded.checked_at,"
                                + "   check_due = excluded.check_due")) {
            upsert.setString(1, status);
            upsert.setString(
                    2, problem == null ? null : problem.length() > 2000 ? problem.substring(0, 2000) : problem);
            upsert.setBoolean(3, wasOpen);
            upsert.setString(4, recheckAfter.toSeconds() + " seconds");
            upsert.setObject(5, session);
            upsert.executeUpdate();
        } catch (SQLException e) {
            throw new PersistenceException("cannot store the verdict of session " + session + ": " + e.getMessage(), e);
        }
    }

    /** A read found the recording no longer as verified: the background check verifies it again at once. */
    public void recheckSoon(UUID session) {
        try (Connection c = dataSource.getConnection();
                PreparedStatement update = c.prepareStatement(
                        "update recording_verdict set check_due = now() where session_id = ? and check_due is not null")) {
            update.setObject(1, session);
            update.executeUpdate();
        } catch (SQLException e) {
            throw new PersistenceException("cannot mark session " + session + " for a check: " + e.getMessage(), e);
        }
    }

    /**
     * Takes up to {@code limit} sessions whose recordings are due for a check, oldest due first, and holds them for
     * {@code claim}: another replica does not take them meanwhile, and a replica that dies before storing a verdict
     * leaves them due again once the claim runs out.
     */
    public List<UUID> claimDue(int limit, Duration claim) {
        List<UUID> claimed = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
                PreparedStatement update = c.prepareStatement(
                        "update recording_verdict set check_due = now() + ?::interval where session_id in ("
                                + " select session_id from recording_verdict where check_due <= now()"
                                + " order by check_due limit ? for update skip locked) returning session_id")) {
            update.setString(1, claim.toSeconds() + " seconds");
            update.setInt(2, limit);
            try (ResultSet r = update.executeQuery()) {
                while (r.next()) {
                    claimed.add(r.getObject(1, UUID.class));
                }
            }
        } catch (SQLException e) {
            throw new PersistenceException("cannot claim recordings due for a check: " + e.getMessage(), e);
        }
        return claimed;
    }
}
