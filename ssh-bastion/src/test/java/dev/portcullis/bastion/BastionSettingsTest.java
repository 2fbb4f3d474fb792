package dev.portcullis.bastion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** F6: how a bastion may reach its broker, one line per refused setting; no server needed. */
@Tag("unit")
class BastionSettingsTest {

    private static final String PIN = "SHA256:BGvYCuZCzLbyKIFAzRHAv5/MK8deLYP1BtU5Rm4D2OQ";

    private static Map<String, String> env(String... pairs) {
        Map<String, String> env = new HashMap<>(Map.of(
                "PORTCULLIS_BROKER_URL", "https://portcullis-broker.portcullis.svc:8443",
                "PORTCULLIS_BROKER_CA_FILE", "/etc/portcullis/broker-ca/ca.crt",
                "PORTCULLIS_BASTION_TOKEN_URL",
                        "https://keycloak.example.com/realms/portcullis/protocol/openid-connect/token",
                "PORTCULLIS_BASTION_CLIENT_SECRET", "s3cret",
                "PORTCULLIS_BASTION_TARGETS", "/etc/portcullis/targets.yaml",
                "PORTCULLIS_USER_CA_FINGERPRINT", PIN));
        for (int i = 0; i < pairs.length; i += 2) {
            if (pairs[i + 1] == null) {
                env.remove(pairs[i]);
            } else {
                env.put(pairs[i], pairs[i + 1]);
            }
        }
        return env;
    }

    @Test
    void httpsWithAPinnedCaAndLoopbackHttpAreAccepted() {
        BastionSettings tls = BastionSettings.fromEnvironment(env());
        assertThat(tls.brokerCaFile()).hasToString("/etc/portcullis/broker-ca/ca.crt");
        assertThat(tls.userCaFingerprint()).isEqualTo(PIN);
        assertThat(tls.grantRecheck()).isEqualTo(Duration.ofSeconds(30));
        assertThat(tls.grantEvents()).isTrue();
        assertThat(tls.toString()).doesNotContain("s3cret");
        assertThat(tls.healthHost())
                .as("health and metrics on loopback unless told otherwise")
                .isEqualTo("127.0.0.1");
        assertThat(tls.healthPort()).isEqualTo(9464);
        assertThat(BastionSettings.fromEnvironment(env("PORTCULLIS_BASTION_HEALTH_PORT", "off"))
                        .healthPort())
                .isEqualTo(-1);
        BastionSettings scraped = BastionSettings.fromEnvironment(
                env("PORTCULLIS_BASTION_HEALTH_HOST", "0.0.0.0", "PORTCULLIS_BASTION_HEALTH_PORT", "9000"));
        assertThat(scraped.healthHost() + ":" + scraped.healthPort()).isEqualTo("0.0.0.0:9000");
        BastionSettings loopback = BastionSettings.fromEnvironment(env(
                "PORTCULLIS_BROKER_URL",
                "http://127.0.0.1:8080",
                "PORTCULLIS_BROKER_CA_FILE",
                null,
                "PORTCULLIS_BASTION_TOKEN_URL",
                "http://localhost:8180/realms/portcullis/token"));
        assertThat(loopback.brokerCaFile()).isNull();
    }

    @Test
    void recordingsGoToS3UnderTheClientsPrefixWhenABucketIsSet() {
        assertThat(BastionSettings.fromEnvironment(env()).recordingsS3()).isNull();
        BastionSettings s3 = BastionSettings.fromEnvironment(env(
                "PORTCULLIS_RECORDINGS_S3_BUCKET",
                "recordings",
                "PORTCULLIS_RECORDINGS_S3_ENDPOINT",
                "https://minio.example.com:9000",
                "PORTCULLIS_RECORDINGS_S3_PREFIX",
                "portcullis/",
                "PORTCULLIS_RECORDINGS_S3_PATH_STYLE",
                "false",
                "PORTCULLIS_BASTION_CLIENT_ID",
                "portcullis-bastion-a"));
        assertThat(s3.recordingsS3().segmentPrefix(s3.clientId())).isEqualTo("portcullis/portcullis-bastion-a/");
        assertThat(s3.recordingsS3().pathStyle()).isFalse();
        assertThat(s3.recordingsS3().accessKeyId()).isNull(); // the SDK's default credential chain
        assertThat(s3.toString()).contains("s3://recordings/portcullis/").doesNotContain("s3cret");
        BastionSettings keys = BastionSettings.fromEnvironment(env(
                "PORTCULLIS_RECORDINGS_S3_BUCKET",
                "recordings",
                "PORTCULLIS_RECORDINGS_S3_ACCESS_KEY_ID",
                "AKIA-TEST",
                "PORTCULLIS_RECORDINGS_S3_SECRET_ACCESS_KEY",
                "not-logged"));
        assertThat(keys.toString()).contains("access key AKIA-TEST").doesNotContain("not-logged");
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "PORTCULLIS_RECORDINGS_S3_ENDPOINT|ftp://minio:9000|PORTCULLIS_RECORDINGS_S3_*: the S3 endpoint must be an http or https URL, not 'ftp://minio:9000'",
                "PORTCULLIS_RECORDINGS_S3_PATH_STYLE|yes|PORTCULLIS_RECORDINGS_S3_PATH_STYLE must be true or false, not 'yes'",
                "PORTCULLIS_RECORDINGS_S3_PREFIX|../other/|PORTCULLIS_RECORDINGS_S3_*: the S3 key prefix must be empty or path segments",
                "PORTCULLIS_RECORDINGS_S3_ACCESS_KEY_ID|AKIA-TEST|PORTCULLIS_RECORDINGS_S3_*: the S3 access key id and secret access key go together",
                "PORTCULLIS_RECORDINGS_S3_OBJECT_LOCK_MODE|STRICT|PORTCULLIS_RECORDINGS_S3_*: the S3 Object Lock mode must be COMPLIANCE or GOVERNANCE, not 'STRICT'",
                "PORTCULLIS_RECORDINGS_S3_OBJECT_LOCK_DAYS|ninety|PORTCULLIS_RECORDINGS_S3_OBJECT_LOCK_DAYS must be a whole number of days",
                "PORTCULLIS_BASTION_CLIENT_ID|bastion/a|PORTCULLIS_BASTION_CLIENT_ID names this bastion's S3 prefix: a bastion segment name",
            })
    void badS3SettingsAreRefusedInOneLine(String name, String value, String message) {
        assertThatThrownBy(() -> BastionSettings.fromEnvironment(
                        env("PORTCULLIS_RECORDINGS_S3_BUCKET", "recordings", name, value)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(message)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void theDatabasePoolIsOnByDefaultAndCanBeTurnedOff() {
        BastionSettings defaults = BastionSettings.fromEnvironment(env());
        assertThat(defaults.databasePool().enabled()).isTrue();
        assertThat(defaults.databasePool().idleTimeout()).isEqualTo(Duration.ofSeconds(60));
        BastionSettings set = BastionSettings.fromEnvironment(env(
                "PORTCULLIS_DB_POOL_SIZE",
                "5",
                "PORTCULLIS_DB_POOL_SIZE_PER_ROLE",
                "2",
                "PORTCULLIS_DB_POOL_CHECK_SECONDS",
                "0"));
        assertThat(set.databasePool().maxIdle()).isEqualTo(5);
        assertThat(set.databasePool().maxIdlePerKey()).isEqualTo(2);
        assertThat(set.databasePool().checkAfter()).isZero();
        BastionSettings off = BastionSettings.fromEnvironment(env("PORTCULLIS_DB_POOL_SIZE", "0"));
        assertThat(off.databasePool().enabled()).isFalse();
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "PORTCULLIS_BROKER_URL|http://portcullis-broker.portcullis.svc:8080|PORTCULLIS_BROKER_URL must be https:// (plain http only to a loopback broker), not http://portcullis-broker.portcullis.svc:8080",
                "PORTCULLIS_BROKER_URL|http://10.0.0.7:8080|PORTCULLIS_BROKER_URL must be https:// (plain http only to a loopback broker), not http://10.0.0.7:8080",
                "PORTCULLIS_BROKER_URL|http://127.0.0.1.evil.example:8080|PORTCULLIS_BROKER_URL must be https:// (plain http only to a loopback broker), not http://127.0.0.1.evil.example:8080",
                "PORTCULLIS_BROKER_URL|ftp://127.0.0.1/|PORTCULLIS_BROKER_URL must be https:// (plain http only to a loopback broker), not ftp://127.0.0.1/",
                "PORTCULLIS_BROKER_CA_FILE||PORTCULLIS_BROKER_CA_FILE is required with an https PORTCULLIS_BROKER_URL: the CA (PEM) that signed the broker's certificate, the only one the bastion will trust",
                "PORTCULLIS_BASTION_TOKEN_URL|http://keycloak.example.com/token|PORTCULLIS_BASTION_TOKEN_URL must be https:// (plain http only on loopback), not http://keycloak.example.com/token",
                "PORTCULLIS_USER_CA_FINGERPRINT|MD5:aa:bb|PORTCULLIS_USER_CA_FINGERPRINT must be the broker's user CA fingerprint, SHA256:... as ssh-keygen -lf user_ca.pub prints it",
                "PORTCULLIS_USER_CA_FINGERPRINT||missing settings: PORTCULLIS_USER_CA_FINGERPRINT",
                "PORTCULLIS_BASTION_GRANT_RECHECK_SECONDS|31|PORTCULLIS_BASTION_GRANT_RECHECK_SECONDS must be between 1 and 30",
                "PORTCULLIS_BASTION_GRANT_RECHECK_SECONDS|0|PORTCULLIS_BASTION_GRANT_RECHECK_SECONDS must be between 1 and 30",
                "PORTCULLIS_BASTION_GRANT_EVENTS|maybe|PORTCULLIS_BASTION_GRANT_EVENTS must be on or off",
                "PORTCULLIS_DB_POOL_SIZE|-1|PORTCULLIS_DB_POOL_SIZE must be a whole number of at least 0",
                "PORTCULLIS_DB_POOL_IDLE_SECONDS|0|PORTCULLIS_DB_POOL_IDLE_SECONDS must be a whole number of at least 1",
                "PORTCULLIS_BASTION_HEALTH_PORT|http|PORTCULLIS_BASTION_HEALTH_PORT must be a number or off",
                "PORTCULLIS_BASTION_HEALTH_PORT|70000|PORTCULLIS_BASTION_HEALTH_PORT must be between 0 and 65535, or off",
            })
    void refusedInOneLine(String name, String value, String message) {
        assertThatThrownBy(() -> BastionSettings.fromEnvironment(env(name, value)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message);
    }
}
