package dev.portcullis.bastion.db;

import java.nio.charset.StandardCharsets;

/**
 * One message of the PostgreSQL protocol (v3): its type byte and its body, without the length. Read with {@link #reader()},
 * which fails with a {@link PgProtocolException} instead of reading past the end.
 */
public record PgMessage(byte type, byte[] body) {

    public PgMessage {
        if (body == null) {
            throw new IllegalArgumentException("body");
        }
    }

    public char typeChar() {
        return (char) (type & 0xff);
    }

    public Reader reader() {
        return new Reader(body);
    }

    /** Reads a message body front to back, checking every length against what is left. */
    public static final class Reader {
        private final byte[] b;
        private int pos;

        Reader(byte[] body) {
            this.b = body;
        }

        public int remaining() {
            return b.length - pos;
        }

        public byte int8() throws PgProtocolException {
            need(1);
            return b[pos++];
        }

        public int int16() throws PgProtocolException {
            need(2);
            int v = ((b[pos] & 0xff) << 8) | (b[pos + 1] & 0xff);
            pos += 2;
            return v;
        }

        public int int32() throws PgProtocolException {
            need(4);
            int v = ((b[pos] & 0xff) << 24)
                    | ((b[pos + 1] & 0xff) << 16)
                    | ((b[pos + 2] & 0xff) << 8)
                    | (b[pos + 3] & 0xff);
            pos += 4;
            return v;
        }

        /** A NUL-terminated string, as UTF-8 (the proxy speaks UTF-8 to the server; other bytes become U+FFFD). */
        public String cstring() throws PgProtocolException {
            for (int i = pos; i < b.length; i++) {
                if (b[i] == 0) {
                    String s = new String(b, pos, i - pos, StandardCharsets.UTF_8);
                    pos = i + 1;
                    return s;
                }
            }
            throw new PgProtocolException("a string in a message has no terminating zero byte");
        }

        public byte[] bytes(int n) throws PgProtocolException {
            if (n < 0) {
                throw new PgProtocolException("negative length " + n + " in a message");
            }
            need(n);
            byte[] out = new byte[n];
            System.arraycopy(b, pos, out, 0, n);
            pos += n;
            return out;
        }

        public void end() throws PgProtocolException {
            if (pos != b.length) {
                throw new PgProtocolException("a message has " + (b.length - pos) + " unexpected bytes at its end");
            }
        }

        private void need(int n) throws PgProtocolException {
            if (n > b.length - pos) {
                throw new PgProtocolException("a message is shorter than its contents say");
            }
        }
    }
}
