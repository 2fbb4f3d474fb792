package dev.portcullis.bastion;

import dev.portcullis.bastion.broker.BastionLease;
import dev.portcullis.bastion.broker.BrokerChannel;
import dev.portcullis.bastion.broker.BrokerClient;
import dev.portcullis.bastion.broker.BrokerLiveSink;
import dev.portcullis.bastion.broker.CertificateAuthorityClient;
import dev.portcullis.bastion.broker.GrantEventStream;
import dev.portcullis.bastion.broker.GrantRecheck;
import dev.portcullis.bastion.broker.RemoteDatabaseCredentials;
import dev.portcullis.bastion.broker.RemoteGrantAuthority;
import dev.portcullis.bastion.broker.RemoteIndexSink;
import dev.portcullis.bastion.broker.RemoteSessionIndex;
import dev.portcullis.bastion.db.DatabaseProxy;
import dev.portcullis.bastion.db.DbTls;
import dev.portcullis.bastion.health.BastionMetrics;
import dev.portcullis.bastion.health.HealthServer;
import dev.portcullis.bastion.health.MeteredGrantAuthority;
import dev.portcullis.bastion.health.MeteredRecordingStorage;
import dev.portcullis.bastion.health.MeteredSessionIndex;
import dev.portcullis.bastion.health.Readiness;
import dev.portcullis.bastion.health.RecordingProbe;
import dev.portcullis.bastion.index.IndexFeed;
import dev.portcullis.bastion.server.AgentRelay;
import dev.portcullis.bastion.server.BastionServer;
import dev.portcullis.bastion.server.ChannelLimits;
import dev.portcullis.bastion.server.Sessions;
import dev.portcullis.bastion.session.LiveSessions;
import dev.portcullis.bastion.session.RecordingHealth;
import dev.portcullis.bastion.session.SessionServices;
import dev.portcullis.bastion.upstream.TargetInventory;
import dev.portcullis.bastion.upstream.UpstreamConnector;
import dev.portcullis.recording.ChunkChain;
import dev.portcullis.recording.RecordingClock;
import dev.portcullis.recording.RecordingKeys;
import dev.portcullis.recording.RecordingSigner;
import dev.portcullis.recording.Recordings;
import dev.portcullis.recording.WriterOptions;
import dev.portcullis.ssh.ed25519.JdkEd25519;
import dev.portcullis.workflow.port.DatabaseCredentials;
import dev.portcullis.workflow.port.GrantAuthority;
import dev.portcullis.workflow.port.SessionIndex;
import dev.portcullis.workflow.port.SessionStatus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.logging.Logger;
import javax.net.ssl.SSLContext;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.OpenSshCertificate;

/**
 * One bastion: its SSH server, the recordings it writes, and its links to the broker. {@link #start(BastionSettings)}
 * runs it as its own process against the broker's REST API; {@link #start(Parts)} takes the ports directly, for a
 * bastion inside the broker's process and for tests.
 */
public final class Bastion implements AutoCloseable {

    static {
        // MINA's Ed25519 is the JDK's; it must be in place before MINA reads or makes a key
        JdkEd25519.install();
    }

    private static final Logger LOG = Logger.getLogger(Bastion.class.getName());

    /**
     * How the bastion writes recordings: flushed at least every second as always, but in chunks of up to 2 MiB of
     * records, because each chunk is one synced file and smaller chunks spend a bulk transfer's time in fsync
     * (docs/benchmarks/bastion-profile.md); and at most 64 queued records per session (each at most 32 KiB of exact
     * bytes, so about 2 MiB), so a slow store slows the session instead of filling the heap.
     */
    public static final WriterOptions RECORDING_OPTIONS =
            WriterOptions.defaults().withMaxChunkBytes(2 * 1024 * 1024).withQueueCapacity(64);

    /**
     * Everything a bastion is made of.
     *
     * @param userCa   the broker's user CA key (null while unknown: nobody gets in)
     * @param hostCert the bastion's host certificate for ProxyJump (null: jumps show an unknown host key)
     * @param database the PostgreSQL proxy's listener, or null for a bastion without one
     * @param databaseCredentials who a database credential belongs to (needed with {@code database})
     */
    public record Parts(
            String host,
            int port,
            KeyPair hostKey,
            Recordings recordings,
            Supplier<TargetInventory> inventory,
            GrantAuthority authority,
            SessionIndex index,
            Supplier<PublicKey> userCa,
            Supplier<OpenSshCertificate> hostCert,
            Map<String, PublicKey> plainKeys,
            String portalUrl,
            String bastionName,
            Duration connectTimeout,
            Clock clock,
            DatabaseProxy.Options database,
            DatabaseCredentials databaseCredentials) {
        public Parts {
            if (database != null && databaseCredentials == null) {
                throw new IllegalArgumentException("a database proxy needs DatabaseCredentials");
            }
        }
    }

    static final String SHUTDOWN_MESSAGE = "the bastion is shutting down; reconnect to continue";
    private static final Duration SHUTDOWN_PATIENCE = Duration.ofSeconds(10);

    private final List<AutoCloseable> closeables = new ArrayList<>();
    private BastionServer server;
    private DatabaseProxy database;
    private LiveSessions live;
    private HealthServer health;

    private Bastion() {}

    public static Bastion start(Parts parts) throws IOException {
        return start(parts, ChannelLimits.Settings.defaults());
    }

    /** As {@link #start(Parts)}, with what one SSH connection may cost the bastion. */
    public static Bastion start(Parts parts, ChannelLimits.Settings limits) throws IOException {
        Bastion bastion = new Bastion();
        try {
            bastion.live = new LiveSessions(parts.clock());
            bastion.closeables.add(bastion.live);
            AgentRelay agents = new AgentRelay();
            UpstreamConnector connector = new UpstreamConnector(agents);
            bastion.closeables.add(connector);
            AtomicInteger n = new AtomicInteger();
            ExecutorService setup = Executors.newCachedThreadPool(r -> {
                Thread t = new Thread(r, "bastion-session-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
            bastion.closeables.add(setup::shutdownNow);
            // one recording health for every session of this bastion, SSH or database
            SessionServices services = new SessionServices(
                    parts.authority(),
                    parts.index(),
                    parts.inventory(),
                    connector,
                    parts.recordings(),
                    bastion.live,
                    setup,
                    parts.clock(),
                    parts.portalUrl(),
                    parts.bastionName(),
                    parts.connectTimeout(),
                    new RecordingHealth(parts.clock(), RecordingHealth.PAUSE_AFTER_FAILURE));
            bastion.server = Sessions.startServer(
                    new BastionServer.Options(
                            parts.host(),
                            parts.port(),
                            parts.hostKey(),
                            parts.hostCert(),
                            parts.userCa(),
                            parts.plainKeys(),
                            limits),
                    services,
                    agents);
            bastion.closeables.add(0, bastion.server);
            if (parts.database() != null) {
                bastion.database = DatabaseProxy.start(parts.database(), services, parts.databaseCredentials());
                bastion.closeables.add(0, bastion.database);
            }
            // a normal stop ends the sessions itself, while the server, the pool and the index still work, so each
            // is sealed and reported CLOSED with the reason instead of being cut and later called lost (ABORTED)
            LiveSessions live = bastion.live;
            bastion.closeables.add(0, () -> {
                int left = live.endAllAndSettle(SHUTDOWN_MESSAGE, SHUTDOWN_PATIENCE);
                if (left > 0) {
                    LOG.warning(left + " session(s) did not close within " + SHUTDOWN_PATIENCE.toSeconds()
                            + " s of the stop; the broker will mark them ABORTED");
                }
            });
            LOG.info(() -> "bastion " + parts.bastionName() + " listening on " + bastion.server.host() + ":"
                    + bastion.server.port() + ", host key "
                    + KeyUtils.getFingerPrint(parts.hostKey().getPublic()));
            return bastion;
        } catch (IOException | RuntimeException e) {
            bastion.close();
            throw e;
        }
    }

    /** A bastion process: REST adapters to the broker, keys and recordings under the settings' directories. */
    public static Bastion start(BastionSettings settings) throws IOException {
        Files.createDirectories(settings.stateDir());
        KeyPair hostKey = HostKeys.loadOrGenerate(settings.stateDir().resolve("ssh_host_ed25519_key"));
        RecordingSigner signer = RecordingKeys.loadOrGenerate(
                settings.stateDir().resolve("recording-signing-key.pem"),
                settings.stateDir().resolve("recording-signing-key.pub.pem"));
        BastionMetrics metrics = new BastionMetrics();
        RecordingStore store = RecordingStore.open(settings);
        Recordings recordings = new Recordings(
                new MeteredRecordingStorage(store.storage(), metrics),
                signer,
                RECORDING_OPTIONS,
                RecordingClock.system());
        metrics.recordingQueue(recordings::queuedLines);
        TargetInventory inventory = TargetInventory.load(settings.targetsFile());
        Map<String, PublicKey> plainKeys =
                settings.allowPlainKeys() ? loadPlainKeys(settings.plainKeysFile()) : Map.of();

        BrokerClient broker = new BrokerClient(
                settings.brokerUrl(),
                settings.brokerCaFile() == null ? null : BrokerChannel.pinned(settings.brokerCaFile()),
                settings.tokenUrl(),
                settings.clientId(),
                settings.clientSecret(),
                settings.connectTimeout());
        broker.observe(metrics::brokerCall);
        CertificateAuthorityClient cas = new CertificateAuthorityClient(broker, settings.userCaFingerprint());
        AtomicReference<PublicKey> userCa = new AtomicReference<>();
        AtomicReference<OpenSshCertificate> hostCert = new AtomicReference<>();
        List<String> principals = new ArrayList<>(inventory.names());
        principals.addAll(settings.hostNames());
        Runnable refreshCas = () -> {
            try {
                userCa.set(cas.userCa());
            } catch (IOException e) {
                LOG.warning("cannot fetch the broker's user CA (" + e.getMessage() + "); "
                        + (userCa.get() == null
                                ? "nobody can log in until it is known"
                                : "keeping the one already known"));
            }
            try {
                hostCert.set(cas.hostCertificate(hostKey.getPublic(), principals));
            } catch (IOException e) {
                LOG.warning("cannot get a host certificate from the broker (" + e.getMessage()
                        + "); ProxyJump users will see an unknown host key");
            }
        };
        try {
            // a broker that is not yet up is waited for; one that cannot prove itself, or has another user CA, is not
            userCa.set(cas.userCa());
        } catch (BrokerClient.UntrustedBrokerException | CertificateAuthorityClient.PinMismatchException e) {
            throw new IOException(e.getMessage(), e);
        } catch (IOException e) {
            LOG.warning("cannot fetch the broker's user CA yet (" + e.getMessage()
                    + "); nobody can log in until it is known");
        }
        refreshCas.run();
        AtomicReference<LiveSessions> liveSessions = new AtomicReference<>();
        BastionLease lease = new BastionLease(
                        broker, settings.bastionName(), settings.stateDir().resolve("instance-id"), () -> {
                            LiveSessions l = liveSessions.get();
                            if (l != null) {
                                l.endAll(
                                        SessionStatus.ERROR,
                                        "this bastion lost contact with the broker for too long; reconnect to continue");
                            }
                        })
                .start();
        RemoteSessionIndex index = new RemoteSessionIndex(
                broker, ChunkChain.sha256(signer.publicKey().getEncoded()), lease::instance);
        // the search index is fed as recordings are written (entries wait about a second at most)
        IndexFeed searchFeed = new IndexFeed(new RemoteIndexSink(broker)).start(Duration.ofMillis(500));
        recordings.tap(searchFeed);
        Bastion bastion;
        try {
            bastion = start(
                    new Parts(
                            settings.listenHost(),
                            settings.listenPort(),
                            hostKey,
                            recordings,
                            () -> inventory,
                            new MeteredGrantAuthority(new RemoteGrantAuthority(broker), metrics),
                            new MeteredSessionIndex(index, metrics),
                            userCa::get,
                            hostCert::get,
                            plainKeys,
                            settings.portalUrl(),
                            settings.bastionName(),
                            settings.connectTimeout(),
                            Clock.systemUTC(),
                            databaseOptions(settings),
                            new RemoteDatabaseCredentials(broker)),
                    settings.channelLimits());
        } catch (IOException | RuntimeException e) {
            lease.close(); // never started: nothing of this instance is left to abort
            searchFeed.close();
            index.close();
            store.close();
            throw e;
        }
        liveSessions.set(bastion.live);
        bastion.closeables.add(store);
        bastion.closeables.add(searchFeed); // after the sessions' ends: their last entries go out first
        bastion.closeables.add(index);
        // after the index: the ends it reports first, then the goodbye that aborts whatever it could not report
        bastion.closeables.add(lease);
        try {
            return withBrokerLinks(
                    bastion, settings, broker, lease, metrics, userCa, hostCert, refreshCas, signer, store);
        } catch (IOException | RuntimeException e) {
            bastion.close();
            throw e;
        }
    }

    /** The links to the broker that keep a started bastion current, and its health endpoint. */
    private static Bastion withBrokerLinks(
            Bastion bastion,
            BastionSettings settings,
            BrokerClient broker,
            BastionLease lease,
            BastionMetrics metrics,
            AtomicReference<PublicKey> userCa,
            AtomicReference<OpenSshCertificate> hostCert,
            Runnable refreshCas,
            RecordingSigner signer,
            RecordingStore store)
            throws IOException {
        ScheduledExecutorService refresher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "ca-refresh");
            t.setDaemon(true);
            return t;
        });
        // the user CA is re-read often so a missing one at start-up is fixed soon; host certificates last 24 h
        refresher.scheduleWithFixedDelay(
                () -> {
                    if (userCa.get() == null || hostCert.get() == null) {
                        refreshCas.run();
                    }
                },
                5,
                5,
                TimeUnit.SECONDS);
        refresher.scheduleWithFixedDelay(refreshCas, 1, 1, TimeUnit.HOURS);
        bastion.closeables.add(refresher::shutdownNow);
        bastion.live.views().sendTo(new BrokerLiveSink(broker));
        GrantEventStream events = settings.grantEvents()
                ? new GrantEventStream(broker, bastion.live)
                        .observeLag(metrics::grantEventLag)
                        .start()
                : null;
        if (events != null) {
            bastion.closeables.add(events);
        }
        bastion.closeables.add(new GrantRecheck(broker, bastion.live, settings.grantRecheck()).start());
        if (settings.healthPort() >= 0) {
            HealthServer health = HealthServer.start(
                    settings.healthHost(),
                    settings.healthPort(),
                    () -> bastion.server.isOpen(),
                    readiness(lease, userCa::get, store, signer, events),
                    metrics);
            bastion.health = health;
            bastion.closeables.add(0, health);
            LOG.info(() -> "health and metrics on http://" + settings.healthHost() + ":" + health.port()
                    + "/health/ready and /metrics");
        }
        return bastion;
    }

    /** What must hold before this bastion should get traffic, each check named in the answer. */
    private static Readiness readiness(
            BastionLease lease,
            Supplier<PublicKey> userCa,
            RecordingStore store,
            RecordingSigner signer,
            GrantEventStream events) {
        return new Readiness()
                .add(
                        "broker",
                        () -> lease.held() && userCa.get() != null
                                ? Readiness.up("broker", "lease held, user CA known")
                                : Readiness.down(
                                        "broker",
                                        lease.held()
                                                ? "the broker's user CA is not known yet"
                                                : "no lease with the broker: it cannot be reached or refuses this bastion"))
                .add("recording-storage", store::probe)
                .add("signing-key", () -> RecordingProbe.signs(signer))
                .add(
                        "grant-stream",
                        () -> events == null
                                ? Readiness.up("grant-stream", "off (PORTCULLIS_BASTION_GRANT_EVENTS)")
                                : events.connected()
                                        ? Readiness.up("grant-stream", "connected")
                                        : Readiness.down(
                                                "grant-stream",
                                                "not connected to the broker's grant events; reconnecting"));
    }

    private static DatabaseProxy.Options databaseOptions(BastionSettings settings) throws IOException {
        if (settings.databasePort() < 0) {
            return null;
        }
        SSLContext tls = switch (settings.databaseTls()) {
            case "off" -> null;
            default ->
                settings.databaseTlsCert() != null
                        ? DbTls.fromPem(settings.databaseTlsCert(), settings.databaseTlsKey())
                        : DbTls.selfSigned(settings.stateDir(), settings.hostNames());
        };
        DatabaseProxy.Options defaults =
                DatabaseProxy.Options.defaults(settings.listenHost(), settings.databasePort(), tls);
        return new DatabaseProxy.Options(
                        defaults.host(),
                        defaults.port(),
                        tls,
                        "required".equals(settings.databaseTls()),
                        defaults.maxConnections(),
                        defaults.maxMessage(),
                        defaults.startupTimeout())
                .withPreLogin(settings.databasePreLoginPerSource(), settings.databasePreLoginTimeout())
                .withPool(settings.databasePool());
    }

    private static Map<String, PublicKey> loadPlainKeys(Path file) throws IOException {
        Map<String, PublicKey> keys = new LinkedHashMap<>();
        int lineNo = 0;
        for (String line : Files.readAllLines(file)) {
            lineNo++;
            String l = line.trim();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            int space = l.indexOf(' ');
            if (space < 1) {
                throw new IOException(file + ":" + lineNo + ": expected 'person ssh-ed25519 AAAA...'");
            }
            keys.put(l.substring(0, space), TargetInventory.parsePublicKey(l.substring(space + 1)));
        }
        return keys;
    }

    public int port() {
        return server.port();
    }

    /** The database proxy's port; -1 without one. */
    public int databasePort() {
        return database == null ? -1 : database.port();
    }

    /** The PostgreSQL proxy, or null for a bastion without one. */
    public DatabaseProxy databaseProxy() {
        return database;
    }

    /** The health and metrics endpoint's port; -1 without one. */
    public int healthPort() {
        return health == null ? -1 : health.port();
    }

    public LiveSessions liveSessions() {
        return live;
    }

    public int connections() {
        return server.activeSessions();
    }

    /** The people logged in over SSH right now, one entry per connection. */
    public List<String> connectedPeople() {
        return server.connectedPeople();
    }

    @Override
    public void close() {
        for (AutoCloseable c : closeables) {
            try {
                c.close();
            } catch (Exception e) {
                LOG.fine(() -> "while closing: " + e);
            }
        }
        closeables.clear();
    }
}
