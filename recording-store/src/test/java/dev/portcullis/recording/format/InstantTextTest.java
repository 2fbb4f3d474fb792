package dev.portcullis.recording.format;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class InstantTextTest {

    @Test
    void writesWhatInstantToStringWrites() {
        long[] seconds = {0, 1, 59, 86_399, 1_796_670_618L, 253_402_300_799L, 253_402_300_800L, -1, -62_135_596_800L};
        int[] nanos = {0, 1, 999, 1000, 1_000_000, 7_000_000, 123_456_000, 123_456_789, 999_999_999, 100_000_000};
        for (long s : seconds) {
            for (int n : nanos) {
                Instant t = Instant.ofEpochSecond(s, n);
                assertThat(InstantText.of(t)).as(t.toString()).isEqualTo(t.toString());
            }
        }
        SplittableRandom random = new SplittableRandom(21);
        for (int i = 0; i < 20_000; i++) {
            // mostly neighbours in time, as lines are, with a jump now and then
            long s = 1_796_670_000L + random.nextLong(i % 100 == 0 ? 1_000_000_000L : 3);
            int step = i % 3 == 0 ? 1 : 1000; // whole microseconds, as recordings have them, and any nanosecond
            Instant t = Instant.ofEpochSecond(s, random.nextInt(1_000_000_000) / step * step);
            assertThat(InstantText.of(t)).as(t.toString()).isEqualTo(t.toString());
        }
    }
}
