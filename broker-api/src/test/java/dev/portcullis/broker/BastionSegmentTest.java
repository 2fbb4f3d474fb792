package dev.portcullis.broker;

import static dev.portcullis.broker.Api.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * F6/F15: a bastion's token buys host certificates for its own segment's names only. The bastion client of this broker
 * serves a segment of {@code localhost} and {@code 127.0.0.1}; {@code prod-web-1} is an SSH target of the policy, but
 * of another segment, so a certificate for it (what a stolen bastion token would be used for: impersonating that
 * segment's bastion) is refused with one line and an audit row.
 */
@QuarkusTest
@QuarkusTestResource(BrokerTestEnvironment.class)
@TestProfile(BastionSegmentTest.OneSegment.class)
class BastionSegmentTest {

    public static final class OneSegment implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "portcullis.bastion.segments",
                    "portcullis-bastion: localhost, 127.0.0.1; portcullis-bastion-b: prod-web-1");
        }
    }

    @TempDir
    Path dir;

    /** F6: a request for another segment's name is refused in one line, audited, and the bastion keeps working. */
    @Test
    void aHostCertificateForAnotherSegmentsNameIsRefusedAndAudited() {
        String publicKey = SshKeygen.publicKey(SshKeygen.generate(dir, "ed25519", null));

        Api.asBastion()
                .body(Map.of("publicKey", publicKey, "principals", List.of("localhost", "prod-web-1")))
                .post("/internal/v1/ssh/host-certificates")
                .then()
                .statusCode(403)
                .body("code", equalTo("outside_segment"))
                .body(
                        "detail",
                        equalTo("the bastion client portcullis-bastion may not get host certificates for prod-web-1: "
                                + "not names of its segment (portcullis.bastion.segments)"));
        JsonPath audit = as("dave")
                .get("/api/v1/audit?action=ssh.host-certificate.refused&limit=1")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
        assertThat(audit.getString("[0].actor")).isEqualTo("portcullis-bastion");
        assertThat(audit.getString("[0].details.outside")).isEqualTo("prod-web-1");
        assertThat(audit.getString("[0].details.principals")).isEqualTo("localhost,prod-web-1");

        // still a bastion for everything else; a person is still no bastion
        Api.asBastion()
                .body(Map.of("username", "alice", "target", "prod-web-1", "login", "ubuntu", "use", "SHELL"))
                .post("/internal/v1/grants/authorize")
                .then()
                .statusCode(200);
        as("erin")
                .body(Map.of("publicKey", publicKey, "principals", List.of("localhost")))
                .post("/internal/v1/ssh/host-certificates")
                .then()
                .statusCode(403)
                .body("code", equalTo("not_a_bastion"));
    }

    /**
     * F15: the host certificate a segment's bastion gets names its own segment's names and nothing else, whatever it
     * asks for: a name of another segment, alone or among its own, gets no certificate at all.
     */
    @Test
    void aHostCertificateNamesOnlyTheBastionsOwnSegment() {
        Path hostKey = SshKeygen.generate(dir, "ed25519", null);
        String publicKey = SshKeygen.publicKey(hostKey);
        for (List<String> asked : List.of(List.of("prod-web-1"), List.of("127.0.0.1", "prod-web-1", "localhost"))) {
            Api.asBastion()
                    .body(Map.of("publicKey", publicKey, "principals", asked))
                    .post("/internal/v1/ssh/host-certificates")
                    .then()
                    .statusCode(403)
                    .body("code", equalTo("outside_segment"));
        }
        String fingerprint = SshKeygen.fingerprint(Path.of(hostKey + ".pub"));
        assertThat(as("dave")
                        .get("/api/v1/audit?action=ssh.host-certificate.issued&limit=50")
                        .then()
                        .statusCode(200)
                        .extract()
                        .jsonPath()
                        .getList("details.fingerprint"))
                .doesNotContain(fingerprint);

        JsonPath issued = Api.asBastion()
                .body(Map.of("publicKey", publicKey, "principals", List.of("localhost", "127.0.0.1")))
                .post("/internal/v1/ssh/host-certificates")
                .then()
                .statusCode(201)
                .extract()
                .jsonPath();
        String described = SshKeygen.describe(SshKeygen.write(dir, "host-cert.pub", issued.getString("certificate")));
        assertThat(issued.getList("principals")).containsExactly("localhost", "127.0.0.1");
        assertThat(described)
                .contains("host certificate", "localhost", "127.0.0.1")
                .doesNotContain("prod-web-1");
    }
}
