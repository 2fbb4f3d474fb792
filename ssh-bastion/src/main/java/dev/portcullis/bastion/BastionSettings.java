package dev.portcullis.bastion;

import dev.portcullis.bastion.broker.BrokerChannel;
import dev.portcullis.bastion.db.DatabaseProxy;
import dev.portcullis.bastion.server.ChannelLimits;
import dev.portcullis.recording.s3.S3Settings;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * How a bastion process is set up. Read from environment variables by {@link #fromEnvironment(Map)} so that the
 * same settings work for systemd units, containers and tests; secrets are only ever read from the environment.
 *
 * @param listenHost      address the SSH server binds to
 * @param listenPort      port the SSH server binds to (0 = any free port)
 * @param stateDir        the bastion's own keys: SSH host key, recording signing key
 * @param recordingsDir   where recordings are written with the filesystem backend of the recording store
 * @param recordingsS3    the S3 backend instead (PORTCULLIS_RECORDINGS_S3_BUCKET set), or null: this bastion writes
 *                        under its segment's prefix, {@code PREFIX<clientId>/}
 * @param targetsFile     the inventory: credentials and pinned host keys of the targets this bastion reaches
 * @param portalUrl       where people request access; shown in every refusal
 * @param bastionName     this bastion's name in the session index and the audit trail
 * @param hostNames       names users reach this bastion by; principals of its host certificate
 * @param connectTimeout  bound on connecting and authenticating to a target
 * @param databasePort    the PostgreSQL proxy's port (-1: no database proxy)
 * @param databaseTls     required (default), preferred (offered, not required) or off (loopback tests only)
 * @param databaseTlsCert the proxy's certificate chain (PEM); null: a self-signed one made in the state directory
 * @param databaseTlsKey  its PKCS#8 private key (PEM)
 * @param databasePreLoginPerSource connections one source address may hold on the database proxy before logging in
 * @param databasePreLoginTimeout   how long a database connection may take to send a valid credential
 * @param databasePool    how the database proxy keeps server connections between people
 * @param channelLimits   channels per SSH connection, the pool that opens them, the back-off after refusals
 * @param brokerCaFile    the only CA (PEM) whose certificates the bastion accepts from the broker; needed for https
 * @param userCaFingerprint the SHA-256 fingerprint ({@code SHA256:...}, as ssh-keygen -l prints it) the broker's user
 *                        CA must have: the bastion trusts no other key to vouch for people
 * @param grantRecheck    how often every live session's grant is asked about again (at most 30 s): what a missed
 *                        grant-ended event can cost
 * @param grantEvents     whether to follow the broker's grant events (off only to exercise the re-check)
 * @param healthHost      address of the health and metrics endpoint (loopback unless a scraper elsewhere needs it)
 * @param healthPort      its port (0 = any free port, -1 = no endpoint)
 */
public record BastionSettings(
        String listenHost,
        int listenPort,
        Path stateDir,
        Path recordingsDir,
        S3Settings recordingsS3,
        Path targetsFile,
        URI brokerUrl,
        URI tokenUrl,
        String clientId,
        String clientSecret,
        String portalUrl,
        String bastionName,
        List<String> hostNames,
        Duration connectTimeout,
        boolean allowPlainKeys,
        Path plainKeysFile,
        int databasePort,
        String databaseTls,
        Path databaseTlsCert,
        Path databaseTlsKey,
        int databasePreLoginPerSource,
        Duration databasePreLoginTimeout,
        DatabaseProxy.Options.Pool databasePool,
        ChannelLimits.Settings channelLimits,
        Path brokerCaFile,
        String userCaFingerprint,
        Duration grantRecheck,
        boolean grantEvents,
        String healthHost,
        int healthPort) {

    /** The longest allowed {@code grantRecheck}. */
    public static final Duration MAX_GRANT_RECHECK = Duration.ofSeconds(30);

    public BastionSettings {
        Objects.requireNonNull(channelLimits, "channelLimits");
        Objects.requireNonNull(listenHost, "listenHost");
        Objects.requireNonNull(stateDir, "stateDir");
        Objects.requireNonNull(recordingsDir, "recordingsDir");
        Objects.requireNonNull(targetsFile, "targetsFile");
        Objects.requireNonNull(portalUrl, "portalUrl");
        Objects.requireNonNull(bastionName, "bastionName");
        if (recordingsS3 != null) {
            try {
                recordingsS3.segmentPrefix(clientId);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        "PORTCULLIS_BASTION_CLIENT_ID names this bastion's S3 prefix: " + e.getMessage());
            }
        }
        hostNames = List.copyOf(hostNames);
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        if (listenPort < 0 || listenPort > 65535) {
            throw new IllegalArgumentException("PORTCULLIS_BASTION_PORT must be between 0 and 65535");
        }
        if (databasePort < -1 || databasePort > 65535) {
            throw new IllegalArgumentException("PORTCULLIS_DB_PORT must be between 0 and 65535, or off");
        }
        if (!Set.of("required", "preferred", "off").contains(databaseTls)) {
            throw new IllegalArgumentException(
                    "PORTCULLIS_DB_TLS must be required, preferred or off, not '" + databaseTls + "'");
        }
        if ((databaseTlsCert == null) != (databaseTlsKey == null)) {
            throw new IllegalArgumentException("PORTCULLIS_DB_TLS_CERT and PORTCULLIS_DB_TLS_KEY go together");
        }
        if (databasePreLoginPerSource < 1 || databasePreLoginTimeout.isNegative() || databasePreLoginTimeout.isZero()) {
            throw new IllegalArgumentException("PORTCULLIS_DB_PRE_LOGIN_PER_SOURCE and"
                    + " PORTCULLIS_DB_PRE_LOGIN_TIMEOUT_SECONDS must be at least 1");
        }
        BrokerChannel.check(brokerUrl, tokenUrl, brokerCaFile);
        if (userCaFingerprint == null || !userCaFingerprint.matches("SHA256:[A-Za-z0-9+/]{43}")) {
            throw new IllegalArgumentException("PORTCULLIS_USER_CA_FINGERPRINT must be the broker's user CA "
                    + "fingerprint, SHA256:... as ssh-keygen -lf user_ca.pub prints it");
        }
        Objects.requireNonNull(grantRecheck, "grantRecheck");
        if (grantRecheck.compareTo(Duration.ofSeconds(1)) < 0 || grantRecheck.compareTo(MAX_GRANT_RECHECK) > 0) {
            throw new IllegalArgumentException("PORTCULLIS_BASTION_GRANT_RECHECK_SECONDS must be between 1 and 30");
        }
        Objects.requireNonNull(healthHost, "healthHost");
        if (healthPort < -1 || healthPort > 65535) {
            throw new IllegalArgumentException("PORTCULLIS_BASTION_HEALTH_PORT must be between 0 and 65535, or off");
        }
        if (allowPlainKeys && plainKeysFile == null) {
            throw new IllegalArgumentException(
                    "PORTCULLIS_BASTION_ALLOW_PLAIN_KEYS needs PORTCULLIS_BASTION_PLAIN_KEYS_FILE");
        }
    }

    /**
     * Reads the settings; every missing required value is named in one message so an operator fixes them all at once.
     */
    public static BastionSettings fromEnvironment(Map<String, String> env) {
        StringBuilder missing = new StringBuilder();
        String broker = required(env, "PORTCULLIS_BROKER_URL", missing);
        String token = required(env, "PORTCULLIS_BASTION_TOKEN_URL", missing);
        String secret = required(env, "PORTCULLIS_BASTION_CLIENT_SECRET", missing);
        String targets = required(env, "PORTCULLIS_BASTION_TARGETS", missing);
        required(env, "PORTCULLIS_USER_CA_FINGERPRINT", missing);
        if (missing.length() > 0) {
            throw new IllegalArgumentException("missing settings:" + missing);
        }
        Path state = Path.of(env.getOrDefault("PORTCULLIS_BASTION_STATE_DIR", ".portcullis/bastion"));
        int port;
        try {
            port = Integer.parseInt(env.getOrDefault("PORTCULLIS_BASTION_PORT", "2022"));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("PORTCULLIS_BASTION_PORT must be a number");
        }
        boolean plain = Boolean.parseBoolean(env.getOrDefault("PORTCULLIS_BASTION_ALLOW_PLAIN_KEYS", "false"));
        String plainFile = env.get("PORTCULLIS_BASTION_PLAIN_KEYS_FILE");
        String dbPortText = env.getOrDefault("PORTCULLIS_DB_PORT", "6432");
        int dbPort;
        try {
            dbPort = "off".equals(dbPortText) ? -1 : Integer.parseInt(dbPortText);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("PORTCULLIS_DB_PORT must be a number or off");
        }
        String dbCert = env.get("PORTCULLIS_DB_TLS_CERT");
        String dbKey = env.get("PORTCULLIS_DB_TLS_KEY");
        String brokerCa = env.get("PORTCULLIS_BROKER_CA_FILE");
        long recheck;
        try {
            recheck = Long.parseLong(env.getOrDefault("PORTCULLIS_BASTION_GRANT_RECHECK_SECONDS", "30"));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("PORTCULLIS_BASTION_GRANT_RECHECK_SECONDS must be a number");
        }
        String events = env.getOrDefault("PORTCULLIS_BASTION_GRANT_EVENTS", "on");
        if (!Set.of("on", "off").contains(events)) {
            throw new IllegalArgumentException("PORTCULLIS_BASTION_GRANT_EVENTS must be on or off");
        }
        String healthPortText =
                env.getOrDefault("PORTCULLIS_BASTION_HEALTH_PORT", "9464").strip();
        int healthPort;
        try {
            healthPort = "off".equals(healthPortText) ? -1 : Integer.parseInt(healthPortText);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("PORTCULLIS_BASTION_HEALTH_PORT must be a number or off");
        }
        URI brokerUri;
        URI tokenUri;
        try {
            brokerUri = new URI(broker);
            tokenUri = new URI(token);
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException(
                    "PORTCULLIS_BROKER_URL and PORTCULLIS_BASTION_TOKEN_URL must be URLs: " + e.getMessage());
        }
        return new BastionSettings(
                env.getOrDefault("PORTCULLIS_BASTION_HOST", "127.0.0.1"),
                port,
                state,
                Path.of(env.getOrDefault(
                        "PORTCULLIS_RECORDINGS_DIR", state.resolve("recordings").toString())),
                S3Settings.read(env::get, S3Settings.environmentNames()),
                Path.of(targets),
                brokerUri,
                tokenUri,
                env.getOrDefault("PORTCULLIS_BASTION_CLIENT_ID", "portcullis-bastion"),
                secret,
                env.getOrDefault("PORTCULLIS_PORTAL_URL", broker),
                env.getOrDefault("PORTCULLIS_BASTION_NAME", "bastion-1"),
                List.of(env.getOrDefault("PORTCULLIS_BASTION_HOST_NAMES", "localhost,127.0.0.1")
                        .split(",")),
                Duration.ofSeconds(
                        Long.parseLong(env.getOrDefault("PORTCULLIS_BASTION_CONNECT_TIMEOUT_SECONDS", "10"))),
                plain,
                plainFile == null ? null : Path.of(plainFile),
                dbPort,
                env.getOrDefault("PORTCULLIS_DB_TLS", "required"),
                dbCert == null ? null : Path.of(dbCert),
                dbKey == null ? null : Path.of(dbKey),
                positive(env, "PORTCULLIS_DB_PRE_LOGIN_PER_SOURCE", 16),
                Duration.ofSeconds(positive(env, "PORTCULLIS_DB_PRE_LOGIN_TIMEOUT_SECONDS", 10)),
                databasePool(env),
                channelLimits(env),
                brokerCa == null || brokerCa.isBlank() ? null : Path.of(brokerCa),
                env.get("PORTCULLIS_USER_CA_FINGERPRINT"),
                Duration.ofSeconds(recheck),
                "on".equals(events),
                env.getOrDefault("PORTCULLIS_BASTION_HEALTH_HOST", "127.0.0.1"),
                healthPort);
    }

    private static int positive(Map<String, String> env, String name, int defaultValue) {
        try {
            int value = Integer.parseInt(
                    env.getOrDefault(name, String.valueOf(defaultValue)).strip());
            if (value < 1) {
                throw new NumberFormatException();
            }
            return value;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a whole number of at least 1");
        }
    }

    private static DatabaseProxy.Options.Pool databasePool(Map<String, String> env) {
        DatabaseProxy.Options.Pool d = DatabaseProxy.Options.Pool.DEFAULTS;
        int size = atLeastZero(env, "PORTCULLIS_DB_POOL_SIZE", d.maxIdle());
        if (size == 0) {
            return DatabaseProxy.Options.Pool.OFF;
        }
        int perKey = positive(env, "PORTCULLIS_DB_POOL_SIZE_PER_ROLE", d.maxIdlePerKey());
        int idle = positive(
                env, "PORTCULLIS_DB_POOL_IDLE_SECONDS", (int) d.idleTimeout().toSeconds());
        int lifetime = positive(
                env, "PORTCULLIS_DB_POOL_LIFETIME_SECONDS", (int) d.lifetime().toSeconds());
        int check = atLeastZero(
                env, "PORTCULLIS_DB_POOL_CHECK_SECONDS", (int) d.checkAfter().toSeconds());
        return new DatabaseProxy.Options.Pool(
                size, perKey, Duration.ofSeconds(idle), Duration.ofSeconds(lifetime), Duration.ofSeconds(check));
    }

    private static int atLeastZero(Map<String, String> env, String name, int defaultValue) {
        try {
            int value = Integer.parseInt(
                    env.getOrDefault(name, String.valueOf(defaultValue)).strip());
            if (value < 0) {
                throw new NumberFormatException();
            }
            return value;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a whole number of at least 0");
        }
    }

    private static ChannelLimits.Settings channelLimits(Map<String, String> env) {
        ChannelLimits.Settings d = ChannelLimits.Settings.defaults();
        int threads = positive(env, "PORTCULLIS_BASTION_OPENING_THREADS", d.openingThreads());
        return new ChannelLimits.Settings(
                positive(env, "PORTCULLIS_BASTION_MAX_CHANNELS", d.maxOpen()),
                positive(env, "PORTCULLIS_BASTION_MAX_CHANNEL_OPENS_PER_MINUTE", d.maxOpensPerMinute()),
                threads,
                Math.max(d.openingQueue(), 16 * threads),
                Duration.ofSeconds(positive(env, "PORTCULLIS_BASTION_REFUSAL_BACKOFF_SECONDS", (int)
                        d.refusalBackoff().toSeconds())));
    }

    private static String required(Map<String, String> env, String name, StringBuilder missing) {
        String value = env.get(name);
        if (value == null || value.isBlank()) {
            missing.append(' ').append(name);
            return null;
        }
        return value;
    }

    @Override
    public String toString() {
        // the client secret never reaches a log line
        return "BastionSettings[listen=" + listenHost + ":" + listenPort + ", stateDir=" + stateDir + ", recordings="
                + (recordingsS3 == null ? recordingsDir : recordingsS3.toString())
                + ", targets=" + targetsFile + ", broker=" + brokerUrl
                + (brokerCaFile == null ? "" : " (CA " + brokerCaFile + ")")
                + ", user CA " + userCaFingerprint + ", grant re-check " + grantRecheck.toSeconds() + " s"
                + (grantEvents ? "" : ", grant events off") + ", name=" + bastionName
                + ", db=" + (databasePort < 0 ? "off" : listenHost + ":" + databasePort + " tls " + databaseTls)
                + ", health=" + (healthPort < 0 ? "off" : healthHost + ":" + healthPort) + "]";
    }
}
