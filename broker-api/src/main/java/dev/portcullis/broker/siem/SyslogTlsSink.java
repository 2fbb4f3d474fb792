package dev.portcullis.broker.siem;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * Syslog over TLS (RFC 5425): each audit row one RFC 5424 message, octet-counted ({@code LENGTH SP MESSAGE}), on one
 * kept connection whose certificate must verify against the configured CA and name the configured host.
 *
 * <p>TCP syslog has no acknowledgement from the application. A batch counts as taken when it was written and flushed and
 * the connection is still up {@code settle} later (a receiver that went away answers the write with a reset or a close,
 * which a read then sees); before that the batch is sent again on a new connection. So rows arrive at least once: the
 * receiver drops a {@code seq} it has seen. What a receiver took into its socket and then lost (it crashed before
 * writing) is beyond what TCP can tell the sender; rsyslog's disk-assisted queues cover that side.
 */
final class SyslogTlsSink implements SiemSink {

    /** authpriv (10) * 8 + notice (5): security events, normal but significant. */
    static final int PRIORITY = 85;
    /** RFC 5424 SD-ID of the stream's parameters: an enterprise number reserved for documentation (RFC 5612). */
    static final String SD_ID = "portcullis@32473";

    private static final DateTimeFormatter TIMESTAMP =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);

    private final String host;
    private final int port;
    private final String serverName;
    private final SSLContext tls;
    private final String hostname;
    private final Duration timeout;
    private final Duration settle;
    private final ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "siem-syslog-watchdog");
        t.setDaemon(true);
        return t;
    });
    private volatile SSLSocket socket;

    SyslogTlsSink(
            String host,
            int port,
            String serverName,
            SSLContext tls,
            String hostname,
            Duration timeout,
            Duration settle) {
        this.host = host;
        this.port = port;
        this.serverName = serverName;
        this.tls = tls;
        this.hostname = printable(hostname, 255);
        this.timeout = timeout;
        this.settle = settle;
    }

    @Override
    public String name() {
        return "syslog";
    }

    @Override
    public synchronized void deliver(List<AuditRow> batch) throws IOException {
        // a write to a receiver that stopped reading blocks with no timeout of its own: close the socket under it
        ScheduledFuture<?> guard =
                watchdog.schedule(this::abort, timeout.toMillis() + settle.toMillis(), TimeUnit.MILLISECONDS);
        try {
            SSLSocket s = connection();
            OutputStream out = s.getOutputStream();
            StringBuilder frames = new StringBuilder(batch.size() * 600);
            for (AuditRow row : batch) {
                String message = message(row);
                frames.append(message.getBytes(StandardCharsets.UTF_8).length)
                        .append(' ')
                        .append(message);
            }
            out.write(frames.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
            requireOpen(s, settle);
        } catch (IOException | RuntimeException e) {
            abort();
            throw e instanceof IOException io ? io : new IOException(e.getMessage(), e);
        } finally {
            guard.cancel(false);
        }
    }

    /** The RFC 5424 message of one row: header, the stream's structured data, and the row's JSON as MSG. */
    String message(AuditRow row) {
        return "<" + PRIORITY + ">1 " + TIMESTAMP.format(row.at()) + ' ' + hostname + " portcullis - "
                + printable(row.action(), 32) + " [" + SD_ID + " seq=\"" + row.seq() + "\" prevHash=\"" + row.prevHash()
                + "\" hash=\"" + row.hash() + "\"] " + SiemJson.write(SiemJson.event(row));
    }

    private SSLSocket connection() throws IOException {
        if (socket != null) {
            // a connection the receiver closed while we were idle: find out before writing into it
            try {
                requireOpen(socket, Duration.ofMillis(1));
                return socket;
            } catch (IOException closed) {
                abort();
            }
        }
        Socket raw = new Socket();
        try {
            raw.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
            SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket(raw, serverName, port, true);
            SSLParameters parameters = s.getSSLParameters();
            parameters.setEndpointIdentificationAlgorithm("HTTPS"); // the certificate must name serverName
            if (!serverName.matches("[0-9.]+|.*:.*")) {
                parameters.setServerNames(List.of(new SNIHostName(serverName)));
            }
            s.setSSLParameters(parameters);
            s.setSoTimeout((int) timeout.toMillis());
            s.startHandshake();
            socket = s;
            return s;
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
    }

    /** The receiver never sends application data: a read that times out means the connection is up. */
    private static void requireOpen(SSLSocket s, Duration wait) throws IOException {
        int before = s.getSoTimeout();
        s.setSoTimeout((int) Math.max(1, wait.toMillis()));
        try {
            InputStream in = s.getInputStream();
            if (in.read() < 0) {
                throw new IOException("the syslog receiver closed the connection");
            }
        } catch (SocketTimeoutException stillOpen) {
            // what we hoped for
        } finally {
            if (!s.isClosed()) {
                s.setSoTimeout(before);
            }
        }
    }

    private void abort() {
        // called by the watchdog too, without the sink's lock: closing is what unblocks a stuck write
        SSLSocket s = socket;
        socket = null;
        if (s != null) {
            try {
                s.close();
            } catch (IOException ignored) {
                // going away anyway
            }
        }
    }

    @Override
    public void close() {
        watchdog.shutdownNow();
        abort();
    }

    /** RFC 5424 PRINTUSASCII, at most {@code max} characters; "-" (the nil value) when nothing is left. */
    static String printable(String value, int max) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < value.length() && out.length() < max; i++) {
            char c = value.charAt(i);
            out.append(c >= 33 && c <= 126 ? c : '_');
        }
        return out.length() == 0 ? "-" : out.toString();
    }
}
