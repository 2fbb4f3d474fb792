package dev.portcullis.bastion.db;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a PostgreSQL client sends, framed and checked before anything of it is believed: the untyped first message
 * (startup, SSLRequest, GSSENCRequest, CancelRequest), then typed messages. Every length is checked against its
 * bounds before a byte of the body is read, so a lying length cannot make the proxy allocate or wait for more than
 * the limit; an unknown message type is a protocol error. Hand-written (no library parses the server side of the
 * protocol) and fuzzed ({@code PgParserFuzzTest}).
 */
public final class PgFrontend {

    public static final int PROTOCOL_3_0 = 196608;
    public static final int SSL_REQUEST = 80877103;
    public static final int GSS_ENC_REQUEST = 80877104;
    public static final int CANCEL_REQUEST = 80877102;
    /** PostgreSQL's own bound on a startup packet. */
    public static final int MAX_STARTUP_LENGTH = 10_000;
    /** The largest message a client may send through the proxy (a statement, a Bind with its values, a COPY row). */
    public static final int DEFAULT_MAX_MESSAGE = 16 * 1024 * 1024;

    /** Message types a client may send after the startup; anything else closes the connection. */
    private static final String CLIENT_TYPES = String.valueOf(new char[] {
        PgMessageType.BIND,
        PgMessageType.CLOSE,
        PgMessageType.COPY_DATA,
        PgMessageType.COPY_DONE,
        PgMessageType.COPY_FAIL,
        PgMessageType.DESCRIBE,
        PgMessageType.EXECUTE,
        PgMessageType.FLUSH,
        PgMessageType.FUNCTION_CALL,
        PgMessageType.PARSE,
        PgMessageType.PASSWORD,
        PgMessageType.QUERY,
        PgMessageType.SYNC,
        PgMessageType.TERMINATE
    });

    /** The first message, untyped: {@code code} is the protocol version or the request code. */
    public record First(int code, byte[] body) {}

    /** Startup parameters in the order sent. */
    public record Startup(Map<String, String> parameters) {}

    public record Parse(String statement, String query, int parameterTypes) {}

    /** @param values one entry per parameter, null for SQL NULL */
    public record Bind(String portal, String statement, int[] formats, List<byte[]> values) {
        /** The format of parameter {@code i}: 0 text, 1 binary, as the format codes say (none: all text; one: all alike). */
        public int format(int i) {
            if (formats.length == 0) {
                return 0;
            }
            return formats.length == 1 ? formats[0] : formats[i];
        }
    }

    public record Execute(String portal, int maxRows) {}

    /** A fast-path FunctionCall: the function's OID, its arguments (null for SQL NULL) with their format codes. */
    public record FunctionCall(int function, int[] formats, List<byte[]> arguments) {
        public int format(int i) {
            if (formats.length == 0) {
                return 0;
            }
            return formats.length == 1 ? formats[0] : formats[i];
        }
    }

    public record Close(char kind, String name) {}

    private final InputStream in;
    private final int maxMessage;

    public PgFrontend(InputStream in, int maxMessage) {
        this.in = in;
        this.maxMessage = maxMessage;
    }

    /** The first message of a connection (or the one after an SSLRequest was answered); null when the peer closed. */
    public First readFirst() throws IOException {
        int first = in.read();
        if (first < 0) {
            return null;
        }
        int length = (first << 24) | readInt24();
        if (length < 8 || length > MAX_STARTUP_LENGTH) {
            throw new PgProtocolException("invalid startup packet length " + length);
        }
        int code = readInt32();
        byte[] body = readBody(length - 8);
        return new First(code, body);
    }

    /** The next typed message; null when the client closed the connection between two messages. */
    public PgMessage read() throws IOException {
        int type = in.read();
        if (type < 0) {
            return null;
        }
        if (CLIENT_TYPES.indexOf(type) < 0) {
            throw new PgProtocolException("unexpected message type " + describe(type) + " from the client");
        }
        int length = readInt32();
        if (length < 4) {
            throw new PgProtocolException("invalid message length " + length);
        }
        if (length - 4 > maxMessage) {
            throw new PgProtocolException(
                    "message of " + (length - 4L) + " bytes is larger than the proxy's limit of " + maxMessage);
        }
        return new PgMessage((byte) type, readBody(length - 4));
    }

    /** Bytes already received and not yet read: after an SSLRequest there must be none (CVE-2021-23214). */
    public int pending() throws IOException {
        return in.available();
    }

    public static Startup startup(byte[] body) throws PgProtocolException {
        PgMessage.Reader r = new PgMessage(PgOutput.NONE, body).reader();
        Map<String, String> parameters = new LinkedHashMap<>();
        while (true) {
            String name = r.cstring();
            if (name.isEmpty()) {
                break;
            }
            String value = r.cstring();
            if (parameters.put(name, value) != null) {
                throw new PgProtocolException("startup parameter '" + PgOutput.oneLine(name) + "' is given twice");
            }
            if (parameters.size() > 64) {
                throw new PgProtocolException("too many startup parameters");
            }
        }
        r.end();
        return new Startup(parameters);
    }

    /** A CancelRequest's key: the backend's process id and its secret. */
    public record CancelKey(int pid, int secret) {}

    public static CancelKey cancelRequest(First first) throws PgProtocolException {
        PgMessage.Reader r = new PgMessage(PgOutput.NONE, first.body()).reader();
        int pid = r.int32();
        int secret = r.int32();
        r.end();
        return new CancelKey(pid, secret);
    }

    /** A PasswordMessage's password (the credential the broker issued). */
    public static String password(PgMessage m) throws PgProtocolException {
        if (m.typeChar() != PgMessageType.PASSWORD) {
            throw new PgProtocolException("expected a password message");
        }
        PgMessage.Reader r = m.reader();
        String password = r.cstring();
        r.end();
        return password;
    }

    public static String query(PgMessage m) throws PgProtocolException {
        PgMessage.Reader r = m.reader();
        String sql = r.cstring();
        r.end();
        return sql;
    }

    public static Parse parse(PgMessage m) throws PgProtocolException {
        PgMessage.Reader r = m.reader();
        String name = r.cstring();
        String sql = r.cstring();
        int types = r.int16();
        for (int i = 0; i < types; i++) {
            r.int32();
        }
        r.end();
        return new Parse(name, sql, types);
    }

    public static Bind bind(PgMessage m) throws PgProtocolException {
        PgMessage.Reader r = m.reader();
        String portal = r.cstring();
        String statement = r.cstring();
        int nFormats = r.int16();
        int[] formats = new int[nFormats];
        for (int i = 0; i < nFormats; i++) {
            formats[i] = r.int16();
            if (formats[i] != 0 && formats[i] != 1) {
                throw new PgProtocolException("invalid parameter format code " + formats[i]);
            }
        }
        int nValues = r.int16();
        if (nFormats > 1 && nFormats != nValues) {
            throw new PgProtocolException("Bind has " + nFormats + " parameter formats for " + nValues + " parameters");
        }
        List<byte[]> values = new ArrayList<>(nValues);
        for (int i = 0; i < nValues; i++) {
            int len = r.int32();
            values.add(len == -1 ? null : r.bytes(len));
        }
        int nResultFormats = r.int16();
        for (int i = 0; i < nResultFormats; i++) {
            r.int16();
        }
        r.end();
        return new Bind(portal, statement, formats, values);
    }

    public static FunctionCall functionCall(PgMessage m) throws PgProtocolException {
        PgMessage.Reader r = m.reader();
        int oid = r.int32();
        int nFormats = r.int16();
        int[] formats = new int[nFormats];
        for (int i = 0; i < nFormats; i++) {
            formats[i] = r.int16();
            if (formats[i] != 0 && formats[i] != 1) {
                throw new PgProtocolException("invalid argument format code " + formats[i]);
            }
        }
        int nArgs = r.int16();
        if (nFormats > 1 && nFormats != nArgs) {
            throw new PgProtocolException(
                    "FunctionCall has " + nFormats + " argument formats for " + nArgs + " arguments");
        }
        List<byte[]> args = new ArrayList<>(nArgs);
        for (int i = 0; i < nArgs; i++) {
            int len = r.int32();
            args.add(len == -1 ? null : r.bytes(len));
        }
        r.int16(); // the result's format
        r.end();
        return new FunctionCall(oid, formats, args);
    }

    public static Execute execute(PgMessage m) throws PgProtocolException {
        PgMessage.Reader r = m.reader();
        String portal = r.cstring();
        int maxRows = r.int32();
        r.end();
        return new Execute(portal, maxRows);
    }

    /** Close and Describe have the same shape: a prepared statement or a portal, then a name. */
    public static Close close(PgMessage m) throws PgProtocolException {
        PgMessage.Reader r = m.reader();
        char kind = (char) r.int8();
        if (kind != PgMessageType.PREPARED_STATEMENT && kind != PgMessageType.PORTAL) {
            throw new PgProtocolException("Close/Describe of unknown kind " + describe(kind));
        }
        String name = r.cstring();
        r.end();
        return new Close(kind, name);
    }

    static String describe(int type) {
        return type >= 0x20 && type < 0x7f ? "'" + (char) type + "'" : String.format("0x%02x", type & 0xff);
    }

    private byte[] readBody(int n) throws IOException {
        byte[] body = in.readNBytes(n);
        if (body.length != n) {
            throw new EOFException("the connection closed in the middle of a message");
        }
        return body;
    }

    private int readInt24() throws IOException {
        int a = in.read();
        int b = in.read();
        int c = in.read();
        if ((a | b | c) < 0) {
            throw new EOFException("the connection closed in the middle of a message");
        }
        return (a << 16) | (b << 8) | c;
    }

    private int readInt32() throws IOException {
        int a = in.read();
        if (a < 0) {
            throw new EOFException("the connection closed in the middle of a message");
        }
        return (a << 24) | readInt24();
    }
}
