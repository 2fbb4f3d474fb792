package dev.portcullis.deploy;

import dev.portcullis.local.LocalMailServer;
import java.nio.file.Path;

/**
 * Every setting of the quickstart, from the environment, with its default. The README's settings table
 * lists the same names.
 */
record Settings(
        Path repo,
        Path home,
        int httpPort,
        int keycloakPort,
        Path policyFile,
        Path postgresDir,
        int bastionPort,
        int demoSshPort,
        int databaseProxyPort,
        int bastionHealthPort,
        String recordingsBackend,
        int s3Port,
        LocalMailServer.Ports mailPorts) {

    Settings {
        if (!recordingsBackend.equals("s3") && !recordingsBackend.equals("filesystem")) {
            throw new Quickstart.QuickstartException("PORTCULLIS_RECORDINGS_BACKEND=" + recordingsBackend
                    + " is neither s3 (S3Proxy on loopback, the default) nor filesystem");
        }
    }

    /** Recordings on the local S3 server, and the mail server, on any free ports. */
    Settings(
            Path repo,
            Path home,
            int httpPort,
            int keycloakPort,
            Path policyFile,
            Path postgresDir,
            int bastionPort,
            int demoSshPort,
            int databaseProxyPort,
            int bastionHealthPort) {
        this(
                repo,
                home,
                httpPort,
                keycloakPort,
                policyFile,
                postgresDir,
                bastionPort,
                demoSshPort,
                databaseProxyPort,
                bastionHealthPort,
                "s3",
                0,
                new LocalMailServer.Ports(0, 0, 0));
    }

    /** Without a health port of its own: the bastion's health endpoint takes any free loopback port. */
    Settings(
            Path repo,
            Path home,
            int httpPort,
            int keycloakPort,
            Path policyFile,
            Path postgresDir,
            int bastionPort,
            int demoSshPort,
            int databaseProxyPort) {
        this(
                repo,
                home,
                httpPort,
                keycloakPort,
                policyFile,
                postgresDir,
                bastionPort,
                demoSshPort,
                databaseProxyPort,
                0);
    }

    static Settings fromEnvironment() {
        Path repo = Path.of("").toAbsolutePath();
        Path home = Path.of(env("PORTCULLIS_HOME", repo.resolve(".portcullis").toString()))
                .toAbsolutePath();
        int http = port("PORTCULLIS_HTTP_PORT", 8080);
        int kc = port("PORTCULLIS_KEYCLOAK_PORT", 8180);
        Path policy = Path.of(env(
                        "PORTCULLIS_POLICY_FILE",
                        repo.resolve("deploy/policies/policies.yaml").toString()))
                .toAbsolutePath();
        Path pg = Path.of(
                        env("PORTCULLIS_POSTGRES_DIR", home.resolve("postgres").toString()))
                .toAbsolutePath();
        int bastion = port("PORTCULLIS_BASTION_PORT", 2022);
        int demo = port("PORTCULLIS_DEMO_SSH_PORT", 2222);
        int db = port("PORTCULLIS_DB_PORT", 6432);
        int health = port("PORTCULLIS_BASTION_HEALTH_PORT", 9464);
        int s3 = port("PORTCULLIS_S3_PORT", 9333);
        // GreenMail's own test ports, clear of the broker's 8080 for its REST API
        LocalMailServer.Ports mail = new LocalMailServer.Ports(
                port("PORTCULLIS_MAIL_SMTP_PORT", 3025),
                port("PORTCULLIS_MAIL_IMAP_PORT", 3143),
                port("PORTCULLIS_MAIL_API_PORT", 3080));
        return new Settings(
                repo,
                home,
                http,
                kc,
                policy,
                pg,
                bastion,
                demo,
                db,
                health,
                env("PORTCULLIS_RECORDINGS_BACKEND", "s3"),
                s3,
                mail);
    }

    /** The example policy ships with the repository; the quickstart adapts it to the demo target's login. */
    boolean examplePolicy() {
        return policyFile.equals(repo.resolve("deploy/policies/policies.yaml").toAbsolutePath());
    }

    boolean s3() {
        return recordingsBackend.equals("s3");
    }

    String brokerUrl() {
        return "http://127.0.0.1:" + httpPort;
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }

    private static int port(String name, int fallback) {
        String value = System.getenv(name);
        if (value == null || value.isBlank()) {
            return fallback;
        }
        try {
            int port = Integer.parseInt(value.trim());
            if (port < 1 || port > 65535) {
                throw new NumberFormatException();
            }
            return port;
        } catch (NumberFormatException e) {
            throw new Quickstart.QuickstartException(name + "=" + value + " is not a port number (1-65535)");
        }
    }
}
