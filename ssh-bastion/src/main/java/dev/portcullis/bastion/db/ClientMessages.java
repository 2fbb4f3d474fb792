package dev.portcullis.bastion.db;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the proxy does with each message a client sends once the session is open: it parses it (a malformed one is a
 * {@link PgProtocolException}), tells the {@link QueryLog} what was asked, and under a read-only grant sends a failing
 * substitute in place of any statement {@link ReadOnlyGuard} refuses. The fuzz test drives this very code.
 */
final class ClientMessages {

    /** The message may not be sent at all, and the session ends with this reason. */
    static final class Refused extends IOException {
        Refused(String message) {
            super(message);
        }
    }

    private static final AtomicInteger SUBSTITUTE = new AtomicInteger();

    private final QueryLog log;
    private final boolean readOnly;
    private final String grantName;

    ClientMessages(QueryLog log, boolean readOnly, String grantName) {
        this.log = log;
        this.readOnly = readOnly;
        this.grantName = grantName;
    }

    /** The message to send upstream: the client's own, or a substitute. */
    PgMessage inspect(PgMessage m) throws IOException {
        switch (m.typeChar()) {
            case PgMessageType.QUERY -> {
                String sql = PgFrontend.query(m);
                String why = readOnly ? ReadOnlyGuard.refusal(sql) : null;
                if (why != null) {
                    String substitute = refusedStatement(why);
                    log.substituted(substitute, sql);
                    log.query(substitute);
                    return new PgMessage((byte) PgMessageType.QUERY, cstring(substitute));
                }
                log.query(sql);
            }
            case PgMessageType.PARSE -> {
                PgFrontend.Parse parse = PgFrontend.parse(m);
                String why = readOnly ? ReadOnlyGuard.refusal(parse.query()) : null;
                if (why != null) {
                    String substitute = refusedStatement(why);
                    log.substituted(substitute, parse.query());
                    log.parse(new PgFrontend.Parse(parse.statement(), substitute, 0));
                    return new PgMessage(
                            (byte) PgMessageType.PARSE,
                            new PgOutput.Builder()
                                    .cstring(parse.statement())
                                    .cstring(substitute)
                                    .int16(0)
                                    .bodyOnly());
                }
                log.parse(parse);
            }
            case PgMessageType.BIND -> {
                PgFrontend.Bind bind = PgFrontend.bind(m);
                String why = readOnly ? valueRefusal(bind.values()) : null;
                if (why != null) {
                    log.refusedBind(bind, why);
                    throw new Refused(
                            why + " (your grant for " + grantName + " is read-only); the statement was not sent");
                }
                log.bind(bind);
            }
            case PgMessageType.EXECUTE -> log.execute(PgFrontend.execute(m));
            case PgMessageType.CLOSE -> log.close(PgFrontend.close(m));
            case PgMessageType.DESCRIBE -> PgFrontend.close(m);
            case PgMessageType.SYNC -> log.sync();
            case PgMessageType.FUNCTION_CALL -> {
                PgFrontend.FunctionCall call = PgFrontend.functionCall(m);
                if (readOnly) {
                    log.refusedFunctionCall(call, "fast-path function calls are not allowed under a read-only grant");
                    throw new Refused("fast-path function calls are not allowed under a read-only grant");
                }
                log.functionCall(call);
            }
            case PgMessageType.PASSWORD -> throw new PgProtocolException("a password message after authentication");
            default -> {
                // H (flush), X (terminate), d/c/f (COPY data, done, fail): relayed as they are
            }
        }
        return m;
    }

    /** Values are scanned whatever their format code: a binary text value is the same bytes. */
    private static String valueRefusal(java.util.List<byte[]> values) {
        for (byte[] v : values) {
            String why = v == null ? null : ReadOnlyGuard.valueRefusal(new String(v, StandardCharsets.UTF_8));
            if (why != null) {
                return why;
            }
        }
        return null;
    }

    /** Sent in place of a refused statement: it fails in the server, in order, with the proxy's reason. */
    private String refusedStatement(String why) {
        String message = ("portcullis: " + why + " (your grant for " + grantName
                        + " is read-only); the statement was not sent")
                .replace("'", "''");
        return "DO $portcullis_refused$BEGIN RAISE EXCEPTION USING ERRCODE = '25006', MESSAGE = '" + message
                + "'; END$portcullis_refused$ /* " + SUBSTITUTE.incrementAndGet() + " */";
    }

    private static byte[] cstring(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[b.length + 1];
        System.arraycopy(b, 0, out, 0, b.length);
        return out;
    }
}
