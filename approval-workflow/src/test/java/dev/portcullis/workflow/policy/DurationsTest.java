package dev.portcullis.workflow.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

@Tag("unit")
class DurationsTest {

    @ParameterizedTest
    @CsvSource({"90s,90", "30m,1800", "2h,7200", "1d,86400", "1h30m,5400", "PT2H,7200", "1d2h3m4s,93784"})
    void parsesHumanAndIsoDurations(String text, long seconds) {
        assertThat(Durations.parse(text)).contains(Duration.ofSeconds(seconds));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "2 hours", "h", "-1h", "1h-2m", "P", "99999999999999999999d"})
    void rejectsEverythingElse(String text) {
        assertThat(Durations.parse(text)).isEmpty();
    }

    @ParameterizedTest
    @CsvSource({"7200,2h", "5400,1h30m", "86400,1d", "45,45s", "3601,1h1s"})
    void formatsCompactly(long seconds, String text) {
        assertThat(Durations.format(Duration.ofSeconds(seconds))).isEqualTo(text);
    }
}
