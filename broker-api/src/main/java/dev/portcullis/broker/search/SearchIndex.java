package dev.portcullis.broker.search;

import io.agroal.api.AgroalDataSource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.PersistenceException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The search index in PostgreSQL ({@code search_entry}, V15). Entries are stored with who, where, as whom and under
 * which grant copied from the session's row; a search is one query on the entries, a literal case-insensitive
 * substring match served by the pg_trgm GIN index, newest first, each hit with the entries just before and after it
 * in its session as context, and the stored verdict on the session's recording ({@code recording_verdict}).
 */
@ApplicationScoped
public class SearchIndex {

    /** How long after its end a session still takes entries: the last batch leaves the bastion up to a second late. */
    static final Duration LATE_ENTRIES = Duration.ofMinutes(5);
    /** A search that takes longer is stopped; the person is asked to narrow it. */
    static final String STATEMENT_TIMEOUT = "10s";

    @Inject
    AgroalDataSource dataSource;

    @Inject
    Clock clock;

    /** An entry as a bastion sends it. */
    public record Entry(UUID session, long offsetMicros, String kind, String text, String detail) {}

    /** What became of a batch: stored, or of sessions unknown, of another bastion client, or long ended. */
    public record Stored(int stored, Set<UUID> unknown, Set<UUID> foreign, Set<UUID> ended) {}

    public record Hit(
            long id,
            UUID session,
            UUID request,
            String username,
            String target,
            String login,
            String protocol,
            String recordingId,
            String kind,
            Instant at,
            double offsetSeconds,
            String text,
            String detail,
            String before,
            String after,
            String verification,
            Instant verifiedAt) {}

    /** The search took longer than {@link #STATEMENT_TIMEOUT}. */
    public static final class TooSlow extends RuntimeException {
        TooSlow(Throwable cause) {
            super(cause);
        }
    }

    private record Session(
            UUID request,
            String username,
            String target,
            String login,
            String protocol,
            Instant startedAt,
            Instant endedAt,
            String registeredBy) {}

    /**
     * Stores the entries of the sessions {@code client} registered; nothing at all when any entry names a session of
     * another client or one that ended long ago (the caller refuses the batch), and the entries of sessions not
     * registered yet are left out and named.
     */
    public Stored store(String client, List<Entry> entries) {
        Set<UUID> ids = new HashSet<>();
        entries.forEach(e -> ids.add(e.session()));
        Instant now = clock.instant();
        try (Connection c = dataSource.getConnection()) {
            Map<UUID, Session> sessions = sessions(c, ids);
            Set<UUID> unknown = new HashSet<>(ids);
            unknown.removeAll(sessions.keySet());
            Set<UUID> foreign = new HashSet<>();
            Set<UUID> ended = new HashSet<>();
            sessions.forEach((id, s) -> {
                if (!client.equals(s.registeredBy())) {
                    foreign.add(id);
                } else if (s.endedAt() != null && s.endedAt().plus(LATE_ENTRIES).isBefore(now)) {
                    ended.add(id);
                }
            });
            if (!foreign.isEmpty() || !ended.isEmpty()) {
                return new Stored(0, unknown, foreign, ended);
            }
            int stored = insert(c, entries, sessions);
            return new Stored(stored, unknown, foreign, ended);
        } catch (SQLException e) {
            throw new PersistenceException("cannot store search entries: " + e.getMessage(), e);
        }
    }

    private static Map<UUID, Session> sessions(Connection c, Set<UUID> ids) throws SQLException {
        Map<UUID, Session> found = new HashMap<>();
        try (PreparedStatement select = c.prepareStatement("select id, request_id, username, target, login, protocol,"
                + " started_at, ended_at, registered_by from bastion_session where id = any (?)")) {
            select.setArray(1, c.createArrayOf("uuid", ids.toArray()));
            try (ResultSet r = select.executeQuery()) {
                while (r.next()) {
                    Timestamp ended = r.getTimestamp(8);
                    found.put(
                            r.getObject(1, UUID.class),
                            new Session(
                                    r.getObject(2, UUID.class),
                                    r.getString(3),
                                    r.getString(4),
                                    r.getString(5),
                                    r.getString(6),
                                    r.getTimestamp(7).toInstant(),
                                    ended == null ? null : ended.toInstant(),
                                    r.getString(9)));
                }
            }
        }
        return found;
    }

    /**
     * One statement for the whole batch (arrays unnested into rows): the server plans and runs it once, where a JDBC
     * batch of single-row inserts runs thousands of statements per batch.
     */
    private static int insert(Connection c, List<Entry> entries, Map<UUID, Session> sessions) throws SQLException {
        List<Entry> known =
                entries.stream().filter(e -> sessions.containsKey(e.session())).toList();
        int n = known.size();
        if (n == 0) {
            return 0;
        }
        String[] session = new String[n];
        String[] request = new String[n];
        String[] username = new String[n];
        String[] target = new String[n];
        String[] login = new String[n];
        String[] protocol = new String[n];
        String[] kind = new String[n];
        String[] at = new String[n];
        Long[] offset = new Long[n];
        String[] text = new String[n];
        String[] detail = new String[n];
        for (int i = 0; i < n; i++) {
            Entry e = known.get(i);
            Session s = sessions.get(e.session());
            // uuids and instants as text: the array literal then holds nulls and the zone exactly
            session[i] = e.session().toString();
            request[i] = s.request() == null ? null : s.request().toString();
            username[i] = s.username();
            target[i] = s.target();
            login[i] = s.login();
            protocol[i] = s.protocol();
            kind[i] = e.kind();
            at[i] = s.startedAt().plusNanos(e.offsetMicros() * 1000).toString();
            offset[i] = e.offsetMicros();
            text[i] = e.text();
            detail[i] = e.detail();
        }
        try (PreparedStatement insert = c.prepareStatement("insert into search_entry (session_id, request_id,"
                + " username, target, login, protocol, kind, at, offset_micros, text, detail)"
                + " select * from unnest(?::uuid[], ?::uuid[], ?::varchar[], ?::varchar[], ?::varchar[], ?::varchar[],"
                + " ?::varchar[], ?::timestamptz[], ?::bigint[], ?::text[], ?::text[])")) {
            insert.setArray(1, c.createArrayOf("uuid", session));
            insert.setArray(2, c.createArrayOf("uuid", request));
            insert.setArray(3, c.createArrayOf("varchar", username));
            insert.setArray(4, c.createArrayOf("varchar", target));
            insert.setArray(5, c.createArrayOf("varchar", login));
            insert.setArray(6, c.createArrayOf("varchar", protocol));
            insert.setArray(7, c.createArrayOf("varchar", kind));
            insert.setArray(8, c.createArrayOf("timestamptz", at));
            insert.setArray(9, c.createArrayOf("int8", offset));
            insert.setArray(10, c.createArrayOf("text", text));
            insert.setArray(11, c.createArrayOf("text", detail));
            insert.executeUpdate();
        }
        return n;
    }

    /** Hits, newest first. */
    public List<Hit> search(SearchQuery q) {
        StringBuilder sql = new StringBuilder("select e.id, e.session_id, e.request_id, e.username, e.target, e.login,"
                + " e.protocol, s.recording_id, e.kind, e.at, e.offset_micros, e.text, e.detail,"
                + " (select p.text from search_entry p where p.session_id = e.session_id"
                + "   and (p.offset_micros, p.id) < (e.offset_micros, e.id) order by p.offset_micros desc, p.id desc"
                + "   limit 1),"
                + " (select n.text from search_entry n where n.session_id = e.session_id"
                + "   and (n.offset_micros, n.id) > (e.offset_micros, e.id) order by n.offset_micros, n.id limit 1),"
                + " case when s.recording_id is null then 'NONE' else coalesce(v.status, 'UNCHECKED') end,"
                + " v.checked_at"
                + " from search_entry e join bastion_session s on s.id = e.session_id"
                + " left join recording_verdict v on v.session_id = e.session_id"
                + " where e.text ilike ? escape '\\'");
        List<Object> params = new ArrayList<>();
        params.add(q.likePattern());
        if (q.person() != null) {
            sql.append(" and e.username = ?");
            params.add(q.person());
        }
        if (q.target() != null) {
            sql.append(" and e.target = ?");
            params.add(q.target());
        }
        if (q.protocol() != null) {
            sql.append(" and e.protocol = ?");
            params.add(q.protocol());
        }
        if (q.kind() != null) {
            sql.append(" and e.kind = ?");
            params.add(q.kind());
        }
        if (q.from() != null) {
            sql.append(" and e.at >= ?");
            params.add(Timestamp.from(q.from()));
        }
        if (q.to() != null) {
            sql.append(" and e.at < ?");
            params.add(Timestamp.from(q.to()));
        }
        sql.append(" order by e.at desc, e.id desc limit ?");
        params.add(q.limit());
        try (Connection c = dataSource.getConnection()) {
            boolean auto = c.getAutoCommit();
            c.setAutoCommit(false);
            try (Statement timeout = c.createStatement()) {
                timeout.execute("set local statement_timeout = '" + STATEMENT_TIMEOUT + "'");
                // a plan for this query's own text: a generic plan cannot see how rare the text is, and would
                // scan by time for a needle or by trigram for a word in every other line
                timeout.execute("set local plan_cache_mode = force_custom_plan");
                return hits(c, sql.toString(), params);
            } finally {
                c.rollback();
                c.setAutoCommit(auto);
            }
        } catch (SQLException e) {
            if ("57014".equals(e.getSQLState())) {
                throw new TooSlow(e);
            }
            throw new PersistenceException("cannot search: " + e.getMessage(), e);
        }
    }

    private static List<Hit> hits(Connection c, String sql, List<Object> params) throws SQLException {
        List<Hit> hits = new ArrayList<>();
        try (PreparedStatement select = c.prepareStatement(sql)) {
            for (int i = 0; i < params.size(); i++) {
                select.setObject(i + 1, params.get(i));
            }
            try (ResultSet r = select.executeQuery()) {
                while (r.next()) {
                    hits.add(new Hit(
                            r.getLong(1),
                            r.getObject(2, UUID.class),
                            r.getObject(3, UUID.class),
                            r.getString(4),
                            r.getString(5),
                            r.getString(6),
                            r.getString(7),
                            r.getString(8),
                            r.getString(9),
                            r.getTimestamp(10).toInstant(),
                            r.getLong(11) / 1_000_000.0,
                            r.getString(12),
                            r.getString(13),
                            r.getString(14),
                            r.getString(15),
                            r.getString(16),
                            r.getTimestamp(17) == null
                                    ? null
                                    : r.getTimestamp(17).toInstant()));
                }
            }
        }
        return hits;
    }
}
