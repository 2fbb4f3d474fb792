package dev.portcullis.broker;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import dev.portcullis.testkit.LocalKeycloak;
import dev.portcullis.testkit.LocalPostgres;

/** Real PostgreSQL and real Keycloak for the broker under test, started once per test JVM. */
public class BrokerTestEnvironment implements QuarkusTestResourceLifecycleManager {

    public static final String DATABASE = "broker_test";

    @Override
    public Map<String, String> start() {
        LocalPostgres postgres = LocalPostgres.shared();
        postgres.createDatabase(DATABASE);
        LocalKeycloak keycloak = LocalKeycloak.shared();
        return Map.of(
                "quarkus.datasource.jdbc.url", postgres.jdbcUrl(DATABASE),
                "quarkus.datasource.username", postgres.superuser(),
                "quarkus.datasource.password", postgres.password(),
                "quarkus.oidc.auth-server-url", keycloak.issuerUrl(),
                "quarkus.oidc.credentials.secret", keycloak.brokerClientSecret(),
                "quarkus.keycloak.admin-client.server-url", keycloak.baseUrl(),
                "quarkus.keycloak.admin-client.client-secret", keycloak.brokerClientSecret(),
                "portcullis.policy.file", testPolicy().toString());
    }

    @Override
    public void stop() {
        // LocalPostgres and LocalKeycloak stop with the JVM.
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
