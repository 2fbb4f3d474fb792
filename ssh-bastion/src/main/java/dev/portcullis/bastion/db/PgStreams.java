package dev.portcullis.bastion.db;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Buffered socket streams for the proxy's pumps, without the locks of {@code java.io}'s buffered streams (each pump
 * owns its streams) and with {@link In#available()} answering from the buffer alone: the pumps flush when nothing more
 * is buffered, and asking the kernel each time cost a system call per message.
 */
final class PgStreams {

    private PgStreams() {}

    static final class In extends InputStream {
        private final InputStream in;
        private final byte[] buf;
        private int pos;
        private int lim;

        In(InputStream in, int size) {
            this.in = in;
            this.buf = new byte[size];
        }

        @Override
        public int read() throws IOException {
            if (pos == lim && !fill()) {
                return -1;
            }
            return buf[pos++] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (pos == lim) {
                if (len >= buf.length) {
                    return in.read(b, off, len);
                }
                if (!fill()) {
                    return -1;
                }
            }
            int n = Math.min(len, lim - pos);
            System.arraycopy(buf, pos, b, off, n);
            pos += n;
            return n;
        }

        /**
         * Gives back the byte the last {@link #read()} returned, so that another reader can take the stream over at a
         * message's start (the pool's reset, after the server-side pump read a message's type byte).
         */
        void unread() {
            if (pos == 0) {
                throw new IllegalStateException("nothing to give back");
            }
            pos--;
        }

        /** Bytes already received and buffered, here and in a read-ahead buffer beneath; never asks the kernel. */
        @Override
        public int available() {
            return lim - pos + (in instanceof In beneath ? beneath.available() : 0);
        }

        private boolean fill() throws IOException {
            int n = in.read(buf, 0, buf.length);
            if (n <= 0) {
                return false;
            }
            pos = 0;
            lim = n;
            return true;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    static final class Out extends OutputStream {
        private final OutputStream out;
        private final byte[] buf;
        private int count;

        Out(OutputStream out, int size) {
            this.out = out;
            this.buf = new byte[size];
        }

        @Override
        public void write(int b) throws IOException {
            if (count == buf.length) {
                drain();
            }
            buf[count++] = (byte) b;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (len >= buf.length) {
                drain();
                out.write(b, off, len);
                return;
            }
            if (len > buf.length - count) {
                drain();
            }
            System.arraycopy(b, off, buf, count, len);
            count += len;
        }

        void writeInt(int v) throws IOException {
            if (buf.length - count < 4) {
                drain();
            }
            buf[count++] = (byte) (v >>> 24);
            buf[count++] = (byte) (v >>> 16);
            buf[count++] = (byte) (v >>> 8);
            buf[count++] = (byte) v;
        }

        @Override
        public void flush() throws IOException {
            drain();
            out.flush();
        }

        private void drain() throws IOException {
            if (count > 0) {
                out.write(buf, 0, count);
                count = 0;
            }
        }

        @Override
        public void close() throws IOException {
            out.close();
        }
    }
}
