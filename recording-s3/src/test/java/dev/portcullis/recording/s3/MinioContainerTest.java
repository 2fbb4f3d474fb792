package dev.portcullis.recording.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Against MinIO, where a Docker engine exists (skipped where there is none, as on the project's own machines):
 * the server itself refuses to replace a key put with {@code If-None-Match: *}, so a replaced recording object is
 * refused at the source there, on top of what the bastion and the verifier do everywhere.
 */
@Testcontainers(disabledWithoutDocker = true)
class MinioContainerTest {

    private static final String USER = "portcullis-test";
    private static final String PASSWORD = "made-for-this-test-only";

    @Container
    static final GenericContainer<?> MINIO = new GenericContainer<>("minio/minio:latest")
            .withCommand("server", "/data")
            .withEnv("MINIO_ROOT_USER", USER)
            .withEnv("MINIO_ROOT_PASSWORD", PASSWORD)
            .withExposedPorts(9000)
            .waitingFor(Wait.forHttp("/minio/health/ready").forPort(9000).withStartupTimeout(Duration.ofMinutes(2)));

    @Test
    void minioRefusesToReplaceAKeyPutWithIfNoneMatch() throws Exception {
        S3Settings settings = new S3Settings(
                "recordings",
                URI.create("http://" + MINIO.getHost() + ":" + MINIO.getMappedPort(9000)),
                "us-east-1",
                "",
                true,
                USER,
                PASSWORD,
                null,
                null);
        try (S3Client client = S3Clients.writer(settings)) {
            client.createBucket(b -> b.bucket("recordings"));
            S3RecordingStorage storage = new S3RecordingStorage(client, settings, settings.segmentPrefix("segment-a"));
            storage.create("r1", "{\"header\":1}".getBytes(StandardCharsets.UTF_8));
            storage.putChunk("r1", 1, "first".getBytes(StandardCharsets.UTF_8));

            String key = storage.key("r1", S3RecordingStorage.chunkName(1));
            assertThatThrownBy(() -> client.putObject(
                            b -> b.bucket("recordings").key(key).ifNoneMatch("*"), RequestBody.fromString("forged")))
                    .isInstanceOf(S3Exception.class)
                    .satisfies(e -> assertThat(((S3Exception) e).statusCode()).isEqualTo(412));
            assertThat(storage.chunk("r1", 1)).asString(StandardCharsets.UTF_8).isEqualTo("first");
        }
    }
}
