package dev.portcullis.bastion.db;

import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;

/**
 * A client connection whose input is read ahead into a buffer. The JDK's TLS socket reads each record with two system
 * calls, its five-byte header and then its body, straight from the socket's stream; layered over this socket, one call
 * takes whatever the kernel holds (the whole record, often several), which saves a read per statement. The buffer is
 * empty until the TLS socket reads through it: before that, the proxy reads the startup with buffers larger than this
 * one, which pass it by, so bytes sent after an SSLRequest are still seen by the proxy's own check.
 */
final class ReadAheadSocket extends Socket {

    /** A TLS record is at most 16 KiB of data plus its header and tag: room for two. */
    private static final int BUFFER = 34 * 1024;

    private PgStreams.In in;

    private ReadAheadSocket() {}

    @Override
    public synchronized InputStream getInputStream() throws IOException {
        if (in == null) {
            in = new PgStreams.In(super.getInputStream(), BUFFER);
        }
        return in;
    }

    /** The proxy's listening socket: it accepts {@link ReadAheadSocket}s. */
    static final class Listener extends ServerSocket {

        Listener() throws IOException {}

        @Override
        public Socket accept() throws IOException {
            if (isClosed()) {
                throw new SocketException("Socket is closed");
            }
            Socket s = new ReadAheadSocket();
            implAccept(s);
            return s;
        }
    }
}
