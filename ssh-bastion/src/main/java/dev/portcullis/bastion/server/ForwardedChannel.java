package dev.portcullis.bastion.server;

import dev.portcullis.bastion.session.LiveSession;
import dev.portcullis.bastion.session.SessionLedger;
import dev.portcullis.bastion.session.SessionOpening;
import dev.portcullis.bastion.session.SessionServices;
import dev.portcullis.bastion.upstream.TargetCredentials;
import dev.portcullis.recording.RecordingMetadata;
import dev.portcullis.recording.event.ForwardEvent;
import dev.portcullis.workflow.grant.ActiveGrant;
import dev.portcullis.workflow.port.GrantAuthority;
import dev.portcullis.workflow.port.SessionStatus;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;
import org.apache.sshd.client.channel.ChannelDirectTcpip;
import org.apache.sshd.client.future.DefaultOpenFuture;
import org.apache.sshd.client.future.OpenFuture;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.channel.ChannelAsyncOutputStream;
import org.apache.sshd.common.channel.StreamingChannel;
import org.apache.sshd.common.channel.exception.SshChannelOpenException;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;
import org.apache.sshd.common.util.net.SshdSocketAddress;
import org.apache.sshd.server.channel.AbstractServerChannel;

/**
 * A TCP connection forwarded through a {@code login+target} session ({@code ssh -L}, {@code ssh -D}), opened only when
 * the broker says the grant's rule allows port forwarding. The bastion opens the same forward from the target over
 * its upstream login, so the connection leaves from the target as it would without the bastion. The bytes are
 * counted and recorded as a {@link ForwardEvent}, one recording and one session index entry per connection.
 */
final class ForwardedChannel extends AbstractServerChannel implements LiveSession {

    private static final Logger LOG = Logger.getLogger(ForwardedChannel.class.getName());

    private final SessionServices services;
    private final SessionLedger ledger;
    private final AtomicBoolean finished = new AtomicBoolean();
    private final Deque<Buffer> pending = new ArrayDeque<>();
    private boolean writing;
    private boolean eofPending;
    private volatile ChannelDirectTcpip upstream;
    private volatile ChannelAsyncOutputStream out;
    private String host;
    private int port;
    private String origin;

    private final ChannelLimits limits;

    ForwardedChannel(SessionServices services, ChannelLimits limits) {
        super("", java.util.List.of(), null);
        this.services = services;
        this.limits = limits;
        this.ledger = new SessionLedger(services, this);
    }

    @Override
    public OpenFuture open(long recipient, long rwSize, long packetSize, Buffer buffer) {
        return limits.track(this, super.open(recipient, rwSize, packetSize, buffer));
    }

    @Override
    protected OpenFuture doInit(Buffer buffer) {
        host = buffer.getString();
        port = buffer.getInt();
        String originHost = buffer.getString();
        int originPort = buffer.getInt();
        origin = originHost + ":" + originPort;
        DefaultOpenFuture opened = new DefaultOpenFuture(this, new Object());
        try {
            limits.opening().execute(() -> open(opened, new SshdSocketAddress(originHost, originPort)));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            refuse(opened, ChannelLimits.BUSY);
        }
        return opened;
    }

    private void open(DefaultOpenFuture opened, SshdSocketAddress originAddress) {
        try {
            Connection connection = Connection.of(getSession());
            Destination destination = connection == null ? null : connection.destination();
            if (destination == null) {
                refuse(opened, "not a login+target connection");
                return;
            }
            Opening opening = new Opening(opened, connection, destination);
            ActiveGrant active = SessionOpening.open(
                    services, ledger, connection.opening(destination, GrantAuthority.Use.PORT_FORWARDING), opening);
            if (active == null) {
                if (!opened.isDone()) {
                    refuse(opened, "the session ended while the forward was opening");
                }
                return;
            }
            TargetCredentials credentials = opening.credentials;
            ClientSession session = Upstream.open(services, connection, destination, active, credentials);
            ChannelDirectTcpip up = session.createDirectTcpipChannel(originAddress, new SshdSocketAddress(host, port));
            up.setStreaming(StreamingChannel.Streaming.Async);
            up.open().verify(services.connectTimeout());
            upstream = up;
            out = new ChannelAsyncOutputStream(this, SshConstants.SSH_MSG_CHANNEL_DATA);
            signalChannelOpenSuccess(); // MINA's channel listeners must hear of it before the confirmation goes out
            opened.setOpened();
            new Relay(
                            up.getAsyncOut(),
                            out,
                            (b, o, n) -> ledger.bytesOut.addAndGet(n),
                            why -> close(false),
                            services.setup())
                    .start();
            up.addCloseFutureListener(f -> close(false));
            addCloseFutureListener(f -> finish(SessionStatus.CLOSED, null));
        } catch (IOException | RuntimeException e) {
            LOG.log(
                    java.util.logging.Level.WARNING,
                    "forward to " + host + ":" + port + " failed: " + e.getMessage(),
                    e);
            finish(SessionStatus.ERROR, "forward to " + host + ":" + port + " failed: " + e.getMessage());
            if (!opened.isDone()) {
                refuse(opened, "the forward to " + host + ":" + port + " could not be opened");
            }
        }
    }

    /** How a forwarded connection takes part in {@link SessionOpening}: refusals are channel open failures. */
    private final class Opening implements SessionOpening.Protocol {
        private final DefaultOpenFuture opened;
        private final Connection connection;
        private final Destination destination;
        private TargetCredentials credentials;

        Opening(DefaultOpenFuture opened, Connection connection, Destination destination) {
            this.opened = opened;
            this.connection = connection;
            this.destination = destination;
        }

        @Override
        public void refuse(SessionOpening.Step step, String message) {
            ForwardedChannel.this.refuse(opened, message);
        }

        @Override
        public boolean admits(ActiveGrant grant) {
            credentials =
                    services.inventory().get().credentials(destination.target()).orElse(null);
            if (credentials == null) {
                ForwardedChannel.this.refuse(opened, "this bastion holds no credentials for " + destination.target());
                return false;
            }
            return true;
        }

        @Override
        public void describe(RecordingMetadata.Builder metadata, ActiveGrant grant) {
            metadata.title(connection.person() + " forwarding to " + host + ":" + port + " through " + destination)
                    .recordInput(false)
                    .attribute("channel", "port-forward")
                    .attribute("forward", host + ":" + port);
        }

        @Override
        public boolean ended() {
            return finished.get(); // the grant ended while the forward was opening
        }
    }

    private void refuse(DefaultOpenFuture opened, String why) {
        SshChannelOpenException refusal =
                new SshChannelOpenException(getChannelId(), SshConstants.SSH_OPEN_ADMINISTRATIVELY_PROHIBITED, why);
        RefusalReasons.remember(getSession(), getRecipient(), why);
        signalChannelOpenFailure(refusal);
        opened.setException(refusal);
    }

    @Override
    protected void doWriteData(byte[] data, int off, long len) throws IOException {
        ledger.bytesIn.addAndGet(len);
        synchronized (pending) {
            pending.add(ByteArrayBuffer.getCompactClone(data, off, (int) len));
        }
        writeNext();
    }

    private void writeNext() {
        Buffer next;
        synchronized (pending) {
            if (writing) {
                return;
            }
            next = pending.poll();
            if (next == null) {
                if (eofPending) {
                    eofPending = false;
                    upstream.getAsyncIn().close(false); // passes the user's EOF on
                }
                return;
            }
            writing = true;
        }
        int length = next.available();
        try {
            upstream.getAsyncIn().writeBuffer(next).addListener(f -> {
                synchronized (pending) {
                    writing = false;
                }
                if (!f.isWritten()) {
                    close(false);
                    return;
                }
                try {
                    getLocalWindow().release(length); // the user may send more once the target has taken this
                } catch (IOException e) {
                    close(true);
                    return;
                }
                writeNext();
            });
        } catch (IOException e) {
            close(true);
        }
    }

    @Override
    public void handleEof() throws IOException {
        super.handleEof();
        synchronized (pending) {
            eofPending = true;
        }
        writeNext();
    }

    @Override
    protected void doWriteExtendedData(byte[] data, int off, long len) {
        throw new UnsupportedOperationException("a forwarded connection has no extended data");
    }

    @Override
    public void end(SessionStatus status, String message) {
        finish(status, message);
        close(true);
    }

    private void finish(SessionStatus status, String detail) {
        if (!finished.compareAndSet(false, true)) {
            return;
        }
        ChannelDirectTcpip up = upstream;
        if (up != null) {
            up.close(false);
        }
        ledger.close(
                status,
                detail,
                null,
                recording -> recording
                        .events()
                        .record(new ForwardEvent(host, port, origin, ledger.bytesIn.get(), ledger.bytesOut.get())));
    }
}
