package dev.portcullis.bastion;

import dev.portcullis.bastion.db.DatabaseProxy;
import dev.portcullis.bastion.db.DbTls;
import dev.portcullis.bastion.upstream.TargetInventory;
import dev.portcullis.local.Commands;
import dev.portcullis.local.LocalPostgres;
import dev.portcullis.recording.FileSystemRecordingStorage;
import dev.portcullis.recording.RecordingClock;
import dev.portcullis.recording.RecordingKeys;
import dev.portcullis.recording.RecordingSigner;
import dev.portcullis.recording.Recordings;
import dev.portcullis.workflow.policy.AccessLevel;
import dev.portcullis.workflow.policy.TargetKind;
import dev.portcullis.workflow.port.DatabaseCredentials;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A bastion whose database proxy (TLS required, self-signed certificate made at run time) stands in front of a real
 * PostgreSQL server with a database {@code orders} and two roles, and the stock {@code psql} to drive it. The roles'
 * passwords are in the bastion's inventory only; people log in with credentials handed out by {@link #credential}.
 */
final class DatabaseFixture implements AutoCloseable {

    static final String TARGET = "prod-db";
    static final String READ_ROLE = "app_readonly";
    static final String WRITE_ROLE = "app_admin";
    static final String REDACTED_ROLE = "app_secret";
    /** A role with only SELECT, but not marked {@code readOnly: true} in the inventory: read grants on it are refused. */
    static final String UNMARKED_ROLE = "app_unmarked";

    static final String PORTAL = "http://portal.example/requests/new";
    static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(3);

    final Path dir;
    final LocalPostgres pg;
    final GrantBook grants;
    final MemorySessionIndex index = new MemorySessionIndex();
    final Path recordingsDir;
    final FileSystemRecordingStorage storage;
    final RecordingSigner signer;
    final Bastion bastion;
    final Map<String, String> credentials = new ConcurrentHashMap<>();
    /** The roles' real passwords, which only the bastion's inventory holds (and the benchmark's pgbouncer). */
    final Map<String, String> rolePasswords = new ConcurrentHashMap<>();

    final AtomicReference<Boolean> brokerDown = new AtomicReference<>(false);
    final List<String> probeRoles;

    DatabaseFixture(Path dir) throws IOException {
        this(dir, true);
    }

    /** @param tls false for a proxy without TLS (benchmarks against a pooler without TLS) */
    DatabaseFixture(Path dir, boolean tls) throws IOException {
        this(dir, tls, LocalPostgres.shared(), null);
    }

    /**
     * @param pg          the server behind the proxy
     * @param upstreamTls the inventory's {@code tls:} value for the target (YAML flow style), or null for none
     */
    DatabaseFixture(Path dir, boolean tls, LocalPostgres pg, String upstreamTls) throws IOException {
        this(dir, tls, pg, upstreamTls, null, List.of(), o -> o);
    }

    /**
     * @param address       the inventory's {@code address:} for the target, or null for {@code pg}'s own
     * @param readOnlyRoles more roles, marked {@code readOnly: true} in the inventory and granted by rule db-probe
     *                      (access: read); the test gives them their privileges
     * @param options       changes to the proxy's options
     */
    DatabaseFixture(
            Path dir,
            boolean tls,
            LocalPostgres pg,
            String upstreamTls,
            String address,
            List<String> readOnlyRoles,
            java.util.function.UnaryOperator<DatabaseProxy.Options> options)
            throws IOException {
        this.dir = dir;
        this.probeRoles = List.copyOf(readOnlyRoles);
        this.pg = pg;
        pg.createDatabase("orders");
        Path passwords = dir.resolve("db-passwords");
        Files.createDirectories(passwords);
        List<String> roles = new ArrayList<>(List.of(READ_ROLE, WRITE_ROLE, REDACTED_ROLE, UNMARKED_ROLE));
        roles.addAll(probeRoles);
        for (String role : roles) {
            String password = UUID.randomUUID().toString();
            pg.createRole(role, password);
            Files.writeString(passwords.resolve(role), password + "\n");
            rolePasswords.put(role, password);
        }
        pg.sql("orders", "create table if not exists items (id serial primary key, name text not null, secret text)");
        pg.sql(
                "orders",
                "grant select on items to " + READ_ROLE + ", " + UNMARKED_ROLE + "; grant all on items to " + WRITE_ROLE
                        + ", " + REDACTED_ROLE + "; grant usage on sequence items_id_seq to " + WRITE_ROLE + ", "
                        + REDACTED_ROLE);
        this.grants =
                new GrantBook("""
                targets:
                  - {name: %1$s, kind: postgres, host: 127.0.0.1, port: %2$d, database: orders}
                rules:
                  - {name: db-read, requesters: [engineers], targets: [%1$s], logins: [%3$s], maxDuration: 4h, access: read,
                     approvals: {required: 1, from: [dba-approvers]}}
                  - {name: db-write, requesters: [engineers], targets: [%1$s], logins: [%4$s], maxDuration: 4h, access: write,
                     approvals: {required: 1, from: [dba-approvers]}}
                  - {name: db-redacted, requesters: [engineers], targets: [%1$s], logins: [%5$s], maxDuration: 4h, access: write,
                     approvals: {required: 1, from: [dba-approvers]}, session: {recordQueryParameters: false}}
                  - {name: db-unmarked, requesters: [engineers], targets: [%1$s], logins: [%6$s], maxDuration: 4h, access: read,
                     approvals: {required: 1, from: [dba-approvers]}}
                  - {name: db-read-role-write, requesters: [engineers], targets: [%1$s], logins: [%3$s],
                     maxDuration: 4h, access: write, approvals: {required: 1, from: [dba-approvers]}}
                """.formatted(TARGET, pg.port(), READ_ROLE, WRITE_ROLE, REDACTED_ROLE, UNMARKED_ROLE)
                        + (probeRoles.isEmpty() ? "" : """
                  - {name: db-probe, requesters: [engineers], targets: [%s], logins: [%s], maxDuration: 4h, access: read,
                     approvals: {required: 1, from: [dba-approvers]}}
                """.formatted(TARGET, String.join(", ", probeRoles))));
        Path targets = dir.resolve("targets.yaml");
        StringBuilder inventoryRoles = new StringBuilder();
        for (String role : roles) {
            boolean readOnly = role.equals(READ_ROLE) || probeRoles.contains(role);
            inventoryRoles
                    .append("      ")
                    .append(role)
                    .append(": {passwordFile: ")
                    .append(passwords.resolve(role))
                    .append(readOnly ? ", readOnly: true}\n" : "}\n");
        }
        Files.writeString(
                targets,
                """
                databases:
                  %s:
                    address: %s
                    roles:
                """.formatted(TARGET, address != null ? address : "127.0.0.1:" + pg.port())
                        + inventoryRoles
                        + (upstreamTls == null ? "" : "    tls: " + upstreamTls + "\n"));
        TargetInventory inventory = TargetInventory.load(targets);
        recordingsDir = dir.resolve("recordings");
        storage = new FileSystemRecordingStorage(recordingsDir);
        signer = RecordingKeys.loadOrGenerate(dir.resolve("rec.pem"), dir.resolve("rec.pub.pem"));
        DatabaseCredentials issuer = (credential, target) -> {
            if (brokerDown.get()) {
                throw new dev.portcullis.workflow.port.GrantAuthority.AuthorityUnavailableException(
                        "connection refused", null);
            }
            // every credential of this fixture is issued for TARGET, as the broker scopes each to one target
            return Optional.ofNullable(credentials.get(credential))
                    .filter(p -> TARGET.equals(target))
                    .map(p -> new DatabaseCredentials.Holder(p, "account-of-" + p));
        };
        bastion = Bastion.start(new Bastion.Parts(
                "127.0.0.1",
                0,
                HostKeys.loadOrGenerate(dir.resolve("host_key")),
                new Recordings(storage, signer, Bastion.RECORDING_OPTIONS, RecordingClock.system()),
                () -> inventory,
                grants,
                index,
                () -> null,
                () -> null,
                Map.of(),
                PORTAL,
                "bastion-test",
                Duration.ofSeconds(10),
                Clock.systemUTC(),
                options.apply(proxyOptions(
                        tls ? DbTls.selfSigned(dir.resolve("state"), List.of("localhost", "127.0.0.1")) : null)),
                issuer));
    }

    /** The defaults, but a connection must start up within {@link #STARTUP_TIMEOUT} (30 s by default). */
    private static DatabaseProxy.Options proxyOptions(javax.net.ssl.SSLContext tls) {
        DatabaseProxy.Options d = DatabaseProxy.Options.defaults("127.0.0.1", 0, tls);
        return new DatabaseProxy.Options(
                d.host(), d.port(), d.tls(), d.tlsRequired(), d.maxConnections(), d.maxMessage(), STARTUP_TIMEOUT);
    }

    /** A credential for a person, as the broker would issue it. */
    String credential(String person) {
        String c = "pcdb_" + UUID.randomUUID().toString().replace("-", "");
        credentials.put(c, person);
        return c;
    }

    UUID grant(String person, String role, Duration duration) {
        String rule = role.equals(READ_ROLE)
                ? "db-read"
                : role.equals(WRITE_ROLE)
                        ? "db-write"
                        : role.equals(REDACTED_ROLE)
                                ? "db-redacted"
                                : role.equals(UNMARKED_ROLE) ? "db-unmarked" : "db-probe";
        boolean read = !role.equals(WRITE_ROLE) && !role.equals(REDACTED_ROLE);
        return grants.grant(
                person, TARGET, TargetKind.POSTGRES, role, rule, read ? AccessLevel.READ : AccessLevel.WRITE, duration);
    }

    /** A write grant on a role the inventory marks read-only (the role's own privileges still apply). */
    UUID grantWriteOnReadRole(String person, Duration duration) {
        return grants.grant(
                person, TARGET, TargetKind.POSTGRES, READ_ROLE, "db-read-role-write", AccessLevel.WRITE, duration);
    }

    int port() {
        return bastion.databasePort();
    }

    /** The libpq connection string for the proxy. */
    String conninfo(String role, String sslmode) {
        return "host=127.0.0.1 port=" + port() + " dbname=" + TARGET + " user=" + role + " sslmode=" + sslmode
                + " connect_timeout=10";
    }

    /** Runs psql through the proxy with this password; -v ON_ERROR_STOP so that a failed statement is exit status 3. */
    Commands.Result psql(String role, String password, String sslmode, String sql) throws IOException {
        return psql(role, password, sslmode, sql, Map.of());
    }

    Commands.Result psql(String role, String password, String sslmode, String sql, Map<String, String> env)
            throws IOException {
        List<String> cmd = new ArrayList<>(List.of(
                pg.binDir().resolve("psql").toString(),
                "-X",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                conninfo(role, sslmode)));
        Map<String, String> all = new java.util.HashMap<>(env);
        all.put("PGPASSWORD", password);
        return Commands.run(cmd, sql, Duration.ofSeconds(60), all);
    }

    String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port() + "/" + TARGET + "?sslmode=require&connectTimeout=10";
    }

    @Override
    public void close() {
        bastion.close();
    }
}
