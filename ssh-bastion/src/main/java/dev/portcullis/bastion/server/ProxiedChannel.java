package dev.portcullis.bastion.server;

import dev.portcullis.bastion.live.LiveView;
import dev.portcullis.bastion.recording.ScpCommand;
import dev.portcullis.bastion.recording.ScpObserver;
import dev.portcullis.bastion.recording.SftpObserver;
import dev.portcullis.bastion.session.LiveSession;
import dev.portcullis.bastion.session.SessionLedger;
import dev.portcullis.bastion.session.SessionOpening;
import dev.portcullis.bastion.session.SessionServices;
import dev.portcullis.bastion.upstream.TargetCredentials;
import dev.portcullis.bastion.upstream.UpstreamConnector.HostKeyMismatchException;
import dev.portcullis.recording.RecordingFailedException;
import dev.portcullis.recording.RecordingMetadata;
import dev.portcullis.recording.SessionRecording;
import dev.portcullis.recording.event.ExecEvent;
import dev.portcullis.recording.event.FileTransferEvent;
import dev.portcullis.workflow.grant.ActiveGrant;
import dev.portcullis.workflow.port.GrantAuthority.Use;
import dev.portcullis.workflow.port.SessionStatus;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.sshd.client.channel.ClientChannel;
import org.apache.sshd.client.channel.PtyCapableChannelSession;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.channel.PtyChannelConfiguration;
import org.apache.sshd.common.channel.PtyMode;
import org.apache.sshd.common.channel.StreamingChannel;
import org.apache.sshd.common.io.IoInputStream;
import org.apache.sshd.common.io.IoOutputStream;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;
import org.apache.sshd.server.Environment;
import org.apache.sshd.server.ExitCallback;
import org.apache.sshd.server.Signal;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.command.AsyncCommand;

/**
 * One shell, exec or SFTP channel, proxied to the same kind of channel on the target and recorded. Opening asks
 * the broker, starts the recording and enters the session in the index before a single byte reaches the target;
 * every byte is shown to the recorder before it is forwarded, so a recording that fails stops the bytes.
 */
final class ProxiedChannel implements AsyncCommand, LiveSession {

    enum Kind {
        SHELL,
        EXEC,
        SFTP
    }

    private static final Logger LOG = Logger.getLogger(ProxiedChannel.class.getName());
    private static final Duration MESSAGE_WAIT = Duration.ofSeconds(2);

    private final SessionServices services;
    private final Kind kind;
    private final String command;
    private final SessionLedger ledger;
    private final AtomicBoolean finished = new AtomicBoolean();
    private final AtomicInteger openOutputs = new AtomicInteger(2);
    private final CountDownLatch outputsDrained = new CountDownLatch(1);
    private final CountDownLatch done = new CountDownLatch(1);

    private IoInputStream userIn;
    private IoOutputStream userOut;
    private IoOutputStream userErr;
    private ExitCallback exit;
    private ChannelSession channel;
    private Environment env;

    private volatile ClientChannel upstream;
    private volatile SessionLedger.LastWords beforeClose;

    private final ChannelLimits limits;

    ProxiedChannel(SessionServices services, ChannelLimits limits, Kind kind, String command) {
        this.services = services;
        this.limits = limits;
        this.kind = kind;
        this.command = command;
        this.ledger = new SessionLedger(services, this);
    }

    @Override
    public void setIoInputStream(IoInputStream in) {
        this.userIn = in;
    }

    @Override
    public void setIoOutputStream(IoOutputStream out) {
        this.userOut = out;
    }

    @Override
    public void setIoErrorStream(IoOutputStream err) {
        this.userErr = err;
    }

    @Override
    public void setInputStream(java.io.InputStream in) {
        // asynchronous streams only
    }

    @Override
    public void setOutputStream(java.io.OutputStream out) {
        // asynchronous streams only
    }

    @Override
    public void setErrorStream(java.io.OutputStream err) {
        // asynchronous streams only
    }

    @Override
    public void setExitCallback(ExitCallback callback) {
        this.exit = callback;
    }

    @Override
    public void start(ChannelSession channel, Environment env) {
        this.channel = channel;
        this.env = env;
        try {
            limits.opening().execute(this::open);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            refuse(ChannelLimits.BUSY);
        }
    }

    @Override
    public void destroy(ChannelSession channel) {
        // the user closed the channel or the connection
        ClientChannel up = upstream;
        if (up != null) {
            up.close(false);
        }
        finish(SessionStatus.CLOSED, "closed by the client", null, null);
    }

    private void open() {
        try {
            Connection connection = Connection.of(channel.getSession());
            if (connection == null) {
                refuse("not authenticated");
                return;
            }
            Destination destination = connection.destination();
            if (destination == null) {
                String name = channel.getSession().getUsername();
                refuse(
                        name != null && name.contains("+")
                                ? "'" + name
                                        + "' is not LOGIN+TARGET (lower-case letters, digits, '.', '_' and '-', one '+')"
                                : "this connection names no target: use ssh -p PORT LOGIN+TARGET@BASTION, or ssh -J "
                                        + connection.person() + "@BASTION LOGIN@TARGET");
                return;
            }
            Opening opening = new Opening(connection, destination);
            ActiveGrant active = SessionOpening.open(services, ledger, connection.opening(destination, use()), opening);
            if (active == null) {
                return;
            }
            openUpstream(connection, destination, active, opening.credentials);
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "could not open a channel", e);
            fail(
                    SessionStatus.ERROR,
                    "the bastion could not open the session (" + e.getClass().getSimpleName() + ")");
        }
    }

    private Use use() {
        switch (kind) {
            case SHELL:
                return Use.SHELL;
            case SFTP:
                return Use.SFTP;
            default:
                return Use.EXEC;
        }
    }

    /** How a shell, exec or SFTP channel takes part in {@link SessionOpening}: refusals are one line on stderr. */
    private final class Opening implements SessionOpening.Protocol {
        private final Connection connection;
        private final Destination destination;
        private TargetCredentials credentials;

        Opening(Connection connection, Destination destination) {
            this.connection = connection;
            this.destination = destination;
        }

        @Override
        public void refuse(SessionOpening.Step step, String message) {
            ProxiedChannel.this.refuse(message);
        }

        @Override
        public boolean admits(ActiveGrant grant) {
            credentials =
                    services.inventory().get().credentials(destination.target()).orElse(null);
            if (credentials == null) {
                ProxiedChannel.this.refuse("this bastion holds no credentials for " + destination.target()
                        + "; ask an operator to add it to the bastion's inventory");
                return false;
            }
            return true;
        }

        @Override
        public void describe(RecordingMetadata.Builder metadata, ActiveGrant active) {
            Map<String, String> vars = env.getEnv();
            metadata.terminalSize(
                            number(vars.get(Environment.ENV_COLUMNS), 80), number(vars.get(Environment.ENV_LINES), 24))
                    .title(connection.person() + " as " + destination)
                    .recordInput(active.session().recordInput())
                    .attribute("channel", kind.name().toLowerCase());
            if (vars.get(Environment.ENV_TERM) != null) {
                metadata.env("TERM", vars.get(Environment.ENV_TERM));
            }
            if (command != null) {
                metadata.attribute("command", command);
            }
            if (vars.get(org.apache.sshd.agent.SshAgent.SSH_AUTHSOCKET_ENV_NAME) != null
                    && active.session().agentForwarding()) {
                // the target could ask the user's agent to sign while this ran
                metadata.attribute("agentForwarding", "true");
            }
        }

        @Override
        public void started(SessionRecording recording) throws RecordingFailedException {
            if (command != null) {
                recording.events().record(new ExecEvent(command));
            }
        }

        @Override
        public boolean ended() {
            return finished.get(); // the grant ended while we were opening
        }
    }

    private void openUpstream(
            Connection connection, Destination destination, ActiveGrant active, TargetCredentials credentials) {
        ClientChannel up;
        try {
            ClientSession session = Upstream.open(services, connection, destination, active, credentials);
            up = createUpstreamChannel(session);
            up.setStreaming(StreamingChannel.Streaming.Async);
            up.open().verify(services.connectTimeout());
        } catch (HostKeyMismatchException e) {
            LOG.warning(e.getMessage());
            fail(SessionStatus.REFUSED, e.getMessage() + "; the session is refused and reported");
            return;
        } catch (IOException | RuntimeException e) {
            LOG.warning("cannot reach " + destination + ": " + e.getMessage());
            fail(SessionStatus.ERROR, "cannot open " + destination + ": " + oneLine(e));
            return;
        }
        upstream = up;
        if (ending != null || finished.get()) {
            // ended while the target was being reached: close at once, relay nothing, and leave nothing to drain
            up.close(true);
            outputsDrained.countDown();
            return;
        }
        Taps taps = taps(destination);
        beforeClose = taps.beforeClose;
        new Relay(
                        userIn,
                        up.getAsyncIn(),
                        taps.input,
                        why -> {
                            if (why instanceof RecordingFailedException) {
                                end(SessionStatus.RECORDING_FAILED, SessionLedger.RECORDING_FAILED);
                            } else {
                                // the user sent EOF (or went away): pass the EOF on
                                up.getAsyncIn().close(false);
                            }
                        },
                        services.setup())
                .start();
        new Relay(up.getAsyncOut(), userOut, taps.output, this::outputEnded, services.setup()).start();
        new Relay(up.getAsyncErr(), userErr, taps.error, this::outputEnded, services.setup()).start();
        if (up instanceof PtyCapableChannelSession pty) {
            env.addSignalListener((ch, signal) -> resized(pty), Signal.WINCH);
        }
        up.addCloseFutureListener(f -> services.setup().execute(this::upstreamClosed));
    }

    private ClientChannel createUpstreamChannel(ClientSession session) throws IOException {
        Map<String, String> vars = env.getEnv();
        Map<PtyMode, Integer> modes = env.getPtyModes();
        // a pty-req was sent: it always names the terminal type, and its modes may be empty (ssh -tt without a
        // terminal)
        boolean pty = (modes != null && !modes.isEmpty()) || vars.containsKey(Environment.ENV_TERM);
        PtyChannelConfiguration config = new PtyChannelConfiguration();
        if (pty) {
            config.setPtyType(vars.getOrDefault(Environment.ENV_TERM, "xterm"));
            config.setPtyColumns(number(vars.get(Environment.ENV_COLUMNS), 80));
            config.setPtyLines(number(vars.get(Environment.ENV_LINES), 24));
            if (modes != null && !modes.isEmpty()) {
                config.setPtyModes(modes);
            }
        }
        // the filter let the user's agent in only where the rule allows it; then the target gets it too
        String agent = vars.get(org.apache.sshd.agent.SshAgent.SSH_AUTHSOCKET_ENV_NAME);
        ActiveGrant grant = ledger.grant();
        boolean forwardAgent = agent != null && grant != null && grant.session().agentForwarding();
        if (forwardAgent) {
            session.setAttribute(AgentRelay.USER_AGENT, agent);
        }
        switch (kind) {
            case SHELL: {
                var shell = session.createShellChannel(config, Map.of());
                shell.setUsePty(pty);
                shell.setAgentForwarding(forwardAgent);
                return shell;
            }
            case EXEC: {
                var exec = session.createExecChannel(command, config, Map.of());
                exec.setUsePty(pty);
                exec.setAgentForwarding(forwardAgent);
                return exec;
            }
            default:
                return session.createSubsystemChannel("sftp");
        }
    }

    /** @param beforeClose records what is only known at the end (files still open, an scp file cut short) */
    private record Taps(Relay.Tap input, Relay.Tap output, Relay.Tap error, SessionLedger.LastWords beforeClose) {}

    private Taps taps(Destination destination) {
        SessionRecording r = ledger.recording();
        AtomicLong bytesIn = ledger.bytesIn;
        AtomicLong bytesOut = ledger.bytesOut;
        LiveView live = ledger.live();
        live.resized(
                number(env.getEnv().get(Environment.ENV_COLUMNS), 80),
                number(env.getEnv().get(Environment.ENV_LINES), 24));
        Relay.Tap terminalOutput = (b, o, n) -> {
            bytesOut.addAndGet(n);
            r.terminal().output(b, o, n);
            live.output(b, o, n);
        };
        // stderr (SSH extended data) is a stream of its own in the recording, whatever the channel carries
        Relay.Tap errorOutput = (b, o, n) -> {
            bytesOut.addAndGet(n);
            r.terminal().error(b, o, n);
            live.output(b, o, n);
        };
        if (kind == Kind.SFTP) {
            SftpObserver sftp = new SftpObserver(r.events());
            return new Taps(
                    (b, o, n) -> {
                        bytesIn.addAndGet(n);
                        sftp.fromClient(b, o, n);
                        r.sync(); // file operations are in storage before they reach the target
                    },
                    (b, o, n) -> {
                        bytesOut.addAndGet(n);
                        sftp.fromServer(b, o, n);
                    },
                    errorOutput,
                    recording -> sftp.close());
        }
        ScpCommand scp = ScpCommand.parse(command).orElse(null);
        if (scp != null) {
            // file content is counted and its control lines recorded as file events; every other byte is recorded
            ScpObserver observer = new ScpObserver(r, scp);
            boolean upload = scp.direction() == FileTransferEvent.Direction.UPLOAD;
            return new Taps(
                    (b, o, n) -> {
                        bytesIn.addAndGet(n);
                        if (upload) {
                            observer.fromSender(b, o, n);
                        } else {
                            observer.fromReceiver(b, o, n);
                        }
                        if (observer.takeRecorded()) {
                            r.sync(); // control lines and anything not scp are in storage before they reach the target
                        }
                    },
                    (b, o, n) -> {
                        bytesOut.addAndGet(n);
                        if (upload) {
                            observer.fromReceiver(b, o, n);
                        } else {
                            observer.fromSender(b, o, n);
                        }
                    },
                    errorOutput,
                    recording -> observer.close());
        }
        return new Taps(
                (b, o, n) -> {
                    bytesIn.addAndGet(n);
                    r.terminal().input(b, o, n);
                    r.sync(); // keystrokes are in storage before they reach the target
                },
                terminalOutput,
                errorOutput,
                null);
    }

    private void resized(PtyCapableChannelSession pty) {
        Map<String, String> vars = env.getEnv();
        int columns = number(vars.get(Environment.ENV_COLUMNS), 80);
        int rows = number(vars.get(Environment.ENV_LINES), 24);
        try {
            ledger.recording().terminal().resize(columns, rows);
            ledger.live().resized(columns, rows);
            pty.sendWindowChange(columns, rows);
        } catch (RecordingFailedException e) {
            end(SessionStatus.RECORDING_FAILED, SessionLedger.RECORDING_FAILED);
        } catch (IOException e) {
            LOG.fine(() -> "window change not forwarded: " + e.getMessage());
        }
    }

    private void outputEnded(Throwable why) {
        if (why != null && !(why instanceof RecordingFailedException)) {
            LOG.fine(() -> "output relay ended: " + why);
        }
        if (why instanceof RecordingFailedException) {
            end(SessionStatus.RECORDING_FAILED, SessionLedger.RECORDING_FAILED);
        }
        if (openOutputs.decrementAndGet() == 0) {
            outputsDrained.countDown();
            ClientChannel up = upstream;
            if (up != null && up.isClosed()) {
                services.setup().execute(this::upstreamClosed);
            }
        }
    }

    /** The target closed the channel: once its last bytes reached the user, hand its exit status on. */
    private void upstreamClosed() {
        if (outputsDrained.getCount() > 0) {
            return; // outputEnded calls again once both streams are drained
        }
        ClientChannel up = upstream;
        Integer status = up == null ? null : up.getExitStatus();
        if (status == null && up != null && up.getExitSignal() != null) {
            status = 128 + 15;
        }
        Ending why = ending;
        if (why != null) {
            finish(why.status(), why.message(), null, why.message());
        } else {
            finish(SessionStatus.CLOSED, null, status, null);
        }
    }

    /** Why the bastion is ending this channel, once it has decided to (so the target's close does not win the race). */
    private record Ending(SessionStatus status, String message) {}

    private volatile Ending ending;

    @Override
    public void end(SessionStatus status, String message) {
        if (ending == null) {
            ending = new Ending(status, message);
        }
        services.setup().execute(() -> {
            ClientChannel up = upstream;
            if (up != null) {
                up.close(true);
                try {
                    // closing the target's channel ends both output relays once what they read is written
                    outputsDrained.await(MESSAGE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            // else the target is still being reached: openUpstream sees the ending and closes what it opened, so
            // there is no output to wait for (waiting here let the session run on after it was ended)
            Ending why = ending;
            finish(why.status(), why.message(), null, why.message());
            try {
                // the target's close may have started the finish on another thread: let its message out first
                done.await(2 * MESSAGE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            // a grant that ended or a recording that failed ends the whole connection, not just this channel; an
            // admin who ends one session ends only this channel (the exit above closes it)
            if (why.status() != SessionStatus.TERMINATED) {
                channel.getSession().close(false);
            }
        });
    }

    private void refuse(String message) {
        finish(SessionStatus.REFUSED, message, 1, message);
    }

    private void fail(SessionStatus status, String message) {
        finish(status, message, 1, message);
    }

    private void finish(SessionStatus status, String detail, Integer exitStatus, String userMessage) {
        if (!finished.compareAndSet(false, true)) {
            return;
        }
        ledger.close(status, detail, exitStatus, beforeClose);
        if (userMessage != null) {
            tell(userMessage);
        }
        if (exit != null) {
            exit.onExit(exitStatus == null ? (userMessage == null ? 0 : 1) : exitStatus, detail == null ? "" : detail);
        }
        done.countDown();
    }

    /** One line on the user's stderr, waited for (briefly) so it arrives before the channel closes. */
    private void tell(String message) {
        IoOutputStream err = userErr;
        if (err == null || err.isClosing()) {
            LOG.warning("message not delivered, stream closing: " + message);
            return;
        }
        byte[] line = ("portcullis: " + message + "\r\n").getBytes(StandardCharsets.UTF_8);
        try {
            err.writeBuffer(new ByteArrayBuffer(line)).verify(MESSAGE_WAIT.toMillis());
        } catch (IOException | RuntimeException e) {
            LOG.warning("message not delivered: " + e);
        }
    }

    private static int number(String text, int fallback) {
        try {
            int n = Integer.parseInt(text);
            return n > 0 && n < 10_000 ? n : fallback;
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    private static String oneLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return m.lines().findFirst().orElse(m);
    }
}
