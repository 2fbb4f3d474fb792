package dev.portcullis.recording.s3;

import java.time.Duration;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.DefaultRetryStrategy;
import software.amazon.awssdk.retries.api.RetryStrategy;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;

/**
 * S3 clients for recordings, on the JDK's HTTP client (it starts fastest and pulls in no other library).
 * The bastion's client never retries: a put that may have been stored is not sent again (the bastion never writes a
 * key twice), and a failed put fails the recording at once, which cuts the session (fail closed). Timeouts are short
 * for the same reason: an unreachable store must show within the writer's {@code maxBlock}, not after it.
 */
public final class S3Clients {

    private S3Clients() {}

    /** The bastion's client: puts once, no retries. */
    public static S3Client writer(S3Settings settings) {
        return build(settings, DefaultRetryStrategy.doNotRetry());
    }

    /** The broker's client: reads only, retried (a read may be sent again). */
    public static S3Client reader(S3Settings settings) {
        return build(
                settings,
                DefaultRetryStrategy.standardStrategyBuilder().maxAttempts(3).build());
    }

    private static S3Client build(S3Settings settings, RetryStrategy retries) {
        var builder = S3Client.builder()
                .region(Region.of(settings.region()))
                .credentialsProvider(credentials(settings))
                .httpClientBuilder(UrlConnectionHttpClient.builder()
                        .connectionTimeout(Duration.ofSeconds(2))
                        .socketTimeout(Duration.ofSeconds(4)))
                .serviceConfiguration(S3Configuration.builder()
                        .pathStyleAccessEnabled(settings.pathStyle())
                        .build())
                // the chain's hashes and signatures check every byte; extra checksums only where S3 requires
                // them (Object Lock puts), which keeps MinIO, Ceph RGW, SeaweedFS and S3Proxy working
                .requestChecksumCalculation(
                        settings.objectLock() == null
                                ? RequestChecksumCalculation.WHEN_REQUIRED
                                : RequestChecksumCalculation.WHEN_SUPPORTED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .overrideConfiguration(o -> o.retryStrategy(retries)
                        .apiCallAttemptTimeout(Duration.ofSeconds(4))
                        .apiCallTimeout(Duration.ofSeconds(10)));
        if (settings.endpoint() != null) {
            builder.endpointOverride(settings.endpoint());
        }
        return builder.build();
    }

    private static AwsCredentialsProvider credentials(S3Settings settings) {
        return settings.accessKeyId() == null
                ? DefaultCredentialsProvider.builder().build()
                : StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(settings.accessKeyId(), settings.secretKey()));
    }
}
