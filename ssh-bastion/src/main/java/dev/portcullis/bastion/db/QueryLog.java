package dev.portcullis.bastion.db;

import dev.portcullis.recording.event.QueryEvent;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Pairs what the client asked with what the server answered, so that each statement becomes one {@link QueryEvent}
 * with its duration and its rows or error. The server answers in order: a simple query ends at ReadyForQuery, an
 * extended-protocol Execute at its CommandComplete (or EmptyQueryResponse, PortalSuspended, ErrorResponse), and
 * after an error the server skips to the next Sync, so the Executes in between are recorded as not executed.
 * Called by the client-side pump (what was asked) and the server-side pump (what was answered).
 */
final class QueryLog {

    static final String REDACTED = "[redacted]";
    /** A statement is kept (and recorded) whole up to this; a longer one as its start, its length and its SHA-256. */
    static final int MAX_QUERY_CHARS = 1024 * 1024;

    static final int MAX_PARAMETER_CHARS = 1024;
    /**
     * All the text one session's log holds at once (prepared statements, portals' parameters, statements waiting for
     * their answer). Beyond it, text is kept as {@link #OVER_BUDGET_PREFIX} characters, its length and its SHA-256,
     * so that no client can make the bastion hold more than this, whatever it prepares.
     */
    static final long SESSION_BUDGET_CHARS = 16L * 1024 * 1024;

    static final int OVER_BUDGET_PREFIX = 256;
    /** More statements and portals than a real client keeps; beyond, the client is broken or hostile. */
    static final int MAX_NAMES = 10_000;

    static final int MAX_IN_FLIGHT = 100_000;
    /** The functions libpq calls through the fast path (large objects), by their fixed OIDs, for the recording. */
    private static final Map<Integer, String> FAST_PATH_NAMES = Map.ofEntries(
            Map.entry(715, "lo_create"),
            Map.entry(952, "lo_open"),
            Map.entry(953, "lo_close"),
            Map.entry(954, "loread"),
            Map.entry(955, "lowrite"),
            Map.entry(956, "lo_lseek"),
            Map.entry(957, "lo_creat"),
            Map.entry(958, "lo_tell"),
            Map.entry(964, "lo_unlink"),
            Map.entry(1004, "lo_truncate"),
            Map.entry(3170, "lo_lseek64"),
            Map.entry(3171, "lo_tell64"),
            Map.entry(3172, "lo_truncate64"));

    private static final String PASSWORD = "password";
    private static final Pattern PASSWORD_LITERAL = Pattern.compile(
            "(?i)(\\bpassword\\s+)(?:E'(?:[^'\\\\]|''|\\\\.)*'|'(?:[^']|'')*'|\\$([A-Za-z_]*)\\$.*?\\$\\2\\$)",
            Pattern.DOTALL);

    private enum Kind {
        SIMPLE,
        EXTENDED,
        FUNCTION,
        SYNC
    }

    private static final class Pending {
        final Kind kind;
        final String query;
        final List<String> parameters;
        final long startedNanos = System.nanoTime();
        final StringBuilder tags = new StringBuilder();
        /** Characters of this entry's own text charged to the session's budget. */
        long charged;

        Long rows;
        String sqlState;
        String error;

        Pending(Kind kind, String query, List<String> parameters) {
            this.kind = kind;
            this.query = query;
            this.parameters = parameters;
        }
    }

    /** Text as kept, and how many characters of it are charged to the budget. */
    private record Kept(String text, long charged) {}

    private record Portal(String query, List<String> parameters, long charged) {}

    private final String database;
    private final boolean recordParameters;
    private final Map<String, Kept> statements = new HashMap<>();
    private long used;
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
        String original = substitutes.remove(sql);
        Kept kept = keep(original != null ? original : sql);
        Pending p = new Pending(Kind.SIMPLE, kept.text(), null);
        p.charged = kept.charged();
        add(p);
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
        Kept old = statements.remove(parse.statement());
        if (old != null) {
            used -= old.charged();
        }
        statements.put(parse.statement(), keep(original != null ? original : parse.query()));
    }

    synchronized void bind(PgFrontend.Bind bind) throws PgProtocolException {
        if (portals.size() >= MAX_NAMES && !portals.containsKey(bind.portal())) {
            throw new PgProtocolException("too many portals");
        }
        Kept sql = statements.get(bind.statement());
        Portal old = portals.remove(bind.portal());
        if (old != null) {
            used -= old.charged();
        }
        List<String> parameters = render(bind.values(), bind::format);
        long size = size(parameters);
        long charged = size;
        if (size > 0 && !fits(size)) {
            parameters = List.of(summary(parameters));
            charged = 0;
        }
        used += charged;
        portals.put(
                bind.portal(),
                new Portal(
                        sql != null
                                ? sql.text()
                                : "(prepared statement '" + bind.statement() + "' not seen by the proxy)",
                        parameters,
                        charged));
    }

    /** A Bind the proxy refused: recorded as a statement that was not executed, with the reason. */
    synchronized void refusedBind(PgFrontend.Bind bind, String why) throws PgProtocolException {
        Kept sql = statements.get(bind.statement());
        List<String> parameters = render(bind.values(), bind::format);
        if (parameters != null && !fits(size(parameters))) {
            parameters = List.of(summary(parameters));
        }
        Pending p = new Pending(
                Kind.EXTENDED,
                sql != null ? sql.text() : "(prepared statement '" + bind.statement() + "' not seen by the proxy)",
                parameters);
        p.sqlState = SqlState.READ_ONLY_SQL_TRANSACTION.code();
        p.error = "refused by the proxy: " + why;
        add(p);
    }

    synchronized void execute(PgFrontend.Execute execute) throws PgProtocolException {
        Portal portal = portals.get(execute.portal());
        add(
                portal == null
                        ? new Pending(Kind.EXTENDED, "(portal '" + execute.portal() + "' not seen by the proxy)", null)
                        : new Pending(Kind.EXTENDED, portal.query(), portal.parameters()));
    }

    synchronized void close(PgFrontend.Close close) {
        if (close.kind() == PgMessageType.PREPARED_STATEMENT) {
            Kept old = statements.remove(close.name());
            used -= old == null ? 0 : old.charged();
        } else {
            Portal old = portals.remove(close.name());
            used -= old == null ? 0 : old.charged();
        }
    }

    synchronized void functionCall(PgFrontend.FunctionCall call) throws PgProtocolException {
        add(fastPath(call));
    }

    synchronized void refusedFunctionCall(PgFrontend.FunctionCall call, String why) throws PgProtocolException {
        Pending p = fastPath(call);
        p.sqlState = SqlState.READ_ONLY_SQL_TRANSACTION.code();
        p.error = "refused by the proxy: " + why;
        add(p);
    }

    private Pending fastPath(PgFrontend.FunctionCall call) {
        String name = FAST_PATH_NAMES.get(call.function());
        List<String> arguments = render(call.arguments(), call::format);
        if (arguments != null && !fits(size(arguments))) {
            arguments = List.of(summary(arguments));
        }
        return new Pending(
                Kind.FUNCTION,
                "(fast-path call of function OID " + Integer.toUnsignedString(call.function())
                        + (name == null ? "" : ", " + name) + ")",
                arguments);
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

    /** Characters the session's log holds against its budget now. */
    synchronized long used() {
        return used;
    }

    private void add(Pending p) throws PgProtocolException {
        if (pending.size() >= MAX_IN_FLIGHT) {
            throw new PgProtocolException("too many statements waiting for an answer");
        }
        pending.addLast(p);
    }

    private QueryEvent event(Pending p) {
        used -= p.charged;
        p.charged = 0;
        String query = withoutPasswords(p.query);
        return new QueryEvent(
                database,
                query,
                p.parameters,
                p.tags.length() == 0 ? null : p.tags.toString(),
                p.rows,
                (System.nanoTime() - p.startedNanos) / 1000,
                p.sqlState,
                p.error);
    }

    /**
     * The text as kept: whole when it is short enough and the budget has room; otherwise its start, its length and its
     * SHA-256, so that the recording still says exactly which statement it was.
     */
    private Kept keep(String text) {
        if (text.length() <= MAX_QUERY_CHARS && fits(text.length())) {
            used += text.length();
            return new Kept(text, text.length());
        }
        if (text.length() > MAX_QUERY_CHARS && fits(MAX_QUERY_CHARS)) {
            String kept = truncated(text, MAX_QUERY_CHARS);
            used += kept.length();
            return new Kept(kept, kept.length());
        }
        return new Kept(truncated(text, OVER_BUDGET_PREFIX), 0);
    }

    private boolean fits(long chars) {
        return used + chars <= SESSION_BUDGET_CHARS;
    }

    /** The start of a statement, then a notice with its whole length and SHA-256 (of its UTF-8 bytes). */
    static String truncated(String text, int keep) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        int end = Math.min(keep, text.length());
        if (end > 0 && Character.isHighSurrogate(text.charAt(end - 1))) {
            end--;
        }
        String start = text.substring(0, end);
        int password = start.toLowerCase(java.util.Locale.ROOT).lastIndexOf("password");
        if (password >= 0) {
            // the cut may fall inside a password literal, which the redaction would then not recognise
            start = start.substring(0, password + "password".length());
        }
        start = withoutPasswords(start);
        return start + "... [truncated: " + bytes.length + " bytes in all, sha256 " + sha256(bytes) + "]";
    }

    private static String summary(List<String> parameters) {
        StringBuilder all = new StringBuilder();
        for (String p : parameters) {
            all.append(p == null ? "-1:" : p.length() + ":" + p);
        }
        byte[] bytes = all.toString().getBytes(StandardCharsets.UTF_8);
        return "[" + parameters.size() + " parameter values not kept: over the session's budget; " + bytes.length
                + " bytes, sha256 " + sha256(bytes) + "]";
    }

    private static long size(List<String> parameters) {
        long n = 0;
        if (parameters != null) {
            for (String p : parameters) {
                n += p == null ? 0 : p.length();
            }
        }
        return n;
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private List<String> render(List<byte[]> values, java.util.function.IntUnaryOperator format) {
        if (values.isEmpty()) {
            return null;
        }
        List<String> out = new ArrayList<>(values.size());
        for (int i = 0; i < values.size(); i++) {
            byte[] v = values.get(i);
            if (!recordParameters) {
                out.add(REDACTED);
            } else if (v == null) {
                out.add(null);
            } else if (format.applyAsInt(i) == 0) {
                String text = new String(v, StandardCharsets.UTF_8);
                out.add(
                        text.length() > MAX_PARAMETER_CHARS
                                ? text.substring(0, MAX_PARAMETER_CHARS) + "... [" + v.length + " bytes]"
                                : text);
            } else {
                int shown = Math.min(v.length, MAX_PARAMETER_CHARS / 2);
                out.add("\\x" + HexFormat.of().formatHex(v, 0, shown)
                        + (shown < v.length ? "... [" + v.length + " bytes]" : ""));
            }
        }
        return out;
    }

    /**
     * The statement as recorded: a password literal ({@code CREATE/ALTER ROLE ... PASSWORD '...'}, {@code \\password} in psql
     * sends the same) is replaced by {@code '[redacted]'}, so a recording never holds a database password.
     */
    static String withoutPasswords(String sql) {
        if (!mentionsPassword(sql)) {
            return sql;
        }
        return PASSWORD_LITERAL.matcher(sql).replaceAll("$1'[redacted]'");
    }

    /**
     * Whether the word occurs in any case: what the redaction looks for, asked of every statement, so without a
     * regular expression. It may say yes for more than ASCII letters would (Unicode case folding); the redaction
     * then finds nothing to replace.
     */
    private static boolean mentionsPassword(String sql) {
        for (int i = sql.length() - PASSWORD.length(); i >= 0; i--) {
            char c = sql.charAt(i);
            if ((c == 'p' || c == 'P') && sql.regionMatches(true, i, PASSWORD, 0, PASSWORD.length())) {
                return true;
            }
        }
        return false;
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
