package dev.portcullis.deploy;

import dev.portcullis.local.LocalKeycloak;
import dev.portcullis.local.LocalPostgres;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The packaged broker ({@code broker-api/target/quarkus-app}) as a process of its own, for the quickstart and system tests. */
public final class BrokerProcess {

    private final Process process;
    private final int port;
    private final Path log;

    private BrokerProcess(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /**
     * Starts a broker on {@code port} against the given database and Keycloak, logging to {@code log}: it migrates
     * the database as its owner and serves with the runtime login. Its audit head key and signed heads live beside the
     * log unless {@code extra}, more environment variables (any Quarkus or Portcullis setting), says otherwise.
     */
    public static BrokerProcess start(
            Path repo,
            int port,
            Path log,
            LocalPostgres.BrokerDatabase database,
            LocalKeycloak keycloak,
            Path policy,
            Map<String, String> extra) {
        Path jar = repo.resolve("broker-api/target/quarkus-app/quarkus-run.jar");
        if (!Files.exists(jar)) {
            throw new IllegalStateException(
                    "the broker is not built (" + jar + " is missing); run: mvn -DskipTests install");
        }
        ProcessBuilder pb = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-Xmx512m",
                        "-jar",
                        jar.toString())
                .directory(repo.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        Map<String, String> env = new HashMap<>();
        env.put("QUARKUS_HTTP_PORT", String.valueOf(port));
        env.put("QUARKUS_DATASOURCE_JDBC_URL", database.jdbcUrl());
        env.put("QUARKUS_DATASOURCE_USERNAME", database.runtime());
        env.put("QUARKUS_DATASOURCE_PASSWORD", database.runtimePassword());
        env.put("QUARKUS_FLYWAY_USERNAME", database.owner());
        env.put("QUARKUS_FLYWAY_PASSWORD", database.ownerPassword());
        Path beside = log.toAbsolutePath().getParent();
        env.put(
                "PORTCULLIS_AUDIT_HEAD_KEY_FILE",
                beside.resolve("audit/audit_head.pem").toString());
        env.put(
                "PORTCULLIS_AUDIT_SIGNED_HEADS_DIR",
                beside.resolve("audit-heads").toString());
        env.put("QUARKUS_OIDC_AUTH_SERVER_URL", keycloak.issuerUrl());
        env.put("QUARKUS_OIDC_CREDENTIALS_SECRET", keycloak.brokerClientSecret());
        env.put("QUARKUS_KEYCLOAK_ADMIN_CLIENT_SERVER_URL", keycloak.baseUrl());
        env.put("QUARKUS_KEYCLOAK_ADMIN_CLIENT_CLIENT_SECRET", keycloak.brokerClientSecret());
        env.put("PORTCULLIS_POLICY_FILE", policy.toAbsolutePath().toString());
        env.putAll(extra);
        pb.environment().putAll(env);
        try {
            return new BrokerProcess(pb.start(), port, log);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the broker: " + e.getMessage(), e);
        }
    }

    public String url() {
        return "http://127.0.0.1:" + port;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Waits until /q/health/ready answers 200; throws with the log's tail if the broker dies or is too slow. */
    public BrokerProcess awaitReady(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!healthy(url())) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException(
                        "the broker did not become ready; its log " + log + " ends with:\n" + tail());
            }
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
        return this;
    }

    /** kill -9: no shutdown hook, no goodbye. */
    public void kill() {
        process.destroyForcibly();
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public void stop() {
        process.destroy();
        try {
            if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    public String tail() {
        return tail(log);
    }

    /** The last 30 lines of a process log, for error messages. */
    static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    public static boolean healthy(String brokerUrl) {
        try {
            HttpResponse<Void> r = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create(brokerUrl + "/q/health/ready"))
                                    .timeout(Duration.ofSeconds(2))
                                    .build(),
                            HttpResponse.BodyHandlers.discarding());
            return r.statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
