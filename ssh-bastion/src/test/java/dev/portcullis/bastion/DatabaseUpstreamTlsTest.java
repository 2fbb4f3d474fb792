package dev.portcullis.bastion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.bastion.db.DbTls;
import dev.portcullis.bastion.upstream.TargetInventory;
import dev.portcullis.local.Commands.Result;
import dev.portcullis.local.LocalPostgres;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Key;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The proxy's own connection to a PostgreSQL target over TLS, as libpq's {@code sslmode=verify-full}: encrypted, the
 * server's certificate chained to the inventory's CA and naming the address the proxy dialled. A server that cannot
 * show that is refused in one line, and so is a server that does not offer TLS when the inventory asks for it.
 */
class DatabaseUpstreamTlsTest {

    @TempDir
    static Path dir;
    /** A server whose certificate names 127.0.0.1, the address the policy gives. */
    static LocalPostgres server;
    /** A server whose certificate names only db.example. */
    static LocalPostgres misnamed;

    static Path serverCa;
    static Path misnamedCa;

    @BeforeAll
    static void start() throws Exception {
        server = LocalPostgres.start(null);
        serverCa = certificate(server, dir.resolve("server-cert"), "127.0.0.1");
        misnamed = LocalPostgres.start(null);
        misnamedCa = certificate(misnamed, dir.resolve("misnamed-cert"), "db.example");
    }

    @AfterAll
    static void stop() {
        for (LocalPostgres pg : new LocalPostgres[] {server, misnamed}) {
            if (pg != null) {
                pg.close();
            }
        }
    }

    @Test
    void theProxySpeaksTlsToTheServerWhenTheInventorySaysSo() throws IOException {
        try (DatabaseFixture f = new DatabaseFixture(
                dir.resolve("verified"), true, server, "{mode: verify-full, ca: " + serverCa + "}")) {
            f.grant("alice", DatabaseFixture.READ_ROLE, Duration.ofMinutes(10));
            Result r = f.psql(
                    DatabaseFixture.READ_ROLE,
                    f.credential("alice"),
                    "require",
                    "select ssl, version like 'TLS%' from pg_stat_ssl where pid = pg_backend_pid();");
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.out().strip())
                    .as("the server sees its own session from the proxy as TLS")
                    .isEqualTo("t|t");
        }
        // The same server without tls: in the inventory: the proxy's session is in plain text, as configured.
        try (DatabaseFixture f = new DatabaseFixture(dir.resolve("plain"), true, server, null)) {
            f.grant("alice", DatabaseFixture.READ_ROLE, Duration.ofMinutes(10));
            Result r = f.psql(
                    DatabaseFixture.READ_ROLE,
                    f.credential("alice"),
                    "require",
                    "select ssl from pg_stat_ssl where pid = pg_backend_pid();");
            assertThat(r.out().strip()).isEqualTo("f");
        }
    }

    @Test
    void aServerWhoseCertificateTheInventoryDoesNotTrustIsRefused() throws IOException {
        assertThat(refusal("untrusted", server, misnamedCa))
                .contains("cannot reach " + DatabaseFixture.READ_ROLE + "@" + DatabaseFixture.TARGET
                        + ": TLS to the server failed: its certificate is not signed by a CA the inventory trusts")
                .doesNotContain("Exception");
    }

    @Test
    void aServerWhoseCertificateNamesAnotherHostIsRefused() throws IOException {
        // trusted CA, but the certificate says db.example while the proxy dialled 127.0.0.1
        assertThat(refusal("misnamed", misnamed, misnamedCa))
                .contains("TLS to the server failed: its certificate does not name 127.0.0.1");
    }

    @Test
    void aServerThatDoesNotOfferTlsIsRefusedWhenTheInventoryRequiresIt() throws IOException {
        assertThat(refusal("no-tls", LocalPostgres.shared(), serverCa))
                .contains("the server does not offer TLS"); // the shared server has TLS off
    }

    /** What psql says when a person with a grant connects through a proxy that must reach {@code pg} trusting {@code ca}. */
    private static String refusal(String name, LocalPostgres pg, Path ca) throws IOException {
        try (DatabaseFixture f =
                new DatabaseFixture(dir.resolve(name), true, pg, "{mode: verify-full, ca: " + ca + "}")) {
            f.grant("alice", DatabaseFixture.READ_ROLE, Duration.ofMinutes(10));
            Result r = f.psql(DatabaseFixture.READ_ROLE, f.credential("alice"), "require", "select 1;");
            assertThat(r.exit()).as("refused").isNotZero();
            return r.err();
        }
    }

    @Test
    void theInventoryRefusesTlsSettingsThatWouldNotCheckTheServer() throws IOException {
        Path password = dir.resolve("pw");
        Files.writeString(password, "x\n");
        for (String[] bad : new String[][] {
            {"require", "unknown mode 'require'"},
            {"{mode: verify-ca, ca: " + serverCa + "}", "unknown mode 'verify-ca'"},
            {"{mode: verify-full, ca: " + dir.resolve("missing.pem") + "}", "missing.pem"},
            {"{mode: verify-full, ca: " + password + "}", "is not a PEM certificate file"},
            {"{mode: verify-full, cafile: x}", "unknown key 'cafile'"},
            {"true", "expected off, verify-full"}
        }) {
            Path file = dir.resolve("targets-" + Integer.toHexString(bad[0].hashCode()) + ".yaml");
            Files.writeString(
                    file,
                    "databases:\n  prod-db:\n    address: 127.0.0.1:5432\n    roles:\n      r: {passwordFile: "
                            + password + "}\n    tls: " + bad[0] + "\n");
            assertThatThrownBy(() -> TargetInventory.load(file))
                    .as(bad[0])
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("databases.prod-db.tls")
                    .hasMessageContaining(bad[1]);
        }
        for (String good :
                List.of("off", "verify-full", "{mode: verify-full, ca: " + serverCa + "}", "{ca: " + serverCa + "}")) {
            Path file = dir.resolve("targets-good-" + Integer.toHexString(good.hashCode()) + ".yaml");
            Files.writeString(
                    file,
                    "databases:\n  prod-db:\n    address: 127.0.0.1:5432\n    roles:\n      r: {passwordFile: "
                            + password + "}\n    tls: " + good + "\n");
            assertThat(TargetInventory.load(file)
                            .database("prod-db")
                            .orElseThrow()
                            .tls()
                            .enabled())
                    .as(good)
                    .isEqualTo(!"off".equals(good));
        }
    }

    /** Gives the server a self-signed certificate for this name (made as the proxy makes its own); returns its PEM file. */
    private static Path certificate(LocalPostgres pg, Path certDir, String name) throws Exception {
        DbTls.selfSigned(certDir, List.of(name));
        char[] pass =
                Files.readString(certDir.resolve("db-tls.p12.pass")).strip().toCharArray();
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(certDir.resolve("db-tls.p12"))) {
            store.load(in, pass);
        }
        Key key = store.getKey(store.aliases().nextElement(), pass);
        String keyPem = "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(key.getEncoded())
                + "\n-----END PRIVATE KEY-----\n";
        Path pem = certDir.resolve("db-tls.crt");
        pg.enableTls(Files.readString(pem), keyPem);
        return pem;
    }
}
