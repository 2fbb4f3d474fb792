package dev.portcullis.bastion.db;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/** Builds the messages the proxy itself sends, to clients and to servers. */
final class PgOutput {

    /** The type of a message that has none (startup packets). */
    static final byte NONE = 0;

    private PgOutput() {}

    /** One message under construction: type, then the body; {@link #bytes()} puts the length in. */
    static final class Builder {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream(64);
        private final boolean typed;

        Builder(char type) {
            out.write(type);
            typed = true;
            int32(0);
        }

        /** A message without a type byte: the startup packet and its kin. */
        Builder() {
            typed = false;
            int32(0);
        }

        Builder int8(int v) {
            out.write(v);
            return this;
        }

        Builder int16(int v) {
            out.write(v >>> 8);
            out.write(v);
            return this;
        }

        Builder int32(int v) {
            out.write(v >>> 24);
            out.write(v >>> 16);
            out.write(v >>> 8);
            out.write(v);
            return this;
        }

        Builder cstring(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            out.write(b, 0, b.length);
            out.write(0);
            return this;
        }

        Builder raw(byte[] b) {
            out.write(b, 0, b.length);
            return this;
        }

        /** The body alone, without type and length. */
        byte[] bodyOnly() {
            byte[] b = out.toByteArray();
            int start = typed ? 5 : 4;
            byte[] body = new byte[b.length - start];
            System.arraycopy(b, start, body, 0, body.length);
            return body;
        }

        byte[] bytes() {
            byte[] b = out.toByteArray();
            int start = typed ? 1 : 0;
            int len = b.length - start;
            b[start] = (byte) (len >>> 24);
            b[start + 1] = (byte) (len >>> 16);
            b[start + 2] = (byte) (len >>> 8);
            b[start + 3] = (byte) len;
            return b;
        }
    }

    /**
     * ErrorResponse or NoticeResponse.
     *
     * @param severity ERROR, FATAL, NOTICE...
     * @param code     the SQLSTATE, e.g. 28000 (invalid authorization), 08P01 (protocol violation), 57P01 (admin shutdown)
     */
    static byte[] error(char type, String severity, String code, String message, String hint) {
        Builder b = new Builder(type)
                .int8(PgMessageType.FIELD_SEVERITY)
                .cstring(severity)
                .int8(PgMessageType.FIELD_SEVERITY_NONLOCALIZED)
                .cstring(severity)
                .int8(PgMessageType.FIELD_SQLSTATE)
                .cstring(code)
                .int8(PgMessageType.FIELD_MESSAGE)
                .cstring(oneLine(message));
        if (hint != null) {
            b.int8(PgMessageType.FIELD_HINT).cstring(oneLine(hint));
        }
        return b.int8(0).bytes();
    }

    static byte[] fatal(String code, String message) {
        return error(PgMessageType.ERROR_RESPONSE, "FATAL", code, message, null);
    }

    static byte[] fatal(SqlState state, String message) {
        return fatal(state.code(), message);
    }

    static byte[] authentication(int code) {
        return new Builder(PgMessageType.AUTHENTICATION).int32(code).bytes();
    }

    static byte[] parameterStatus(String name, String value) {
        return new Builder(PgMessageType.PARAMETER_STATUS)
                .cstring(name)
                .cstring(value)
                .bytes();
    }

    static byte[] backendKeyData(int pid, int secret) {
        return new Builder(PgMessageType.BACKEND_KEY_DATA)
                .int32(pid)
                .int32(secret)
                .bytes();
    }

    /** The minor version the proxy speaks (3.0), and the protocol options it does not know. */
    static byte[] negotiateProtocolVersion(List<String> unsupported) {
        Builder b = new Builder(PgMessageType.NEGOTIATE_PROTOCOL_VERSION)
                .int32(PgFrontend.PROTOCOL_3_0)
                .int32(unsupported.size());
        unsupported.forEach(b::cstring);
        return b.bytes();
    }

    static byte[] readyForQuery(char transactionStatus) {
        return new Builder(PgMessageType.READY_FOR_QUERY)
                .int8(transactionStatus)
                .bytes();
    }

    /** The same ErrorResponse with a hint added as its last field. */
    static PgMessage withHint(PgMessage error, String hint) {
        byte[] body = error.body();
        byte[] add = (PgMessageType.FIELD_HINT + hint).getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[body.length + add.length + 1];
        // the fields end with a zero byte; the hint goes before it
        System.arraycopy(body, 0, out, 0, body.length - 1);
        System.arraycopy(add, 0, out, body.length - 1, add.length);
        out[out.length - 2] = 0;
        out[out.length - 1] = 0;
        return new PgMessage(error.type(), out);
    }

    static byte[] startup(Map<String, String> parameters) {
        Builder b = new Builder().int32(PgFrontend.PROTOCOL_3_0);
        parameters.forEach((k, v) -> b.cstring(k).cstring(v));
        return b.int8(0).bytes();
    }

    static byte[] sslRequest() {
        return new Builder().int32(PgFrontend.SSL_REQUEST).bytes();
    }

    static byte[] cancelRequest(int pid, int secret) {
        return new Builder()
                .int32(PgFrontend.CANCEL_REQUEST)
                .int32(pid)
                .int32(secret)
                .bytes();
    }

    static byte[] password(byte[] payload, boolean cstring) {
        Builder b = new Builder(PgMessageType.PASSWORD).raw(payload);
        if (cstring) {
            b.int8(0);
        }
        return b.bytes();
    }

    static byte[] query(String sql) {
        return new Builder(PgMessageType.QUERY).cstring(sql).bytes();
    }

    static byte[] terminate() {
        return new Builder(PgMessageType.TERMINATE).bytes();
    }

    /** Messages carry one line: a newline in a reason never forges a second field or message. */
    static String oneLine(String s) {
        return s == null ? "" : s.replace('\r', ' ').replace('\n', ' ').replace('\0', ' ');
    }
}
