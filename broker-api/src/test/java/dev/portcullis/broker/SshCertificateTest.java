package dev.portcullis.broker;

import static dev.portcullis.broker.Api.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import dev.portcullis.local.LocalKeycloak;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The SSH CAs as users and operators meet them: certificates read back by the stock ssh-keygen. */
@QuarkusTest
@QuarkusTestResource(BrokerTestEnvironment.class)
class SshCertificateTest {

    private static final DateTimeFormatter SSH_KEYGEN_TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss").withZone(ZoneOffset.UTC);
    private static final String DSA_KEY =
            "ssh-dss AAAAB3NzaC1kc3MAAACBAJRUCArjQ69fH9t83zckxpohvaAdvg+tKep/cBnGaaGGRTqOd9Pubb1UXLATu8hGLVVVHzoFuZiCWof"
                    + "Q1Oivu8ZCuvARVc7399Z2e1cdSfx7Zdve9e6BLibCLCNJy+EAcQ0YWJlvTDDYWosVnR1jKS+wZ2ato9ARG6PO57FxWDWDAAAAFQCEhaIQpZsbhsqTmPuUM6jq4D"
                    + "jU9QAAAIBHibtRD1PKTcvaw/ZrgS8hOaNGFxLkVLFtsXR3Gld6+yXYc3ieYn5qLchGbYMxXoari390JVKQgiQduPaHPE1EmWwSH8sC/QNGoeciNMiAGN9hPYwGr0o"
                    + "LBATArvjcvVKGu3YaoDT2alAVa8bTkA3jTIodYpEAZZ2jJZte0XpffgAAAIBnTVq6o+gT/nofMkEnexbKnjnrf6I/wdZjgeSfPu55e/PPZSXwOr30tQr7kALxo7jf"
                    + "YpskNF2xEymw6IRXOSOsjpn205BPAuvl4zWJrfBv1/DLJHes8HuDkZcH68xY1tsNhWa6zJAdJ6I/VvBGHxysd9Nk8F9NMQ4eXco2xSZu8A== old@laptop";

    @ConfigProperty(name = "portcullis.ssh.user-ca-key-file")
    String userCaKeyFile;

    @ConfigProperty(name = "portcullis.ssh.host-ca-key-file")
    String hostCaKeyFile;

    @TempDir
    Path dir;

    @Test
    void aCertificateForAliceIsReadByOpenSshWithHerNameTheUserCaAndItsValidity() {
        Path key = SshKeygen.generate(dir, "ed25519", null);
        JsonPath issued = as("alice")
                .body(Map.of("publicKey", SshKeygen.publicKey(key)))
                .post("/api/v1/ssh/certificates")
                .then()
                .statusCode(201)
                .body("certificate", startsWith("ssh-ed25519-cert-v01@openssh.com AAAA"))
                .extract()
                .jsonPath();
        long serial = issued.getLong("serial");
        assertThat(issued.getList("principals")).containsExactly("alice");
        assertThat(issued.getString("keyId")).isEqualTo("portcullis:alice:" + serial);
        Instant validAfter = Instant.parse(issued.getString("validAfter"));
        Instant validBefore = Instant.parse(issued.getString("validBefore"));
        assertThat(Duration.between(validAfter, validBefore))
                .isEqualTo(Duration.ofHours(4).plusMinutes(1));

        // ssh-keygen finds it as ssh does: next to the key, as KEY-cert.pub.
        Path cert = SshKeygen.write(dir, "ed25519-cert.pub", issued.getString("certificate"));
        String described = SshKeygen.describe(cert);
        Path userCa = SshKeygen.write(
                dir,
                "user_ca.pub",
                Api.anonymous().get("/api/v1/ssh/ca").jsonPath().getString("userCaPublicKey"));
        assertThat(described)
                .contains("Type: ssh-ed25519-cert-v01@openssh.com user certificate")
                .contains("Signing CA: ED25519 " + SshKeygen.fingerprint(userCa) + " (using ssh-ed25519)")
                .contains("Key ID: \"portcullis:alice:" + serial + "\"")
                .contains("Serial: " + serial)
                .contains("Valid: from " + SSH_KEYGEN_TIME.format(validAfter) + " to "
                        + SSH_KEYGEN_TIME.format(validBefore))
                .contains("Public key: ED25519-CERT " + SshKeygen.fingerprint(Path.of(key + ".pub")));
        assertThat(section(described, "Principals:")).containsExactly("alice");
        // alice's Keycloak account as an SSH string (length, then the id), which ssh-keygen shows in hex
        byte[] account = LocalKeycloak.shared().userId("alice").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        String data =
                "%08x".formatted(account.length) + java.util.HexFormat.of().formatHex(account);
        assertThat(section(described, "Extensions:"))
                .containsExactly(
                        "permit-agent-forwarding",
                        "permit-port-forwarding",
                        "permit-pty",
                        "portcullis-account@portcullis.dev UNKNOWN OPTION: " + data + " (len " + (account.length + 4)
                                + ")");
        assertThat(section(described, "Critical Options:")).isEmpty();
    }

    @Test
    void ecdsaAndRsaKeysOfAtLeast2048BitsAreCertifiedToo() {
        for (Path key : List.of(
                SshKeygen.generate(dir, "ecdsa", 256),
                SshKeygen.generate(dir, "ecdsa", 521),
                SshKeygen.generate(dir, "rsa", 2048))) {
            String certificate = as("bob")
                    .body(Map.of("publicKey", SshKeygen.publicKey(key)))
                    .post("/api/v1/ssh/certificates")
                    .then()
                    .statusCode(201)
                    .extract()
                    .path("certificate");
            String described = SshKeygen.describe(SshKeygen.write(dir, key.getFileName() + "-cert.pub", certificate));
            assertThat(described)
                    .contains("user certificate")
                    .contains("Public key: ")
                    .contains("Signing CA: ED25519");
            assertThat(section(described, "Principals:")).containsExactly("bob");
        }
    }

    @Test
    void unusableKeysAreRefusedWithOneClearLineAndPrivateKeysAreNeverEchoed() throws Exception {
        Path rsa1024 = SshKeygen.generate(dir, "rsa", 1024);
        String privateKey = Files.readString(SshKeygen.generate(dir, "ed25519", null));
        Path someKey = SshKeygen.generate(dir, "ecdsa", 384);
        String certificate = as("alice")
                .body(Map.of("publicKey", SshKeygen.publicKey(someKey)))
                .post("/api/v1/ssh/certificates")
                .then()
                .statusCode(201)
                .extract()
                .path("certificate");

        assertRefused(
                SshKeygen.publicKey(rsa1024),
                "key_too_short",
                "this RSA key has 1024 bits; at least 2048 are required");
        assertRefused(DSA_KEY, "unsupported_key_type", "DSA keys are not accepted");
        assertRefused("hello world", "not_a_public_key", "this is not an OpenSSH public key");
        assertRefused("ssh-ed25519 AAAAnot-base64!!", "not_a_public_key", "this is not a readable OpenSSH public key");
        assertRefused(certificate, "certificate_sent", "this is a certificate, not a public key");
        assertRefused("", "public_key_required", "publicKey is required");
        assertRefused(
                "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: me\nPublic-Lines: 2\nAAAA\nPrivate-Lines: 1\nAAAA\n",
                "private_key_sent",
                "this is a private key");
        Response pasted =
                assertRefused(privateKey, "private_key_sent", "this is a private key: never send it anywhere");
        String secret = privateKey
                .lines()
                .filter(l -> !l.startsWith("-----"))
                .findFirst()
                .orElseThrow();
        assertThat(pasted.asString()).doesNotContain(secret);
        as("dave")
                .get("/api/v1/audit?actor=alice&action=ssh.certificate.issued&limit=1000")
                .then()
                .statusCode(200)
                .body(org.hamcrest.Matchers.not(org.hamcrest.Matchers.containsString(secret)));
    }

    private static Response assertRefused(String publicKey, String code, String message) {
        Response response = as("alice").body(Map.of("publicKey", publicKey)).post("/api/v1/ssh/certificates");
        assertThat(response.statusCode()).as(response.asString()).isEqualTo(422);
        assertThat(response.contentType()).startsWith("application/problem+json");
        assertThat(response.jsonPath().getString("code")).isEqualTo(code);
        assertThat(response.jsonPath().getString("field")).isEqualTo("publicKey");
        assertThat(response.jsonPath().getString("detail")).startsWith(message).doesNotContain("\n");
        return response;
    }

    @Test
    void issuingIsAuditedWithSerialAndFingerprintButNoKeyMaterial() {
        Path key = SshKeygen.generate(dir, "ed25519", null);
        String publicKey = SshKeygen.publicKey(key);
        JsonPath issued = as("carol")
                .body(Map.of("publicKey", publicKey))
                .post("/api/v1/ssh/certificates")
                .then()
                .statusCode(201)
                .extract()
                .jsonPath();
        JsonPath audit = as("dave")
                .get("/api/v1/audit?action=ssh.certificate.issued&subject=" + issued.getLong("serial"))
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
        assertThat(audit.getString("[0].actor")).isEqualTo("carol");
        assertThat(audit.getString("[0].details.fingerprint")).isEqualTo(SshKeygen.fingerprint(Path.of(key + ".pub")));
        assertThat(audit.getString("[0].details.validBefore")).isEqualTo(issued.getString("validBefore"));
        String body = as("dave")
                .get("/api/v1/audit?action=ssh.certificate.issued&subject=" + issued.getLong("serial"))
                .asString();
        assertThat(body)
                .doesNotContain(publicKey.split(" ")[1])
                .doesNotContain(issued.getString("certificate").split(" ")[1]);
    }

    @Test
    void serviceAccountsAndDisabledPeopleGetNoCertificate() {
        String publicKey = SshKeygen.publicKey(SshKeygen.generate(dir, "ed25519", null));
        Api.asBastion()
                .body(Map.of("publicKey", publicKey))
                .post("/api/v1/ssh/certificates")
                .then()
                .statusCode(403)
                .body("code", equalTo("not_a_person"));
        Api.anonymous()
                .body(Map.of("publicKey", publicKey))
                .post("/api/v1/ssh/certificates")
                .then()
                .statusCode(401);

        String name = Api.newEngineer("cert-disabled-");
        String token = Api.token(name); // fetched while enabled, still unexpired after
        LocalKeycloak.shared().setUserEnabled(name, false);
        io.restassured.RestAssured.given()
                .auth()
                .oauth2(token)
                .contentType(io.restassured.http.ContentType.JSON)
                .body(Map.of("publicKey", publicKey))
                .post("/api/v1/ssh/certificates")
                .then()
                .statusCode(403)
                .body("code", equalTo("account_disabled"));
    }

    @Test
    void theCaKeysArePublicAndTheKnownHostsLineCoversSshTargetsAndBastions() throws Exception {
        JsonPath ca = Api.as("alice")
                .get("/api/v1/ssh/ca")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
        String hostCa = ca.getString("hostCaPublicKey");
        assertThat(ca.getString("userCaPublicKey"))
                .startsWith("ssh-ed25519 AAAA")
                .isNotEqualTo(hostCa);
        assertThat(hostCa).startsWith("ssh-ed25519 AAAA");
        // prod-db is a PostgreSQL target: not an SSH host name.
        assertThat(ca.getString("knownHostsLine"))
                .isEqualTo("@cert-authority prod-web-1,localhost,127.0.0.1 " + hostCa);

        // The key files are OpenSSH private keys, readable by their owner only, and they are what the endpoint serves.
        for (Map.Entry<String, String> file : Map.of(
                        userCaKeyFile, ca.getString("userCaPublicKey"), hostCaKeyFile, hostCa)
                .entrySet()) {
            Path path = Path.of(file.getKey());
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(path)))
                    .isEqualTo("rw-------");
            assertThat(SshKeygen.publicHalf(path)).startsWith(file.getValue());
        }
    }

    @Test
    void anonymousCallersGetTheCaKeysButNoTargetNames() {
        JsonPath ca = Api.anonymous()
                .get("/api/v1/ssh/ca")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
        String hostCa = ca.getString("hostCaPublicKey");
        assertThat(hostCa).startsWith("ssh-ed25519 AAAA");
        assertThat(ca.getString("userCaPublicKey")).startsWith("ssh-ed25519 AAAA");
        assertThat(ca.getString("knownHostsLine"))
                .isEqualTo("@cert-authority localhost,127.0.0.1 " + hostCa)
                .doesNotContain("prod-");
    }

    @Test
    void bastionsGetHostCertificatesForKnownNamesOnly() {
        Path hostKey = SshKeygen.generate(dir, "ed25519", null);
        String publicKey = SshKeygen.publicKey(hostKey);
        Map<String, Object> body = Map.of("publicKey", publicKey, "principals", List.of("prod-web-1", "localhost"));

        Api.anonymous()
                .body(body)
                .post("/internal/v1/ssh/host-certificates")
                .then()
                .statusCode(401);
        as("erin")
                .body(body)
                .post("/internal/v1/ssh/host-certificates")
                .then()
                .statusCode(403)
                .body("code", equalTo("not_a_bastion"));
        Api.asBastion()
                .body(Map.of("publicKey", publicKey, "principals", List.of("prod-web-1", "evil.example.com")))
                .post("/internal/v1/ssh/host-certificates")
                .then()
                .statusCode(422)
                .body("code", equalTo("unknown_principal"))
                .body("detail", org.hamcrest.Matchers.containsString("evil.example.com"));
        Api.asBastion()
                .body(Map.of("publicKey", publicKey, "principals", List.of("prod-db")))
                .post("/internal/v1/ssh/host-certificates")
                .then()
                .statusCode(422)
                .body("code", equalTo("unknown_principal"));
        Api.asBastion()
                .body(Map.of("publicKey", publicKey, "principals", List.of()))
                .post("/internal/v1/ssh/host-certificates")
                .then()
                .statusCode(422)
                .body("code", equalTo("principals_required"));
        Api.asBastion()
                .body(Map.of("publicKey", DSA_KEY, "principals", List.of("localhost")))
                .post("/internal/v1/ssh/host-certificates")
                .then()
                .statusCode(422)
                .body("code", equalTo("unsupported_key_type"));

        JsonPath issued = Api.asBastion()
                .body(body)
                .post("/internal/v1/ssh/host-certificates")
                .then()
                .statusCode(201)
                .body("certificate", startsWith("ssh-ed25519-cert-v01@openssh.com AAAA"))
                .extract()
                .jsonPath();
        assertThat(issued.getList("principals")).containsExactly("prod-web-1", "localhost");
        String described = SshKeygen.describe(SshKeygen.write(dir, "host-cert.pub", issued.getString("certificate")));
        Path hostCa = SshKeygen.write(
                dir,
                "host_ca.pub",
                Api.anonymous().get("/api/v1/ssh/ca").jsonPath().getString("hostCaPublicKey"));
        assertThat(described)
                .contains("host certificate")
                .contains("Signing CA: ED25519 " + SshKeygen.fingerprint(hostCa))
                .contains(" to " + SSH_KEYGEN_TIME.format(Instant.parse(issued.getString("validBefore"))));
        assertThat(section(described, "Principals:")).containsExactly("prod-web-1", "localhost");
        as("dave")
                .get("/api/v1/audit?action=ssh.host-certificate.issued&limit=1")
                .then()
                .statusCode(200)
                .body("[0].actor", equalTo("portcullis-bastion"))
                .body("[0].details.principals", equalTo("prod-web-1,localhost"));
    }

    /** The indented lines under a heading of ssh-keygen -L, or none when it says "(none)". */
    private static List<String> section(String described, String heading) {
        List<String> lines = described.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.startsWith(heading)) {
                if (line.endsWith("(none)")) {
                    return List.of();
                }
                List<String> items = new java.util.ArrayList<>();
                int indent = lines.get(i).indexOf(heading.charAt(0));
                for (int j = i + 1;
                        j < lines.size() && lines.get(j).indexOf(lines.get(j).strip()) > indent;
                        j++) {
                    items.add(lines.get(j).strip());
                }
                return items;
            }
        }
        throw new AssertionError("no '" + heading + "' in " + described);
    }
}
