package dev.portcullis.broker;

import dev.portcullis.local.LocalKeycloak;
import dev.portcullis.local.LocalPostgres;
import dev.portcullis.local.LocalSmtp;
import dev.portcullis.recording.RecordingKeys;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

/** Real PostgreSQL and real Keycloak for the broker under test, started once per test JVM. */
public class BrokerTestEnvironment implements QuarkusTestResourceLifecycleManager {

    public static final String DATABASE = "broker_test";

    /** Under the per-run state directory: the bastion recording key pair whose public half the broker trusts. */
    public static final String RECORDING_PRIVATE_KEY = "bastion/recording-key.pem";

    public static final String RECORDING_PUBLIC_KEY = "bastion/recording-key.pub.pem";
    /** A second bastion's key pair, trusted too: its key must not vouch for the first bastion's sessions. */
    public static final String OTHER_RECORDING_PRIVATE_KEY = "bastion-b/recording-key.pem";

    public static final String OTHER_RECORDING_PUBLIC_KEY = "bastion-b/recording-key.pub.pem";
    /** Under the per-run state directory: the broker's audit head signing key, made at its first start. */
    public static final String AUDIT_HEAD_KEY = "ssh/audit_head.pem";

    @Override
    public Map<String, String> start() {
        LocalPostgres postgres = LocalPostgres.shared();
        // the broker serves with a role that owns nothing; its migrations run as the owner, as in production
        LocalPostgres.BrokerDatabase database = postgres.brokerDatabase(DATABASE);
        LocalKeycloak keycloak = LocalKeycloak.shared();
        Path state = stateDir();
        Map<String, String> config = new HashMap<>();
        config.put("quarkus.datasource.jdbc.url", database.jdbcUrl());
        config.put("quarkus.datasource.username", database.runtime());
        config.put("quarkus.datasource.password", database.runtimePassword());
        config.put("quarkus.flyway.username", database.owner());
        config.put("quarkus.flyway.password", database.ownerPassword());
        config.put("quarkus.oidc.auth-server-url", keycloak.issuerUrl());
        config.put("quarkus.oidc.credentials.secret", keycloak.brokerClientSecret());
        config.put("quarkus.keycloak.admin-client.server-url", keycloak.baseUrl());
        config.put("quarkus.keycloak.admin-client.client-secret", keycloak.brokerClientSecret());
        config.put("portcullis.policy.file", testPolicy().toString());
        // The CA keys are generated on first start into this run's own directory, never the developer's .portcullis.
        config.put(
                "portcullis.ssh.user-ca-key-file", state.resolve("ssh/user_ca").toString());
        config.put(
                "portcullis.ssh.host-ca-key-file", state.resolve("ssh/host_ca").toString());
        config.put("portcullis.recordings.dir", state.resolve("recordings").toString());
        config.put("portcullis.db.proxy-ca-file", dbProxyCa(state).toString());
        config.put(
                "portcullis.recordings.trusted-keys",
                state.resolve(RECORDING_PUBLIC_KEY) + "," + state.resolve(OTHER_RECORDING_PUBLIC_KEY));
        config.put(
                "portcullis.audit.head-key-file", state.resolve(AUDIT_HEAD_KEY).toString());
        config.put(
                "portcullis.audit.signed-heads-dir",
                state.resolve("audit-heads").toString());
        // Notifications: mail to a real SMTP server, and a signed webhook to a receiver that checks the signature.
        config.put("quarkus.mailer.host", "127.0.0.1");
        config.put("quarkus.mailer.port", Integer.toString(LocalSmtp.shared().port()));
        config.put("quarkus.mailer.start-tls", "DISABLED");
        // benchmarks switch notifications off (a blank value) for their baseline
        config.put(
                "portcullis.notify.rule-channels", System.getProperty("bench.notify.rule-channels", "*: email hooks"));
        config.put("portcullis.notify.channels.hooks.kind", "webhook");
        config.put(
                "portcullis.notify.channels.hooks.url", WebhookReceiver.shared().url());
        config.put(
                "portcullis.notify.channels.hooks.secret",
                WebhookReceiver.shared().secret());
        config.put("portcullis.notify.first-backoff", "200ms");
        config.put("portcullis.notify.max-backoff", "1s");
        // more broker settings for a benchmark run (deploy/bench/notify.sh: the SIEM stream's), "name=value;name=value"
        for (String setting : System.getProperty("bench.broker-settings", "").split(";")) {
            int eq = setting.indexOf('=');
            if (eq > 0) {
                config.put(
                        setting.substring(0, eq).trim(),
                        setting.substring(eq + 1).trim());
            }
        }
        return config;
    }

    /** A fresh directory per test JVM, with the bastion's recording key pair in it; removed when the JVM exits. */
    private static Path stateDir() {
        try {
            Path state = Files.createTempDirectory("portcullis-broker-test-");
            RecordingKeys.loadOrGenerate(state.resolve(RECORDING_PRIVATE_KEY), state.resolve(RECORDING_PUBLIC_KEY));
            RecordingKeys.loadOrGenerate(
                    state.resolve(OTHER_RECORDING_PRIVATE_KEY), state.resolve(OTHER_RECORDING_PUBLIC_KEY));
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(state), "broker-test-state-cleanup"));
            return state;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temp directory left behind is harmless
        }
    }

    @Override
    public void stop() {
        // LocalPostgres and LocalKeycloak stop with the JVM.
    }

    /** Stands for the database proxy's CA certificate: the broker hands the file out as it is. */
    private static Path dbProxyCa(Path state) {
        try {
            Path file = state.resolve("db-proxy-ca.pem");
            Files.createDirectories(state);
            Files.writeString(file, "-----BEGIN CERTIFICATE-----\nMIIBdGVzdA==\n-----END CERTIFICATE-----\n");
            return file;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Path testPolicy() {
        try (InputStream in = BrokerTestEnvironment.class.getResourceAsStream("/test-policy.yaml")) {
            Path file = Files.createTempFile("portcullis-test-policy", ".yaml");
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            file.toFile().deleteOnExit();
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
