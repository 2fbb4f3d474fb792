package dev.portcullis.broker.siem;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Consumer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Bad sink settings: one line at start that names the setting, never the secret. */
@Tag("unit")
class SiemSettingsTest {

    private static final String SECRET = "s3cr3t-token-value";

    private static SiemSettings settings(Consumer<SiemSettings> change) {
        SiemSettings s = new SiemSettings();
        s.syslogAddress = Optional.empty();
        s.syslogServerName = Optional.empty();
        s.syslogCaFile = Optional.empty();
        s.syslogSettle = Duration.ofMillis(100);
        s.hecUrl = Optional.empty();
        s.hecToken = Optional.of(SECRET);
        s.hecIndex = Optional.empty();
        s.hecCaFile = Optional.empty();
        s.bulkUrl = Optional.empty();
        s.bulkIndex = "portcullis-audit";
        s.bulkApiKey = Optional.empty();
        s.bulkUsername = Optional.empty();
        s.bulkPassword = Optional.empty();
        s.bulkCaFile = Optional.empty();
        s.batchSize = 500;
        s.pollInterval = Duration.ofMillis(200);
        s.timeout = Duration.ofSeconds(10);
        s.retryMax = Duration.ofSeconds(30);
        s.instanceName = "broker-1";
        change.accept(s);
        return s;
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "syslog without port          | portcullis.siem.syslog.address",
                "syslog missing CA file       | portcullis.siem.syslog.ca-file",
                "hec over http to a network   | portcullis.siem.hec.url",
                "hec at another path          | portcullis.siem.hec.url",
                "hec URL with credentials     | portcullis.siem.hec.url",
                "hec without token            | portcullis.siem.hec.token",
                "bulk with a bad index        | portcullis.siem.bulk.index",
                "bulk user without password   | portcullis.siem.bulk.password",
                "batch size 0                 | portcullis.siem.batch-size",
                "poll interval 0              | portcullis.siem.poll-interval",
            })
    void aBadSettingIsOneLineNamingItWithoutTheSecret(String name, String setting) {
        SiemSettings bad = settings(s -> {
            switch (name) {
                case "syslog without port" -> s.syslogAddress = Optional.of("siem.example.com");
                case "syslog missing CA file" -> {
                    s.syslogAddress = Optional.of("siem.example.com:6514");
                    s.syslogCaFile = Optional.of(Path.of("/nonexistent/ca.pem"));
                }
                case "hec over http to a network" ->
                    s.hecUrl = Optional.of("http://splunk.example.com:8088/services/collector/event");
                case "hec at another path" ->
                    s.hecUrl = Optional.of("https://splunk.example.com:8088/services/collector/raw");
                case "hec URL with credentials" ->
                    s.hecUrl = Optional.of("https://u:" + SECRET + "@splunk.example.com/services/collector/event");
                case "hec without token" -> {
                    s.hecUrl = Optional.of("https://splunk.example.com:8088/services/collector/event");
                    s.hecToken = Optional.empty();
                }
                case "bulk with a bad index" -> {
                    s.bulkUrl = Optional.of("https://os.example.com:9200/_bulk");
                    s.bulkIndex = "Audit Trail";
                }
                case "bulk user without password" -> {
                    s.bulkUrl = Optional.of("https://os.example.com:9200/_bulk");
                    s.bulkUsername = Optional.of("portcullis");
                }
                case "batch size 0" -> s.batchSize = 0;
                case "poll interval 0" -> s.pollInterval = Duration.ZERO;
                default -> throw new IllegalArgumentException(name);
            }
        });
        assertThatThrownBy(bad::sinks)
                .isInstanceOf(IllegalArgumentException.class)
                .satisfies(e -> assertThat(e.getMessage())
                        .contains(setting)
                        .doesNotContain("\n")
                        .doesNotContain(SECRET));
    }

    @Test
    void goodSettingsGiveTheirSinks() {
        SiemSettings good = settings(s -> {
            s.syslogAddress = Optional.of("siem.example.com:6514");
            s.hecUrl = Optional.of("https://splunk.example.com:8088/services/collector/event");
            s.bulkUrl = Optional.of("http://127.0.0.1:9200/_bulk");
        });
        assertThat(good.sinks()).extracting(SiemSink::name).containsExactly("syslog", "hec", "bulk");
        assertThat(good.sinkNames()).containsExactly("syslog", "hec", "bulk");
        assertThat(settings(s -> {}).sinks()).isEmpty();
    }
}
