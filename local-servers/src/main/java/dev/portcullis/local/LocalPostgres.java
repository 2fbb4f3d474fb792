package dev.portcullis.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A real PostgreSQL cluster on a free loopback port, made with the installed server binaries
 * ({@code initdb}, {@code pg_ctl}). PostgreSQL refuses to run as root, so as root the cluster runs as the
 * {@code postgres} system user through {@code runuser}. TCP connections use scram-sha-256 with a random
 * superuser password made at run time.
 */
public final class LocalPostgres implements AutoCloseable {

    private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
    private static final String OS_USER = "postgres";
    private static LocalPostgres shared;

    private final Path base;
    private final boolean temporary;
    private final Path binDir;
    private final String password;
    private final int port;
    private final Map<String, BrokerDatabase> brokerDatabases = new java.util.HashMap<>();
    private volatile boolean closed;

    private LocalPostgres(Path base, boolean temporary, Path binDir, String password, int port) {
        this.base = base;
        this.temporary = temporary;
        this.binDir = binDir;
        this.password = password;
        this.port = port;
    }

    /** One cluster per JVM, started on first use and stopped when the JVM exits. */
    public static synchronized LocalPostgres shared() {
        if (shared == null) {
            shared = start(null);
            LocalPostgres instance = shared;
            Runtime.getRuntime().addShutdownHook(new Thread(instance::close, "local-postgres-stop"));
        }
        return shared;
    }

    /**
     * Starts a cluster. With {@code dataDir} null it lives in a temporary directory removed by {@link #close()};
     * with a directory it persists there (initdb only when empty) and keeps its superuser password in a 0600 file.
     */
    public static LocalPostgres start(Path dataDir) {
        return start(dataDir, 0);
    }

    /**
     * {@link #start(Path)} on {@code port} when it is above 0 (a persistent cluster started again where its clients
     * still look for it), otherwise on a free port.
     */
    public static LocalPostgres start(Path dataDir, int port) {
        Path bin = findBinDir();
        try {
            boolean temporary = dataDir == null;
            Path base = temporary ? Files.createTempDirectory("portcullis-pg-") : dataDir.toAbsolutePath();
            Files.createDirectories(base);
            Path data = base.resolve("data");
            Path passwordFile = base.resolve("superuser-password");
            String password;
            boolean fresh = !Files.exists(data.resolve("PG_VERSION"));
            if (fresh) {
                password = Processes.secret();
                Files.writeString(passwordFile, password, StandardCharsets.UTF_8);
                Files.setPosixFilePermissions(passwordFile, PosixFilePermissions.fromString("rw-------"));
                Files.createDirectories(base.resolve("sock"));
                Processes.chown(base, OS_USER);
                checkReachable(base);
                Processes.run(
                        List.of(
                                bin.resolve("initdb").toString(),
                                "-D",
                                data.toString(),
                                "-U",
                                "postgres",
                                "--pwfile=" + passwordFile,
                                "--auth-host=scram-sha-256",
                                "--auth-local=peer",
                                "-E",
                                "UTF8",
                                "--locale=C"),
                        OS_USER,
                        base.resolve("initdb.log"),
                        120,
                        Map.of());
                Files.writeString(
                        data.resolve("postgresql.conf"),
                        settings(temporary),
                        StandardCharsets.UTF_8,
                        java.nio.file.StandardOpenOption.APPEND);
            } else {
                password =
                        Files.readString(passwordFile, StandardCharsets.UTF_8).trim();
                Processes.chown(base, OS_USER);
            }
            int listening = startServer(bin, base, port);
            LocalPostgres pg = new LocalPostgres(base, temporary, bin, password, listening);
            Files.writeString(base.resolve("port"), String.valueOf(listening));
            if (temporary) {
                String asPostgres = Processes.runningAsRoot() ? "runuser -u " + OS_USER + " -- " : "";
                Processes.cleanUpWhenThisJvmDies(asPostgres + bin.resolve("pg_ctl") + " -D " + base.resolve("data")
                        + " -m immediate stop; rm -rf " + base);
            }
            return pg;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare a PostgreSQL data directory", e);
        }
    }

    private static String settings(boolean temporary) {
        StringBuilder s = new StringBuilder(
                "\n# portcullis local-servers\nlisten_addresses = '127.0.0.1'\nmax_connections = 300\n");
        s.append("unix_socket_permissions = 0700\n");
        if (temporary) {
            // Throwaway clusters need no crash safety; this keeps test runs fast.
            s.append("fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n");
        }
        return s.toString();
    }

    private static int startServer(Path bin, Path base, int wanted) {
        IllegalStateException last = null;
        for (int attempt = 0; attempt < 5; attempt++) {
            if (attempt > 0 && wanted > 0) {
                // the backends of a server that was killed may still hold its shared memory for a moment
                sleep(1000);
            }
            int port = wanted > 0 ? wanted : Processes.freeLoopbackPort();
            try {
                Processes.run(
                        List.of(
                                bin.resolve("pg_ctl").toString(),
                                "-D",
                                base.resolve("data").toString(),
                                "-l",
                                base.resolve("server.log").toString(),
                                "-w",
                                "-t",
                                "60",
                                "-o",
                                "-p " + port + " -k " + base.resolve("sock"),
                                "start"),
                        OS_USER,
                        base.resolve("pg_ctl.log"),
                        90,
                        Map.of());
                return port;
            } catch (IllegalStateException e) {
                // Another process may have taken the port between the check and the start.
                last = new IllegalStateException(
                        e.getMessage() + "\n" + Processes.tail(base.resolve("server.log"), 20), e);
            }
        }
        throw last;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting PostgreSQL", e);
        }
    }

    /**
     * The persistent cluster an earlier process started in {@code dataDir} and that still runs (the quickstart's, when
     * another part of it is started again), to create databases and roles in. It is not this JVM's to stop.
     */
    public static LocalPostgres running(Path dataDir) {
        Path base = dataDir.toAbsolutePath();
        try {
            String password = Files.readString(base.resolve("superuser-password"), StandardCharsets.UTF_8)
                    .trim();
            int port = Integer.parseInt(Files.readString(base.resolve("port"), StandardCharsets.UTF_8)
                    .trim());
            LocalPostgres pg = new LocalPostgres(base, false, findBinDir(), password, port);
            pg.closed = true;
            return pg;
        } catch (IOException | NumberFormatException e) {
            throw new IllegalStateException("no PostgreSQL cluster was started in " + base + ": " + e.getMessage(), e);
        }
    }

    /** As root, the postgres user must be able to reach the data directory through every parent. */
    private static void checkReachable(Path base) {
        if (!canHost(base)) {
            throw new IllegalStateException(
                    "the postgres user cannot reach " + base + " (a parent directory is closed to it); "
                            + "choose a data directory whose parents are open to other users, such as one under /var/tmp");
        }
    }

    /**
     * Whether a cluster can live in {@code dir}: always when not root; as root, when the {@code postgres}
     * user can pass through every parent directory (a home directory such as /root usually forbids it).
     */
    public static boolean canHost(Path dir) {
        return Processes.userCanEnter(dir, OS_USER);
    }

    static Path findBinDir() {
        String override = System.getenv("PORTCULLIS_PG_BIN");
        if (override != null && !override.isBlank()) {
            return Path.of(override);
        }
        Path root = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(root)) {
            try (Stream<Path> versions = Files.list(root)) {
                Optional<Path> best = versions.filter(
                                p -> p.getFileName().toString().matches("\\d+"))
                        .filter(p -> Integer.parseInt(p.getFileName().toString()) >= 13)
                        .filter(p -> Files.isExecutable(p.resolve("bin/initdb")))
                        .max(Comparator.comparingInt(
                                p -> Integer.parseInt(p.getFileName().toString())));
                if (best.isPresent()) {
                    return best.get().resolve("bin");
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        throw new IllegalStateException("no PostgreSQL 13+ server binaries under /usr/lib/postgresql; "
                + "install them with: apt-get install -y postgresql (or set PORTCULLIS_PG_BIN)");
    }

    public String host() {
        return "127.0.0.1";
    }

    public int port() {
        return port;
    }

    public String superuser() {
        return "postgres";
    }

    public String password() {
        return password;
    }

    public Path binDir() {
        return binDir;
    }

    public Path directory() {
        return base;
    }

    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    /** Creates the database when it does not exist yet. */
    public void createDatabase(String name) {
        requireIdentifier(name);
        if (!"1".equals(query("select 1 from pg_database where datname = '" + name + "'"))) {
            sql("create database " + name);
        }
    }

    /** Creates a login role with this password when it does not exist yet, or sets its password. */
    public void createRole(String name, String rolePassword) {
        requireIdentifier(name);
        String quoted = "'" + rolePassword.replace("'", "''") + "'";
        if ("1".equals(query("select 1 from pg_roles where rolname = '" + name + "'"))) {
            sql("alter role " + name + " with login password " + quoted);
        } else {
            sql("create role " + name + " with login password " + quoted);
        }
    }

    /**
     * A database owned by a login role of the same name with this password, for a server (Keycloak) that needs its own
     * schema and nothing else: not a superuser, no CREATEDB or CREATEROLE. Idempotent; tables an older set-up made as
     * the superuser are handed to the role.
     */
    public void createOwnDatabase(String name, String rolePassword) {
        createRole(name, rolePassword);
        createDatabase(name);
        sql("alter database " + name + " owner to " + name + "; revoke all on database " + name + " from public");
        sql(name, "alter schema public owner to " + name + "; revoke all on schema public from public");
        sql(name, """
                do $$
                declare r record;
                begin
                    for r in select c.oid::regclass as rel, c.relkind from pg_class c join pg_namespace n on n.oid = c.relnamespace
                             where n.nspname = 'public' and c.relkind in ('r', 'p', 'v', 'm') and pg_get_userbyid(c.relowner) <> '%1$s' loop
                        execute format('alter %%s %%s owner to %%I', case r.relkind when 'v' then 'view'
                            when 'm' then 'materialized view' else 'table' end, r.rel, '%1$s');
                    end loop;
                    for r in select c.oid::regclass as rel from pg_class c join pg_namespace n on n.oid = c.relnamespace
                             where n.nspname = 'public' and c.relkind = 'S' and pg_get_userbyid(c.relowner) <> '%1$s' loop
                        execute format('alter sequence %%s owner to %%I', r.rel, '%1$s');
                    end loop;
                end $$""".formatted(name));
    }

    /**
     * A broker's database with its two roles: {@code owner} owns the schema and runs the migrations (Flyway's login),
     * {@code runtime} is the login the broker serves with and gets only the privileges the migrations grant it (no
     * ownership, no CREATE, no TRUNCATE). Idempotent; a database a runtime role once owned (before V10) is handed to
     * the owner here, as an operator does with {@code REASSIGN OWNED}.
     */
    public BrokerDatabase createBrokerDatabase(
            String database, String owner, String ownerPassword, String runtime, String runtimePassword) {
        requireIdentifier(database);
        createRole(owner, ownerPassword);
        createRole(runtime, runtimePassword);
        createDatabase(database);
        sql("alter database " + database + " owner to " + owner);
        // Everything the runtime role owned in this database (its tables, before the roles were split) goes to the
        // owner.
        sql(database, "reassign owned by " + runtime + " to " + owner);
        sql(
                database,
                "revoke all on database " + database + " from public, " + runtime + "; "
                        + "grant connect on database " + database + " to " + runtime + "; "
                        + "alter schema public owner to " + owner + "; "
                        + "revoke all on schema public from public, " + runtime + "; "
                        + "grant usage on schema public to " + runtime);
        return new BrokerDatabase(jdbcUrl(database), owner, ownerPassword, runtime, runtimePassword);
    }

    /**
     * {@link #createBrokerDatabase} with roles named after the database ({@code <database>_owner},
     * {@code <database>_broker}) and passwords made once per cluster, so every caller in this JVM gets the same ones.
     */
    public synchronized BrokerDatabase brokerDatabase(String database) {
        BrokerDatabase known = brokerDatabases.get(database);
        if (known == null) {
            known = createBrokerDatabase(
                    database, database + "_owner", Processes.secret(), database + "_broker", Processes.secret());
            brokerDatabases.put(database, known);
        }
        return known;
    }

    /** Where a broker connects, the login its migrations run as ({@code quarkus.flyway.*}) and the one it serves with. */
    public record BrokerDatabase(
            String jdbcUrl, String owner, String ownerPassword, String runtime, String runtimePassword) {}

    /**
     * Turns TLS on (clients may still connect without it): the server presents this certificate chain and key, both
     * PEM, kept in the data directory readable by the server's account only.
     */
    public void enableTls(String certificateChainPem, String privateKeyPem) {
        Path data = base.resolve("data");
        try {
            Files.writeString(data.resolve("server.crt"), certificateChainPem, StandardCharsets.UTF_8);
            Files.writeString(data.resolve("server.key"), privateKeyPem, StandardCharsets.UTF_8);
            for (String file : List.of("server.crt", "server.key")) {
                Files.setPosixFilePermissions(data.resolve(file), PosixFilePermissions.fromString("rw-------"));
                Processes.chown(data.resolve(file), OS_USER);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the server's TLS files", e);
        }
        sql("alter system set ssl = on");
        sql("select pg_reload_conf()");
        for (int i = 0; i < 50 && !"on".equals(query("show ssl")); i++) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while PostgreSQL reloads", e);
            }
        }
        if (!"on".equals(query("show ssl"))) {
            throw new IllegalStateException(
                    "PostgreSQL did not turn TLS on:\n" + Processes.tail(base.resolve("server.log"), 20));
        }
    }

    /** Runs SQL as the superuser through psql on the given database. */
    public void sql(String database, String statement) {
        psql(database, statement);
    }

    private void sql(String statement) {
        psql("postgres", statement);
    }

    private String query(String statement) {
        return psql("postgres", statement).trim();
    }

    private String psql(String database, String statement) {
        Path out = base.resolve("psql-" + Thread.currentThread().getId() + ".out");
        try {
            Files.deleteIfExists(out);
            Processes.run(
                    List.of(
                            binDir.resolve("psql").toString(),
                            "-X",
                            "-q",
                            "-t",
                            "-A",
                            "-v",
                            "ON_ERROR_STOP=1",
                            "-h",
                            host(),
                            "-p",
                            String.valueOf(port),
                            "-U",
                            superuser(),
                            "-d",
                            database,
                            "-c",
                            statement),
                    null,
                    out,
                    60,
                    Map.of("PGPASSWORD", password, "PGCONNECT_TIMEOUT", "10"));
            return Files.readString(out, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            try {
                Files.deleteIfExists(out);
            } catch (IOException ignored) {
                // harmless
            }
        }
    }

    private static void requireIdentifier(String name) {
        if (!IDENTIFIER.matcher(name).matches()) {
            throw new IllegalArgumentException("not a plain SQL identifier: " + name);
        }
    }

    /** Stops the server (fast shutdown); a temporary cluster's directory is removed. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            Processes.run(
                    List.of(
                            binDir.resolve("pg_ctl").toString(),
                            "-D",
                            base.resolve("data").toString(),
                            "-m",
                            temporary ? "immediate" : "fast",
                            "-w",
                            "-t",
                            "60",
                            "stop"),
                    OS_USER,
                    base.resolve("pg_ctl.log"),
                    90,
                    Map.of());
        } catch (IllegalStateException e) {
            System.err.println("PostgreSQL at " + base + " did not stop cleanly: " + e.getMessage());
        }
        if (temporary) {
            Processes.deleteTree(base);
        }
    }

    /** Stops a persistent cluster that an earlier process started in {@code dataDir} (quickstart stop). */
    public static void stopExisting(Path dataDir) {
        Path data = dataDir.toAbsolutePath().resolve("data");
        if (!Files.exists(data.resolve("postmaster.pid"))) {
            return;
        }
        Processes.run(
                List.of(
                        findBinDir().resolve("pg_ctl").toString(),
                        "-D",
                        data.toString(),
                        "-m",
                        "fast",
                        "-w",
                        "-t",
                        "60",
                        "stop"),
                OS_USER,
                dataDir.toAbsolutePath().resolve("pg_ctl.log"),
                90,
                Map.of());
    }
}
