package dev.portcullis.bastion.db;

import dev.portcullis.bastion.live.LiveView;
import dev.portcullis.bastion.session.LiveSession;
import dev.portcullis.bastion.session.SessionLedger;
import dev.portcullis.bastion.session.SessionOpening;
import dev.portcullis.bastion.upstream.DatabaseTarget;
import dev.portcullis.recording.RecordingFailedException;
import dev.portcullis.recording.RecordingMetadata;
import dev.portcullis.recording.event.QueryEvent;
import dev.portcullis.workflow.grant.ActiveGrant;
import dev.portcullis.workflow.policy.AccessLevel;
import dev.portcullis.workflow.port.DatabaseCredentials;
import dev.portcullis.workflow.port.GrantAuthority;
import dev.portcullis.workflow.port.SessionStatus;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.net.ssl.SSLSocket;

/**
 * One client connection to the database proxy, from its first byte to its end:
 * <ol>
 * <li>TLS when the client asks (SSLRequest) and, unless configured otherwise, required before the password;</li>
 * <li>the startup: {@code user} is the database role, {@code database} the target's name in the policy;</li>
 * <li>the password is a database credential from the broker, which says whose it is;</li>
 * <li>the broker's {@link GrantAuthority} decides whether that person holds a live grant for that role on that target;</li>
 * <li>the proxy logs in upstream with the role's password from the inventory (SCRAM-SHA-256 only; read grants: a role
 *     the inventory marks readOnly, checked by {@link ReadOnlyRoleCheck} to hold no privilege that could write, in
 *     read-only mode);</li>
 * <li>two pumps relay messages; every statement is recorded with its outcome ({@link QueryLog}); a read-only session
 *     never sends a statement that could leave read-only mode ({@link ReadOnlyGuard});</li>
 * <li>the grant's end (timer or broker event) ends the connection with a FATAL error the client shows.</li>
 * </ol>
 * Anything the client sends out of protocol closes the connection with a protocol error and forwards nothing of it.
 */
final class DatabaseSession implements LiveSession, Runnable {

    private static final Logger LOG = Logger.getLogger(DatabaseSession.class.getName());

    private static final int MAX_PASSWORD = 1024;
    private static final int MAX_SERVER_MESSAGE = Integer.MAX_VALUE - 16;
    /** Server messages the proxy reads whole to understand them; all others stream through. */
    private static final String INSPECTED = String.valueOf(new char[] {
        PgMessageType.COMMAND_COMPLETE,
        PgMessageType.ERROR_RESPONSE,
        PgMessageType.EMPTY_QUERY_RESPONSE,
        PgMessageType.PORTAL_SUSPENDED,
        PgMessageType.READY_FOR_QUERY,
        PgMessageType.PARAMETER_STATUS,
        PgMessageType.BACKEND_KEY_DATA
    });

    private static final int MAX_INSPECTED = 1024 * 1024;

    private final DatabaseProxy proxy;
    private Socket client;
    private InputStream clientIn;
    private PgStreams.Out clientOut;
    private volatile boolean started;
    private final ReentrantLock clientWrite = new ReentrantLock();
    private final SessionLedger ledger;
    private final AtomicBoolean finished = new AtomicBoolean();
    private final String clientAddress;
    private volatile PgUpstream upstream;
    /** The upstream socket while the proxy logs in, so that the watchdog can close it too. */
    private volatile Socket upstreamSocket;

    private volatile SessionStatus endStatus;
    private volatile String endDetail;
    private boolean tls;
    private boolean readOnly;
    private String grantName;
    private QueryLog log;
    private ClientMessages clientMessages;
    private long cancelKey = -1;

    // ---- the server connection's pooling (see UpstreamPool, ServerReset)
    /** Where the server connection goes back to when the client leaves cleanly; null when it is not pooled. */
    private UpstreamPool.Key poolKey;
    /** The inventory's settings the server connection was opened with. */
    private DatabaseTarget openedWith;
    /** Queries, Syncs and function calls sent that the server has not yet answered with ReadyForQuery. */
    private final AtomicInteger awaitingReady = new AtomicInteger();
    /** Extended-protocol messages sent since the last Sync: the server may still hold their state. */
    private boolean unsynced;
    /** The transaction status of the server's last ReadyForQuery. */
    private volatile char transactionStatus = PgMessageType.IDLE;
    /** The client left cleanly and the server connection is being reset for the pool: it is not closed with it. */
    private volatile boolean releasing;

    /** The source address's pre-login slot, held until a valid credential arrives or the connection ends. */
    private final String source;

    private final AtomicBoolean preLogin = new AtomicBoolean(true);

    DatabaseSession(DatabaseProxy proxy, Socket client, String source) {
        this.proxy = proxy;
        this.client = client;
        this.source = source;
        this.ledger = new SessionLedger(proxy.services(), this);
        this.clientAddress = client.getInetAddress().getHostAddress() + ":" + client.getPort();
    }

    @Override
    public void run() {
        try {
            client.setTcpNoDelay(true);
            // A watchdog instead of a socket timeout: a timeout would put the socket in non-blocking mode for good,
            // and every later read would cost a poll on top of the read.
            ScheduledFuture<?> watchdog = proxy.watchdog()
                    .schedule(
                            () -> {
                                if (!started) {
                                    tellAndEnd(
                                            SessionStatus.ERROR,
                                            SqlState.PROTOCOL_VIOLATION,
                                            "the connection did not start up and log in within "
                                                    + proxy.options()
                                                            .startupTimeout()
                                                            .toSeconds() + " s");
                                }
                            },
                            proxy.options().startupTimeout().toMillis(),
                            TimeUnit.MILLISECONDS);
            ScheduledFuture<?> preLoginWatchdog = proxy.watchdog()
                    .schedule(
                            () -> {
                                if (preLogin.get()) {
                                    tellAndEnd(
                                            SessionStatus.ERROR,
                                            SqlState.PROTOCOL_VIOLATION,
                                            "the connection did not send a valid credential within "
                                                    + proxy.options()
                                                            .preLoginTimeout()
                                                            .toSeconds() + " s");
                                }
                            },
                            proxy.options().preLoginTimeout().toMillis(),
                            TimeUnit.MILLISECONDS);
            streams();
            boolean open;
            try {
                open = handshake();
            } finally {
                started = true;
                watchdog.cancel(false);
                preLoginWatchdog.cancel(false);
                endPreLogin();
            }
            if (!open || finished.get()) {
                return;
            }
            Thread serverPump = new Thread(this::serverToClient, "db-server-" + clientAddress);
            serverPump.setDaemon(true);
            serverPump.start();
            clientToServer();
        } catch (PgProtocolException e) {
            LOG.fine(() -> "protocol violation from " + clientAddress + ": " + e.getMessage());
            tellAndEnd(SessionStatus.ERROR, SqlState.PROTOCOL_VIOLATION, "protocol violation: " + e.getMessage());
        } catch (IOException e) {
            finish(SessionStatus.CLOSED, "connection lost: " + e.getMessage());
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "database session from " + clientAddress + " failed", e);
            tellAndEnd(
                    SessionStatus.ERROR,
                    SqlState.INTERNAL_ERROR,
                    "the proxy could not handle this connection ("
                            + e.getClass().getSimpleName() + ")");
        } finally {
            closeSockets();
            finish(SessionStatus.CLOSED, "closed by the client");
        }
    }

    private void streams() throws IOException {
        clientIn = new PgStreams.In(client.getInputStream(), 64 * 1024);
        clientOut = new PgStreams.Out(client.getOutputStream(), 64 * 1024);
    }

    // ---- start-up, authentication, authorization

    /** @return true when the session is open and the pumps may run */
    private boolean handshake() throws IOException {
        PgFrontend frontend = new PgFrontend(clientIn, proxy.options().maxMessage());
        PgFrontend.First first = null;
        for (int round = 0; round < 3; round++) {
            first = frontend.readFirst();
            if (first == null) {
                return false;
            }
            if (first.code() == PgFrontend.SSL_REQUEST || first.code() == PgFrontend.GSS_ENC_REQUEST) {
                if (first.body().length != 0 || frontend.pending() != 0) {
                    throw new PgProtocolException("unexpected data after an encryption request");
                }
                boolean ssl = first.code() == PgFrontend.SSL_REQUEST
                        && proxy.options().tls() != null
                        && !tls;
                clientOut.write(ssl ? PgMessageType.ENCRYPTION_ACCEPTED : PgMessageType.ENCRYPTION_REFUSED);
                clientOut.flush();
                if (ssl) {
                    SSLSocket s = (SSLSocket)
                            proxy.options().tls().getSocketFactory().createSocket(client, null, client.getPort(), true);
                    s.setUseClientMode(false);
                    s.setEnabledProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
                    s.startHandshake();
                    client = s;
                    tls = true;
                    streams();
                    frontend = new PgFrontend(clientIn, proxy.options().maxMessage());
                }
                continue;
            }
            break;
        }
        if (first.code() == PgFrontend.CANCEL_REQUEST) {
            PgFrontend.CancelKey key = PgFrontend.cancelRequest(first);
            proxy.cancelKeys().cancel(key.pid(), key.secret(), proxy.services().connectTimeout());
            return false;
        }
        if (first.code() >>> 16 != 3) {
            throw new PgProtocolException("unsupported frontend protocol " + (first.code() >>> 16) + "."
                    + (first.code() & 0xffff) + ": the proxy speaks 3.0");
        }
        PgFrontend.Startup startup = PgFrontend.startup(first.body());
        if (first.code() != PgFrontend.PROTOCOL_3_0
                || startup.parameters().keySet().stream().anyMatch(k -> k.startsWith("_pq_."))) {
            clientOut.write(PgOutput.negotiateProtocolVersion(startup.parameters().keySet().stream()
                    .filter(k -> k.startsWith("_pq_."))
                    .toList()));
        }
        if (proxy.options().tlsRequired() && !tls) {
            return refuse(
                    SqlState.INVALID_AUTHORIZATION,
                    "the Portcullis database proxy requires TLS: connect with sslmode=require (or verify-full)");
        }
        String role = startup.parameters().get("user");
        if (role == null || role.isBlank()) {
            return refuse(SqlState.INVALID_AUTHORIZATION, "no user name: connect with user=ROLE dbname=TARGET");
        }
        String target = startup.parameters().getOrDefault("database", role);
        Map<String, String> passed;
        try {
            passed = StartupParameters.passed(startup.parameters());
        } catch (StartupParameters.Refused e) {
            return refuse(SqlState.INVALID_AUTHORIZATION, e.getMessage());
        }

        DatabaseCredentials.Holder holder = authenticate(role, target);
        if (holder == null) {
            return false;
        }
        String person = holder.username();
        endPreLogin();
        Opening opening = new Opening(person, role, target, passed);
        ActiveGrant grant = SessionOpening.open(
                proxy.services(),
                ledger,
                new SessionOpening.Request(
                        new GrantAuthority.Ask(person, target, role, GrantAuthority.Use.DATABASE, holder.account()),
                        "postgres",
                        clientAddress),
                opening);
        if (grant == null) {
            return false;
        }
        return openUpstream(grant, opening.credentials, role, opening.password, passed);
    }

    /**
     * How a database session takes part in {@link SessionOpening}: refusals are FATAL errors, and a read grant needs a
     * role the inventory marks read-only and a client encoding {@link ReadOnlyGuard} reads as the server does. The
     * broker is asked with the credential's account: a grant another account holds under the same name is not this
     * one's.
     */
    private final class Opening implements SessionOpening.Protocol {
        private final String person;
        private final String role;
        private final String target;
        private final Map<String, String> passed;
        private DatabaseTarget credentials;
        private String password;

        Opening(String person, String role, String target, Map<String, String> passed) {
            this.person = person;
            this.role = role;
            this.target = target;
            this.passed = passed;
        }

        @Override
        public void refuse(SessionOpening.Step step, String message) throws IOException {
            DatabaseSession.this.refuse(
                    step == SessionOpening.Step.NO_GRANT ? SqlState.INVALID_AUTHORIZATION : SqlState.CANNOT_CONNECT_NOW,
                    message);
        }

        @Override
        public boolean admits(ActiveGrant grant) throws IOException {
            credentials = proxy.services().inventory().get().database(target).orElse(null);
            if (credentials == null) {
                return DatabaseSession.this.refuse(
                        SqlState.INVALID_AUTHORIZATION,
                        "this bastion holds no credentials for " + target
                                + "; ask an operator to add it to the bastion's inventory");
            }
            password = credentials.passwordFor(role).orElse(null);
            if (password == null) {
                return DatabaseSession.this.refuse(
                        SqlState.INVALID_AUTHORIZATION,
                        "this bastion holds no password for role " + role + " on " + target
                                + "; ask an operator to add it to the bastion's inventory");
            }
            readOnly = grant.access() == AccessLevel.READ;
            grantName = role + "@" + target;
            if (readOnly && !credentials.readOnly(role)) {
                return DatabaseSession.this.refuse(
                        SqlState.INVALID_AUTHORIZATION,
                        "role " + role + " on " + target
                                + " is not marked readOnly in the bastion's inventory, so it cannot serve a read grant; ask an"
                                + " operator to use a read-only role for read grants");
            }
            String encoding = readOnly ? StartupParameters.unsafeEncoding(passed) : null;
            if (encoding != null) {
                return DatabaseSession.this.refuse(
                        SqlState.INVALID_PARAMETER_VALUE,
                        "client_encoding "
                                + PgOutput.oneLine(encoding)
                                + " is not allowed under a read-only grant (its characters can hide"
                                + " quotes and backslashes); use UTF8");
            }
            log = new QueryLog(target, grant.session().recordQueryParameters());
            clientMessages = new ClientMessages(log, readOnly, grantName);
            return true;
        }

        @Override
        public void describe(RecordingMetadata.Builder metadata, ActiveGrant grant) {
            metadata.title(person + " as " + role + "@" + target + " (postgres)")
                    .recordInput(true)
                    .attribute("protocol", "postgres")
                    .attribute("access", readOnly ? "read" : "write")
                    .attribute("client", clientAddress);
        }

        @Override
        public boolean ended() {
            return finished.get(); // the grant ended while the session was opening
        }
    }

    /** Asks for the password and has the broker say whose it is; null (connection refused) when nobody's. */
    private DatabaseCredentials.Holder authenticate(String role, String target) throws IOException {
        clientOut.write(
                PgOutput.authentication(3)); // cleartext: the client is on TLS, and the credential is single-purpose
        clientOut.flush();
        // before anyone is authenticated, nothing larger than a password is read
        PgMessage m = new PgFrontend(clientIn, MAX_PASSWORD).read();
        if (m == null) {
            return null;
        }
        String credential = PgFrontend.password(m);
        try {
            DatabaseCredentials.Holder person =
                    proxy.credentials().holderOf(credential, target).orElse(null);
            if (person == null) {
                LOG.warning("database login as " + role + "@" + target + " from " + clientAddress
                        + " refused: not a valid database credential for this target");
                refuse(
                        SqlState.INVALID_PASSWORD,
                        "password authentication failed for user \"" + role
                                + "\": use a database credential from the broker "
                                + "for " + target + " (POST /api/v1/db/credentials at "
                                + proxy.services().portalUrl()
                                + ") as the password");
            }
            return person;
        } catch (GrantAuthority.AuthorityUnavailableException e) {
            LOG.warning("broker unreachable, refusing a database login: " + e.getMessage());
            refuse(SqlState.CANNOT_CONNECT_NOW, SessionOpening.AUTHORITY_UNAVAILABLE);
            return null;
        }
    }

    private boolean openUpstream(
            ActiveGrant grant, DatabaseTarget credentials, String role, String password, Map<String, String> passed)
            throws IOException {
        // the address comes from the bastion's inventory only: the policy may not send the role's login elsewhere
        String host = credentials.host();
        int port = credentials.port();
        String database = credentials.database() != null
                ? credentials.database()
                : grant.target().database();
        Map<String, String> startup = new LinkedHashMap<>();
        startup.put("user", role);
        startup.put("database", database == null ? role : database);
        startup.putAll(passed);
        if (readOnly) {
            // the server refuses every write itself; ReadOnlyGuard keeps the session from leaving this mode
            startup.put("options", "-c default_transaction_read_only=on");
        }
        UpstreamPool.Key key = proxy.pool().enabled()
                ? new UpstreamPool.Key(credentials.name(), role, readOnly, startup.get("database"), passed)
                : null;
        PgUpstream up = key == null ? null : pooled(key, credentials, role);
        try {
            if (up == null) {
                up = PgUpstream.connect(
                        host,
                        port,
                        credentials.tls(),
                        startup,
                        password,
                        proxy.services().connectTimeout(),
                        socket -> upstreamSocket = socket);
            }
        } catch (PgUpstream.UnsafeLogin e) {
            LOG.warning(
                    "the server of " + grantName + " at " + host + ":" + port + " is not trusted: " + e.getMessage());
            endStatus = SessionStatus.ERROR;
            return refuse(
                    SqlState.INVALID_AUTHORIZATION,
                    "the server of " + grantName + " is not trusted, so the proxy did not log in: " + e.getMessage());
        } catch (PgUpstream.ServerRefused e) {
            LOG.warning("the server of " + grantName + " refused the proxy: " + e.getMessage());
            endStatus = SessionStatus.ERROR;
            return refuse(e.sqlState, "the server of " + grantName + " refused the proxy's login: " + e.getMessage());
        } catch (IOException | RuntimeException e) {
            LOG.warning("cannot reach " + grantName + " at " + host + ":" + port + ": " + e.getMessage());
            endStatus = SessionStatus.ERROR;
            return refuse(SqlState.UNABLE_TO_CONNECT, "cannot reach " + grantName + ": " + e.getMessage());
        }
        upstream = up;
        upstreamSocket = null; // closed with the upstream from now on, and not when it goes back to the pool
        poolKey = key;
        openedWith = credentials;
        if (finished.get()) {
            up.close();
            return false;
        }
        // Not cached with the pooled connection: privileges are the catalogs' state, not the connection's, and a
        // GRANT between two logins must refuse the next one, as it did before connections were kept.
        if (readOnly && !readOnlyRole(up, role)) {
            up.close();
            return false;
        }
        cancelKey = proxy.cancelKeys().register(up.address, up.backendPid, up.backendSecret);
        clientWrite.lock();
        try {
            clientOut.write(PgOutput.authentication(0));
            for (byte[] status : up.parameterStatusMessages()) {
                clientOut.write(status);
            }
            clientOut.write(PgOutput.backendKeyData(CancelKeys.pid(cancelKey), CancelKeys.secret(cancelKey)));
            clientOut.write(PgOutput.readyForQuery(PgMessageType.IDLE));
            clientOut.flush();
        } finally {
            clientWrite.unlock();
        }
        LOG.info(() -> "database session " + ledger.id() + ": " + ledger.grant().holder() + " as " + grantName
                + (readOnly ? " (read-only)" : "") + " from " + clientAddress);
        return true;
    }

    /**
     * A kept server connection for this key, checked once more when it sat idle a while (see {@link ServerReset}); null
     * when there is none fit to use, and the proxy logs in afresh.
     */
    private PgUpstream pooled(UpstreamPool.Key key, DatabaseTarget credentials, String role) {
        for (int tries = 0; tries < 3; tries++) {
            UpstreamPool.Lease lease = proxy.pool().take(key, credentials);
            if (lease == null) {
                return null;
            }
            PgUpstream up = lease.upstream();
            upstreamSocket = up.socket; // so that the start-up watchdog can close it too
            String why = lease.check() ? ServerReset.check(up, key.readOnly(), role) : null;
            if (why == null && !up.socket.isClosed()) {
                return up;
            }
            LOG.fine(() -> "a kept connection for " + grantName + " was not fit to use: " + why);
            up.close();
        }
        return null;
    }

    /** The database's own privileges are what keep a read grant from writing; see {@link ReadOnlyRoleCheck}. */
    private boolean readOnlyRole(PgUpstream up, String role) throws IOException {
        String why;
        try {
            why = ReadOnlyRoleCheck.whyNotReadOnly(up);
        } catch (IOException e) {
            LOG.warning("cannot check the privileges of " + grantName + ": " + e.getMessage());
            endStatus = SessionStatus.ERROR;
            return refuse(
                    SqlState.INSUFFICIENT_PRIVILEGE,
                    "cannot check that role " + role + " is read-only, so the read grant is not served: "
                            + PgOutput.oneLine(e.getMessage()));
        }
        if (why == null) {
            return true;
        }
        LOG.warning("refusing a read grant on " + grantName + ": the role can write (" + why + ")");
        return refuse(
                SqlState.INSUFFICIENT_PRIVILEGE,
                "role " + role + " cannot serve a read grant: the server lets it write (" + PgOutput.oneLine(why)
                        + "); ask an operator to take that privilege away from the role");
    }

    private boolean refuse(SqlState sqlState, String message) throws IOException {
        return refuse(sqlState.code(), message);
    }

    private boolean refuse(String sqlState, String message) throws IOException {
        clientWrite.lock();
        try {
            clientOut.write(PgOutput.fatal(sqlState, "portcullis: " + message));
            clientOut.flush();
        } finally {
            clientWrite.unlock();
        }
        endStatus = endStatus == null ? SessionStatus.REFUSED : endStatus;
        endDetail = endDetail == null ? message : endDetail;
        return false;
    }

    // ---- the two pumps

    private void clientToServer() {
        PgFrontend frontend = new PgFrontend(clientIn, proxy.options().maxMessage());
        PgStreams.Out out = upstream.out;
        try {
            while (true) {
                PgMessage m = frontend.read();
                if (m == null || m.typeChar() == 'X') {
                    if (release()) {
                        return;
                    }
                }
                if (m == null) {
                    finish(SessionStatus.CLOSED, "closed by the client");
                    return;
                }
                ledger.bytesIn.addAndGet(m.body().length + 5L);
                PgMessage sent = clientMessages.inspect(m);
                switch (sent.typeChar()) {
                    case 'Q', 'S', 'F' -> {
                        awaitingReady.incrementAndGet(); // before it is sent: the answer may come at once
                        unsynced = false;
                    }
                    case 'H', 'd', 'c', 'f' -> {
                        // no state of their own: a flush, and COPY data the server ignores outside a COPY
                    }
                    default -> unsynced = true;
                }
                out.write(sent.type());
                out.writeInt(sent.body().length + 4);
                out.write(sent.body());
                if (m.typeChar() == 'X') {
                    out.flush();
                    finish(SessionStatus.CLOSED, "closed by the client");
                    return;
                }
                if (clientIn.available() == 0) {
                    out.flush();
                }
            }
        } catch (PgProtocolException e) {
            tellAndEnd(SessionStatus.ERROR, SqlState.PROTOCOL_VIOLATION, "protocol violation: " + e.getMessage());
        } catch (ClientMessages.Refused e) {
            tellAndEnd(SessionStatus.REFUSED, SqlState.READ_ONLY_SQL_TRANSACTION, e.getMessage());
        } catch (IOException e) {
            finish(SessionStatus.CLOSED, finished.get() ? endDetail : "connection lost: " + e.getMessage());
        } finally {
            closeSockets();
        }
    }

    /**
     * The client left (Terminate or end of stream) with the server idle, outside a transaction, owing it nothing: the
     * server connection is reset for the next person instead of closed. The reset is sent here; the server-side pump,
     * which owns reading from the server, reads its answer ({@link #handOver}). The session ends for the client now.
     */
    private boolean release() {
        if (poolKey == null
                || finished.get()
                || awaitingReady.get() != 0
                || unsynced
                || transactionStatus != PgMessageType.IDLE) {
            return false;
        }
        releasing = true;
        try {
            ServerReset.send(upstream, readOnly);
        } catch (IOException e) {
            releasing = false;
            return false;
        }
        finish(SessionStatus.CLOSED, "closed by the client");
        return true;
    }

    /**
     * Reads the reset's answer on the server-side pump and keeps the connection when it is clean; otherwise, or when
     * the server does not answer within the connect timeout, closes it. Runs after the session has ended.
     */
    private void handOver(PgUpstream up) {
        AtomicBoolean done = new AtomicBoolean();
        ScheduledFuture<?> bound = proxy.watchdog()
                .schedule(
                        () -> {
                            if (!done.get()) {
                                up.close();
                            }
                        },
                        proxy.services().connectTimeout().toMillis(),
                        TimeUnit.MILLISECONDS);
        String why = ServerReset.await(up, readOnly, poolKey.role());
        done.set(true);
        bound.cancel(false);
        if (why == null && !up.socket.isClosed()) {
            proxy.pool()
                    .give(
                            poolKey,
                            openedWith,
                            proxy.services().inventory().get().database(poolKey.target()),
                            up);
        } else {
            LOG.info(() -> "a server connection for " + grantName + " is closed, not kept: " + why);
            up.close();
        }
    }

    private void serverToClient() {
        PgStreams.In in = upstream.in;
        byte[] copy = new byte[64 * 1024];
        boolean handedOver = false;
        try {
            while (true) {
                int type = in.read();
                if (type >= 0 && releasing) {
                    in.unread();
                    handOver(upstream);
                    handedOver = true; // kept or closed by now; should handOver throw, the finally closes it
                    return;
                }
                if (type < 0) {
                    tellAndEnd(SessionStatus.CLOSED, SqlState.ADMIN_SHUTDOWN, "the server closed the connection");
                    return;
                }
                int length = readInt(in);
                if (length < 4 || length > MAX_SERVER_MESSAGE) {
                    throw new PgProtocolException("the server sent a message of invalid length " + length);
                }
                int bodyLength = length - 4;
                ledger.bytesOut.addAndGet(length + 1L);
                if (INSPECTED.indexOf(type) >= 0 && bodyLength <= MAX_INSPECTED) {
                    byte[] body = in.readNBytes(bodyLength);
                    if (body.length != bodyLength) {
                        throw new EOFException("the server closed the connection");
                    }
                    PgMessage m = inspectServer(new PgMessage((byte) type, body));
                    if (m == null) {
                        return;
                    }
                    clientWrite.lock();
                    try {
                        clientOut.write(m.type());
                        clientOut.writeInt(m.body().length + 4);
                        clientOut.write(m.body());
                        if (in.available() == 0) {
                            clientOut.flush();
                        }
                    } finally {
                        clientWrite.unlock();
                    }
                } else {
                    clientWrite.lock();
                    try {
                        clientOut.write(type);
                        clientOut.writeInt(length);
                        int left = bodyLength;
                        while (left > 0) {
                            int n = in.read(copy, 0, Math.min(copy.length, left));
                            if (n < 0) {
                                throw new EOFException("the server closed the connection");
                            }
                            clientOut.write(copy, 0, n);
                            left -= n;
                        }
                        if (in.available() == 0) {
                            clientOut.flush();
                        }
                    } finally {
                        clientWrite.unlock();
                    }
                }
            }
        } catch (PgProtocolException e) {
            LOG.warning("protocol violation from the server of " + grantName + ": " + e.getMessage());
            tellAndEnd(
                    SessionStatus.ERROR,
                    SqlState.PROTOCOL_VIOLATION,
                    "the server broke the protocol: " + e.getMessage());
        } catch (IOException e) {
            finish(SessionStatus.CLOSED, finished.get() ? endDetail : "connection lost: " + e.getMessage());
        } finally {
            closeSockets();
            if (releasing && !handedOver) {
                upstream.close(); // the pump failed before the reset's answer: nothing to keep
            }
        }
    }

    /** Records what the server's answer completes; returns the message to pass on, or null when the session ended. */
    private PgMessage inspectServer(PgMessage m) throws IOException {
        List<QueryEvent> done = List.of();
        switch (m.typeChar()) {
            case PgMessageType.COMMAND_COMPLETE -> done = log.commandComplete(PgBackend.commandTag(m));
            case PgMessageType.EMPTY_QUERY_RESPONSE -> done = log.emptyQuery();
            case PgMessageType.PORTAL_SUSPENDED -> done = log.portalSuspended();
            case PgMessageType.READY_FOR_QUERY -> done = log.readyForQuery();
            case PgMessageType.ERROR_RESPONSE -> {
                Map<Character, String> fields = PgBackend.errorFields(m);
                String sqlState = fields.getOrDefault(PgMessageType.FIELD_SQLSTATE, SqlState.INTERNAL_ERROR.code());
                done = log.error(sqlState, fields.getOrDefault(PgMessageType.FIELD_MESSAGE, ""));
                if (readOnly
                        && SqlState.READ_ONLY_SQL_TRANSACTION.code().equals(sqlState)
                        && !fields.containsKey(PgMessageType.FIELD_HINT)) {
                    m = PgOutput.withHint(
                            m,
                            "your Portcullis grant for " + grantName
                                    + " is read-only; request write access to change data");
                }
            }
            case PgMessageType.PARAMETER_STATUS -> {
                PgBackend.ParameterStatus status = PgBackend.parameterStatus(m);
                upstream.parameterStatus(m); // replayed to the next person when the connection is kept
                if (readOnly
                        && status.name().equalsIgnoreCase("default_transaction_read_only")
                        && !status.value().equalsIgnoreCase("on")) {
                    record(log.unanswered("the session tried to leave read-only mode"));
                    tellAndEnd(
                            SessionStatus.REFUSED,
                            SqlState.READ_ONLY_SQL_TRANSACTION,
                            "the session tried to leave read-only mode under a read-only grant for " + grantName);
                    return null;
                }
            }
            case PgMessageType.BACKEND_KEY_DATA -> throw new PgProtocolException("a second BackendKeyData");
            default -> {
                // notices pass as they are
            }
        }
        if (!done.isEmpty() && !record(done)) {
            return null;
        }
        if (m.typeChar() == PgMessageType.READY_FOR_QUERY) {
            // counted only once what it completes is recorded: a client that leaves at once finds nothing owed and
            // the pool's release can close the recording without racing this pump's last event
            transactionStatus = PgBackend.transactionStatus(m);
            awaitingReady.decrementAndGet();
        }
        return m;
    }

    private boolean record(List<QueryEvent> events) {
        try {
            for (QueryEvent e : events) {
                ledger.recording().events().record(e);
                LiveView live = ledger.live();
                if (live != null && live.watched()) {
                    live.text(watchedLine(e));
                }
            }
            return true;
        } catch (RecordingFailedException e) {
            proxy.services().recordingHealth().failed();
            end(SessionStatus.RECORDING_FAILED, SessionLedger.RECORDING_FAILED);
            return false;
        }
    }

    /** A statement as a live watcher sees it: the text as sent, then how it ended. */
    static String watchedLine(QueryEvent e) {
        String outcome = e.error() != null
                ? "ERROR " + e.sqlState() + ": " + e.error()
                : (e.command() == null ? "" : e.command()) + (e.rows() == null ? "" : " (" + e.rows() + " rows)");
        return "=> " + e.query().replace("\r\n", "\n").replace("\n", "\r\n   ") + "\r\n   " + outcome.strip() + "\r\n";
    }

    // ---- the end

    @Override
    public void end(SessionStatus status, String message) {
        tellAndEnd(status, SqlState.ADMIN_SHUTDOWN, message);
    }

    /** Tells the client why in a FATAL error (when its connection can still take it), then ends the session. */
    private void tellAndEnd(SessionStatus status, SqlState sqlState, String message) {
        if (finished.get()) {
            return;
        }
        endStatus = status;
        endDetail = message;
        try {
            if (clientWrite.tryLock(1, TimeUnit.SECONDS)) {
                try {
                    clientOut.write(PgOutput.fatal(sqlState, "portcullis: " + message));
                    clientOut.flush();
                } finally {
                    clientWrite.unlock();
                }
            }
        } catch (IOException | RuntimeException e) {
            // the client is gone; ending is all that is left
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        cancelRunningStatement();
        closeSockets();
        finish(status, message);
    }

    /**
     * A server backend notices a closed connection only when it next reads or writes, so a running statement would
     * go on (for hours, holding its locks) after the session ended: it is cancelled first, with the server's own key.
     */
    private void cancelRunningStatement() {
        PgUpstream up = upstream;
        QueryLog l = log;
        if (up != null && l != null && l.inFlight() > 0 && !up.socket.isClosed()) {
            PgUpstream.cancel(
                    up.address,
                    up.backendPid,
                    up.backendSecret,
                    proxy.services().connectTimeout());
        }
    }

    private void endPreLogin() {
        if (preLogin.compareAndSet(true, false)) {
            proxy.loggedIn(source);
        }
    }

    private void finish(SessionStatus status, String detail) {
        if (!finished.compareAndSet(false, true)) {
            return;
        }
        endPreLogin();
        SessionStatus finalStatus = endStatus != null ? endStatus : status;
        String finalDetail = endDetail != null ? endDetail : detail;
        closeSockets();
        if (cancelKey != -1) {
            proxy.cancelKeys().unregister(cancelKey);
        }
        proxy.ended(this);
        QueryLog l = log;
        ledger.close(
                finalStatus,
                finalDetail,
                null,
                l == null
                        ? null
                        : recording -> {
                            for (QueryEvent e : l.unanswered("the connection ended before the server answered")) {
                                recording.events().record(e);
                            }
                        });
    }

    private void closeSockets() {
        PgUpstream up = upstream;
        if (up != null && !releasing) {
            up.close();
        }
        Socket connecting = upstreamSocket;
        if (connecting != null) {
            try {
                connecting.close();
            } catch (IOException e) {
                // closing
            }
        }
        try {
            client.close();
        } catch (IOException e) {
            // closing
        }
    }

    // ---- bytes

    private static int readInt(InputStream in) throws IOException {
        int a = in.read();
        int b = in.read();
        int c = in.read();
        int d = in.read();
        if ((a | b | c | d) < 0) {
            throw new EOFException("the server closed the connection");
        }
        return (a << 24) | (b << 16) | (c << 8) | d;
    }
}
