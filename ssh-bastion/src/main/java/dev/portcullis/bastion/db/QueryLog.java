package dev.portcullis.bastion.db;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import dev.portcullis.recording.event.QueryEvent;

/**
 * Pairs what the client asked with what the server answered, so that each statement becomes one {@link QueryEvent}
 * with its duration and its rows or error. The server answers in order: a simple query ends at ReadyForQuery, an
 * extended-protocol Execute at its CommandComplete (or EmptyQueryResponse, PortalSuspended, ErrorResponse), and
 * after an error the server skips to the next Sync, so the Executes in between are recorded as not executed.
 * Called by the client-side pump (what was asked) and the server-side pump (what was answered).
 */
final class QueryLog {

    static final String REDACTED = "[redacted]";
    static final int MAX_QUERY_CHARS = 1024 * 1024;
    static final int MAX_PARAMETER_CHARS = 1024;
    /** More statements and portals than a real client keeps; beyond, the client is broken or hostile. */
    static final int MAX_NAMES = 100_000;
    static final int MAX_IN_FLIGHT = 100_000;
    private static final Pattern PASSWORD_WORD = Pattern.compile("(?i)password");
    private static final Pattern PASSWORD_LITERAL =
            Pattern.compile("(?i)(\\bpassword\\s+)(?:E'(?:[^'\\\\]|''|\\\\.)*'|'(?:[^']|'')*'|\\$([A-Za-z_]*)\\$.*?\\$\\2\\$)", Pattern.DOTALL);

    private enum Kind { SIMPLE, EXTENDED, FUNCTION, SYNC }

    private static final class Pending {
        final Kind kind;
        final String query;
        final List<String> parameters;
        final long startedNanos = System.nanoTime();
        final StringBuilder tags = new StringBuilder();
        Long rows;
        String sqlState;
        String error;

        Pending(Kind kind, String query, List<String> parameters) {
            this.kind = kind;
            this.query = query;
            this.parameters = parameters;
        }
    }

    private record Portal(String query, List<String> parameters) {
    }

    private final String database;
    private final boolean recordParameters;
    private final Map<String, String> statements = new HashMap<>();
    private final Map<String, Portal> portals = new HashMap<>();
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    /** The query of the statement refused at the proxy, by the substitute that was sent in its place. */
    private final Map<String, String> substitutes = new HashMap<>();

    QueryLog(String database, boolean recordParameters) {
        this.database = database;
        this.recordParameters = recordParameters;
    }

    // ---- what the client asked

    synchronized void query(String sql) throws PgProtocolException {
        add(new Pending(Kind.SIMPLE, sql, null));
    }

    /** A statement the proxy refused: {@code sent} went to the server instead and fails there, in order. */
    synchronized void substituted(String sent, String original) {
        substitutes.put(sent, original);
    }

    synchronized void parse(PgFrontend.Parse parse) throws PgProtocolException {
        if (statements.size() >= MAX_NAMES && !statements.containsKey(parse.statement())) {
            throw new PgProtocolException("too many prepared statements");
        }
        String original = substitutes.remove(parse.query());
        statements.put(parse.statement(), original != null ? original : parse.query());
    }

    synchronized void bind(PgFrontend.Bind bind) throws PgProtocolException {
        if (portals.size() >= MAX_NAMES && !portals.containsKey(bind.portal())) {
            throw new PgProtocolException("too many portals");
        }
        String sql = statements.get(bind.statement());
        portals.put(bind.portal(), new Portal(sql != null ? sql : "(prepared statement '" + bind.statement() + "' not seen by the proxy)",
                render(bind)));
    }

    synchronized void execute(PgFrontend.Execute execute) throws PgProtocolException {
        Portal portal = portals.get(execute.portal());
        add(portal == null
                ? new Pending(Kind.EXTENDED, "(portal '" + execute.portal() + "' not seen by the proxy)", null)
                : new Pending(Kind.EXTENDED, portal.query(), portal.parameters()));
    }

    synchronized void close(PgFrontend.Close close) {
        if (close.kind() == 'S') {
            statements.remove(close.name());
        } else {
            portals.remove(close.name());
        }
    }

    synchronized void functionCall() throws PgProtocolException {
        add(new Pending(Kind.FUNCTION, "(fast-path function call)", null));
    }

    synchronized void sync() throws PgProtocolException {
        add(new Pending(Kind.SYNC, null, null));
    }

    // ---- what the server answered; each returns the events now complete

    synchronized List<QueryEvent> commandComplete(String tag) {
        Pending head = pending.peekFirst();
        if (head == null || head.kind == Kind.SYNC) {
            return List.of();
        }
        if (head.tags.length() > 0) {
            head.tags.append("; ");
        }
        head.tags.append(tag);
        Long rows = rowsOf(tag);
        if (rows != null) {
            head.rows = head.rows == null ? rows : head.rows + rows;
        }
        return head.kind == Kind.SIMPLE ? List.of() : List.of(event(pending.removeFirst()));
    }

    synchronized List<QueryEvent> emptyQuery() {
        return commandComplete("");
    }

    synchronized List<QueryEvent> portalSuspended() {
        return commandComplete("(suspended)");
    }

    synchronized List<QueryEvent> error(String sqlState, String message) {
        Pending head = pending.peekFirst();
        if (head == null || head.kind == Kind.SYNC) {
            return List.of();
        }
        head.sqlState = sqlState;
        head.error = message;
        if (head.kind == Kind.SIMPLE || head.kind == Kind.FUNCTION) {
            return List.of();
        }
        List<QueryEvent> done = new ArrayList<>();
        done.add(event(pending.removeFirst()));
        // the server now ignores everything up to the next Sync
        while (!pending.isEmpty() && pending.peekFirst().kind != Kind.SYNC && pending.peekFirst().kind != Kind.SIMPLE) {
            Pending skipped = pending.removeFirst();
            skipped.error = "not executed: an earlier message in the same batch failed";
            done.add(event(skipped));
        }
        return done;
    }

    synchronized List<QueryEvent> readyForQuery() {
        List<QueryEvent> done = new ArrayList<>();
        while (!pending.isEmpty()) {
            Pending p = pending.removeFirst();
            if (p.kind == Kind.SYNC) {
                break;
            }
            done.add(event(p));
            if (p.kind == Kind.SIMPLE || p.kind == Kind.FUNCTION) {
                break;
            }
        }
        return done;
    }

    /** At the end of the connection: what was sent and never answered. */
    synchronized List<QueryEvent> unanswered(String why) {
        List<QueryEvent> done = new ArrayList<>();
        for (Pending p : pending) {
            if (p.kind != Kind.SYNC) {
                if (p.error == null) {
                    p.error = why;
                }
                done.add(event(p));
            }
        }
        pending.clear();
        return done;
    }

    synchronized int inFlight() {
        return pending.size();
    }

    private void add(Pending p) throws PgProtocolException {
        if (pending.size() >= MAX_IN_FLIGHT) {
            throw new PgProtocolException("too many statements waiting for an answer");
        }
        pending.addLast(p);
    }

    private QueryEvent event(Pending p) {
        String original = p.kind == Kind.SIMPLE ? substitutes.remove(p.query) : null;
        String query = withoutPasswords(original != null ? original : p.query);
        if (query.length() > MAX_QUERY_CHARS) {
            query = query.substring(0, MAX_QUERY_CHARS) + "... [" + (query.length() - MAX_QUERY_CHARS) + " more characters not recorded]";
        }
        return new QueryEvent(database, query, p.parameters, p.tags.length() == 0 ? null : p.tags.toString(), p.rows,
                (System.nanoTime() - p.startedNanos) / 1000, p.sqlState, p.error);
    }

    private List<String> render(PgFrontend.Bind bind) {
        if (bind.values().isEmpty()) {
            return null;
        }
        List<String> out = new ArrayList<>(bind.values().size());
        for (int i = 0; i < bind.values().size(); i++) {
            byte[] v = bind.values().get(i);
            if (!recordParameters) {
                out.add(REDACTED);
            } else if (v == null) {
                out.add(null);
            } else if (bind.format(i) == 0) {
                String text = new String(v, StandardCharsets.UTF_8);
                out.add(text.length() > MAX_PARAMETER_CHARS ? text.substring(0, MAX_PARAMETER_CHARS) + "... [" + v.length + " bytes]" : text);
            } else {
                int shown = Math.min(v.length, MAX_PARAMETER_CHARS / 2);
                out.add("\\x" + HexFormat.of().formatHex(v, 0, shown) + (shown < v.length ? "... [" + v.length + " bytes]" : ""));
            }
        }
        return out;
    }

    /**
     * The statement as recorded: a password literal ({@code CREATE/ALTER ROLE ... PASSWORD '...'}, {@code \\password} in psql
     * sends the same) is replaced by {@code '[redacted]'}, so a recording never holds a database password.
     */
    static String withoutPasswords(String sql) {
        if (sql.length() < 8 || !PASSWORD_WORD.matcher(sql).find()) {
            return sql;
        }
        return PASSWORD_LITERAL.matcher(sql).replaceAll("$1'[redacted]'");
    }

    /** The row count at the end of a command tag (SELECT 5, INSERT 0 3, UPDATE 2, COPY 10...), when there is one. */
    static Long rowsOf(String tag) {
        int space = tag.lastIndexOf(' ');
        if (space < 0 || space == tag.length() - 1) {
            return null;
        }
        String last = tag.substring(space + 1);
        for (int i = 0; i < last.length(); i++) {
            if (!Character.isDigit(last.charAt(i))) {
                return null;
            }
        }
        try {
            return Long.parseLong(last);
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
