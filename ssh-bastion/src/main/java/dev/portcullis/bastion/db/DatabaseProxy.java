package dev.portcullis.bastion.db;

import dev.portcullis.bastion.session.SessionServices;
import dev.portcullis.workflow.port.DatabaseCredentials;
import dev.portcullis.workflow.port.SessionStatus;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;
import javax.net.ssl.SSLContext;

/**
 * The bastion's PostgreSQL listener: stock clients ({@code psql}, pgJDBC, pgbench) connect to it as to a server, and
 * each connection becomes a {@link DatabaseSession} on threads of its own (blocking I/O: a thread per direction keeps
 * the latency of a round trip low, which is what a database session is made of).
 */
public final class DatabaseProxy implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(DatabaseProxy.class.getName());

    /**
     * @param tls            the proxy's TLS identity, or null for none (then {@code tlsRequired} must be false)
     * @param tlsRequired    refuse clients that do not ask for TLS, before they send a password
     * @param maxConnections connections beyond are refused with "too many connections"
     * @param maxMessage     the largest client message (bytes); larger ones close the connection
     * @param startupTimeout how long a new connection may take to start up and log in, the proxy's own login to the
     *                       server included
     * @param preLoginPerSource connections one source address (an IPv6 /64) may hold before they have sent a valid
     *                       credential; beyond, new ones are refused at once, so nobody can hold every slot
     *                       without logging in
     * @param preLoginTimeout how long a new connection may take to send a valid credential
     * @param pool           how server connections are kept between people
     */
    public record Options(
            String host,
            int port,
            SSLContext tls,
            boolean tlsRequired,
            int maxConnections,
            int maxMessage,
            Duration startupTimeout,
            int preLoginPerSource,
            Duration preLoginTimeout,
            Pool pool) {
        /**
         * How the proxy keeps server connections between people ({@link UpstreamPool}).
         *
         * @param maxIdle       idle connections kept in all; 0 turns pooling off
         * @param maxIdlePerKey idle connections kept for one target, role, access level and startup
         * @param idleTimeout   an idle connection is closed after this long unused
         * @param lifetime      a connection is not handed out again after this long since its login
         * @param checkAfter    a connection idle longer than this is checked again before it is handed out
         */
        public record Pool(
                int maxIdle, int maxIdlePerKey, Duration idleTimeout, Duration lifetime, Duration checkAfter) {
            /** Kept connections are backends on the server: well below PostgreSQL's default max_connections (100). */
            public static final Pool DEFAULTS =
                    new Pool(50, 10, Duration.ofSeconds(60), Duration.ofHours(1), Duration.ofSeconds(10));

            public static final Pool OFF = new Pool(0, 0, Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ZERO);

            public Pool {
                if (maxIdle < 0 || maxIdlePerKey < 0 || (maxIdle > 0) != (maxIdlePerKey > 0)) {
                    throw new IllegalArgumentException("pool sizes must be both 0 (off) or both positive");
                }
                if (idleTimeout.isNegative()
                        || idleTimeout.isZero()
                        || lifetime.isNegative()
                        || lifetime.isZero()
                        || checkAfter.isNegative()) {
                    throw new IllegalArgumentException("pool timeouts must be positive");
                }
            }

            public boolean enabled() {
                return maxIdle > 0;
            }
        }

        public static final int DEFAULT_PRE_LOGIN_PER_SOURCE = 16;
        public static final Duration DEFAULT_PRE_LOGIN_TIMEOUT = Duration.ofSeconds(10);

        public Options {
            Objects.requireNonNull(pool, "pool");
            if (tlsRequired && tls == null) {
                throw new IllegalArgumentException("TLS is required but the proxy has no TLS identity");
            }
            if (maxConnections < 1 || maxMessage < 1024) {
                throw new IllegalArgumentException("maxConnections must be at least 1 and maxMessage at least 1024");
            }
            if (preLoginPerSource < 1 || preLoginTimeout.isNegative() || preLoginTimeout.isZero()) {
                throw new IllegalArgumentException("preLoginPerSource must be at least 1 and preLoginTimeout positive");
            }
        }

        public Options(
                String host,
                int port,
                SSLContext tls,
                boolean tlsRequired,
                int maxConnections,
                int maxMessage,
                Duration startupTimeout,
                int preLoginPerSource,
                Duration preLoginTimeout) {
            this(
                    host,
                    port,
                    tls,
                    tlsRequired,
                    maxConnections,
                    maxMessage,
                    startupTimeout,
                    preLoginPerSource,
                    preLoginTimeout,
                    Pool.DEFAULTS);
        }

        public Options(
                String host,
                int port,
                SSLContext tls,
                boolean tlsRequired,
                int maxConnections,
                int maxMessage,
                Duration startupTimeout) {
            this(
                    host,
                    port,
                    tls,
                    tlsRequired,
                    maxConnections,
                    maxMessage,
                    startupTimeout,
                    DEFAULT_PRE_LOGIN_PER_SOURCE,
                    DEFAULT_PRE_LOGIN_TIMEOUT);
        }

        public static Options defaults(String host, int port, SSLContext tls) {
            return new Options(
                    host, port, tls, tls != null, 2000, PgFrontend.DEFAULT_MAX_MESSAGE, Duration.ofSeconds(30));
        }

        public Options withPreLogin(int perSource, Duration timeout) {
            return new Options(
                    host, port, tls, tlsRequired, maxConnections, maxMessage, startupTimeout, perSource, timeout, pool);
        }

        public Options withPool(Pool settings) {
            return new Options(
                    host,
                    port,
                    tls,
                    tlsRequired,
                    maxConnections,
                    maxMessage,
                    startupTimeout,
                    preLoginPerSource,
                    preLoginTimeout,
                    settings);
        }
    }

    private final Options options;
    private final SessionServices services;
    private final DatabaseCredentials credentials;
    private final CancelKeys cancelKeys = new CancelKeys();
    private final ServerSocket listener;
    private final ExecutorService threads;
    private final ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "db-startup-watchdog");
        t.setDaemon(true);
        return t;
    });
    private final Set<DatabaseSession> sessions = ConcurrentHashMap.newKeySet();
    private final AtomicInteger connections = new AtomicInteger();
    private final PreLoginSlots preLogin;
    private final UpstreamPool pool;
    private volatile boolean closed;

    private DatabaseProxy(Options options, SessionServices services, DatabaseCredentials credentials)
            throws IOException {
        this.options = options;
        this.services = services;
        this.credentials = credentials;
        this.preLogin = new PreLoginSlots(options.preLoginPerSource());
        this.pool = new UpstreamPool(options.pool());
        if (options.pool().enabled()) {
            watchdog.scheduleWithFixedDelay(
                    () -> pool.sweep(target -> services.inventory().get().database(target)), 1, 1, TimeUnit.SECONDS);
        }
        this.listener = new ReadAheadSocket.Listener();
        listener.setReuseAddress(true);
        listener.bind(new InetSocketAddress(InetAddress.getByName(options.host()), options.port()), 512);
        AtomicInteger n = new AtomicInteger();
        this.threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "db-client-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    public static DatabaseProxy start(Options options, SessionServices services, DatabaseCredentials credentials)
            throws IOException {
        DatabaseProxy proxy = new DatabaseProxy(options, services, credentials);
        Thread acceptor = new Thread(proxy::accept, "db-accept-" + proxy.port());
        acceptor.setDaemon(true);
        acceptor.start();
        LOG.info(() -> "database proxy listening on " + options.host() + ":" + proxy.port()
                + (options.tls() == null
                        ? " without TLS"
                        : options.tlsRequired() ? " (TLS required)" : " (TLS offered)"));
        return proxy;
    }

    private void accept() {
        while (!closed) {
            Socket socket;
            try {
                socket = listener.accept();
            } catch (IOException e) {
                if (!closed) {
                    LOG.warning("database proxy accept failed: " + e.getMessage());
                }
                continue;
            }
            String source = PreLoginSlots.source(socket.getInetAddress());
            if (!preLogin.acquire(source)) {
                refuseNow(
                        socket,
                        "too many connections from your address that have not logged in yet;" + " try again shortly");
                continue;
            }
            if (connections.incrementAndGet() > options.maxConnections()) {
                connections.decrementAndGet();
                preLogin.release(source);
                tooMany(socket);
                continue;
            }
            DatabaseSession session = new DatabaseSession(this, socket, source);
            sessions.add(session);
            try {
                threads.execute(session);
            } catch (RuntimeException e) {
                ended(session);
                loggedIn(source);
                tooMany(socket);
            }
        }
    }

    private static void tooMany(Socket socket) {
        refuseNow(socket, "too many connections to this database proxy; try again shortly");
    }

    /** Refused on the accepting thread: a write into the fresh socket's buffer, which never waits for the peer. */
    private static void refuseNow(Socket socket, String message) {
        try (socket) {
            socket.setSoTimeout(1000);
            OutputStream out = socket.getOutputStream();
            out.write(PgOutput.fatal(SqlState.TOO_MANY_CONNECTIONS, "portcullis: " + message));
            out.flush();
        } catch (IOException e) {
            // gone already
        }
    }

    /** The connection from this source has logged in, or ended: its pre-login slot is free again. */
    void loggedIn(String source) {
        preLogin.release(source);
    }

    void ended(DatabaseSession session) {
        if (sessions.remove(session)) {
            connections.decrementAndGet();
        }
    }

    Options options() {
        return options;
    }

    SessionServices services() {
        return services;
    }

    DatabaseCredentials credentials() {
        return credentials;
    }

    ScheduledExecutorService watchdog() {
        return watchdog;
    }

    CancelKeys cancelKeys() {
        return cancelKeys;
    }

    UpstreamPool pool() {
        return pool;
    }

    /** Server connections kept idle for the next person. */
    public int pooledConnections() {
        return pool.idle();
    }

    /** Closes every server connection kept idle (those in use are not kept when their client leaves either). */
    public void closePooledConnections() {
        pool.closeIdle();
    }

    public int port() {
        return listener.getLocalPort();
    }

    public int connections() {
        return connections.get();
    }

    @Override
    public void close() {
        closed = true;
        try {
            listener.close();
        } catch (IOException e) {
            // closing
        }
        for (DatabaseSession s : sessions) {
            s.end(SessionStatus.CLOSED, "the bastion is shutting down");
        }
        threads.shutdownNow();
        watchdog.shutdownNow();
        pool.close();
    }
}
