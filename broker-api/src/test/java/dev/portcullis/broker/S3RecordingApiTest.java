package dev.portcullis.broker;

import static dev.portcullis.broker.Api.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import dev.portcullis.local.LocalKeycloak;
import dev.portcullis.local.LocalS3;
import dev.portcullis.recording.SessionRecording;
import dev.portcullis.recording.s3.S3Clients;
import dev.portcullis.recording.s3.S3Settings;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The broker with its recordings in S3 (S3Proxy on loopback): a bastion's recording, stored under its client's prefix,
 * is replayed by range, downloaded and verified through HTTP; an object replaced behind the bastion's back is
 * reported TAMPERED and not served.
 */
@QuarkusTest
// restricted: a test resource is otherwise global, and every broker test would read its recordings from S3
@QuarkusTestResource(value = S3BrokerTestEnvironment.class, restrictToAnnotatedClass = true)
class S3RecordingApiTest {

    @Test
    void aRecordingInS3IsReplayedDownloadedAndVerifiedAndAReplacedChunkIsTampered() throws Exception {
        String owner = Api.newEngineer("s3-");
        String grant = Api.activeWebGrant(owner);
        UUID session = UUID.randomUUID();
        TestBastion bastion = TestBastion.trusted();
        SessionRecording recording = bastion.start(session, owner, grant);
        bastion.register(session, owner, grant, recording.id()).then().statusCode(201);
        byte[] output = "$ uptime\r\n 10:00:00 up 1 day\r\n".getBytes(StandardCharsets.UTF_8);
        recording.terminal().output(output);
        recording.close("client disconnected", 0);
        TestBastion.end(session, "CLOSED");

        String prefix = "recordings/" + LocalKeycloak.shared().bastionClientId() + "/" + recording.id() + "/";
        assertThat(LocalS3.shared().dataDir().resolve("recordings").resolve(prefix + "manifest.json"))
                .exists();

        Response bytes = as("dave").get("/api/v1/sessions/" + session + "/recording.bin?stream=output");
        assertThat(bytes.statusCode()).as(bytes.asString()).isEqualTo(200);
        assertThat(bytes.header("X-Recording-Status")).isEqualTo("VALID");
        assertThat(bytes.asByteArray()).isEqualTo(output);
        Response index = as("dave").get("/api/v1/sessions/" + session + "/replay");
        assertThat(index.statusCode()).as(index.asString()).isEqualTo(200);
        Response range = as("dave").get("/api/v1/sessions/" + session + "/replay/range?from=0&to=60&last=true");
        assertThat(range.statusCode()).as(range.asString()).isEqualTo(200);
        assertThat(range.asString()).contains("10:00:00 up 1 day");
        as("dave")
                .get("/api/v1/sessions/" + session + "/verification")
                .then()
                .statusCode(200)
                .body("status", equalTo("VALID"));

        // someone with write access to the bucket replaces the chunk (S3Proxy ignores If-None-Match)
        var config = ConfigProvider.getConfig();
        S3Settings settings = S3Settings.read(
                name -> config.getOptionalValue(name, String.class).orElse(null), S3Settings.propertyNames());
        Path stored = LocalS3.shared().dataDir().resolve("recordings").resolve(prefix + "chunk-00000001.bin");
        byte[] chunk = Files.readAllBytes(stored);
        chunk[chunk.length - 1] ^= 1;
        try (S3Client client = S3Clients.writer(settings)) {
            client.putObject(
                    b -> b.bucket(settings.bucket())
                            .key(prefix + "chunk-00000001.bin")
                            .ifNoneMatch("*"),
                    RequestBody.fromBytes(chunk));
        }
        assertThat(Files.readAllBytes(stored)).isEqualTo(chunk);
        as("dave")
                .get("/api/v1/sessions/" + session + "/verification")
                .then()
                .statusCode(200)
                .body("status", equalTo("TAMPERED"));
        // the replaced chunk is never served: the range read that needs it is refused, a download stops before it
        Response refused = as("dave").get("/api/v1/sessions/" + session + "/replay/range?from=0&to=60&last=true");
        assertThat(refused.statusCode()).as(refused.asString()).isNotEqualTo(200);
        assertThat(refused.asString()).doesNotContain("10:00:00 up 1 day");
        assertThat(as("dave")
                        .get("/api/v1/sessions/" + session + "/recording.bin?stream=output")
                        .asString())
                .doesNotContain("10:00:00 up 1 day");
        assertThat(URI.create(settings.endpoint().toString()).getHost()).isEqualTo("127.0.0.1");
    }
}
