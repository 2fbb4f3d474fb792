package dev.portcullis.broker.recordings;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.recording.RecordingVerifier;
import java.util.Collections;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Only VALID verdicts are kept, keyed by everything they depend on, and the cache stays within its bounds. */
@Tag("unit")
class VerdictCacheTest {

    private static final RecordingVerifier.Expected EXPECTED =
            new RecordingVerifier.Expected(true, true, Map.of("user", "alice"));

    private static VerdictCache.Key key(String recording, String manifest) {
        return new VerdictCache.Key(recording, manifest, "key", EXPECTED);
    }

    private static RecordingVerifier.Checked valid(int chunks) {
        return new RecordingVerifier.Checked(
                new RecordingVerifier.Verification(RecordingVerifier.Status.VALID, chunks, null),
                "h",
                Collections.nCopies(chunks, "c"));
    }

    @Test
    void aVerdictIsFoundOnlyUnderTheSameManifestBindingAndExpectation() {
        VerdictCache cache = new VerdictCache(10, 1000);
        cache.put(key("r1", "m1"), valid(3));
        assertThat(cache.get(key("r1", "m1"))).isNotNull();
        assertThat(cache.get(key("r1", "m2"))).isNull();
        assertThat(cache.get(new VerdictCache.Key("r1", "m1", "other-key", EXPECTED)))
                .isNull();
        assertThat(cache.get(new VerdictCache.Key(
                        "r1", "m1", "key", new RecordingVerifier.Expected(true, false, Map.of("user", "alice")))))
                .isNull();
        cache.forget("r1");
        assertThat(cache.get(key("r1", "m1"))).isNull();
    }

    @Test
    void onlyValidVerdictsAreKept() {
        VerdictCache cache = new VerdictCache(10, 1000);
        RecordingVerifier.Checked incomplete = new RecordingVerifier.Checked(
                new RecordingVerifier.Verification(RecordingVerifier.Status.INCOMPLETE, 1, "no manifest"),
                "h",
                java.util.List.of("c"));
        assertThatThrownBy(() -> cache.put(key("r1", "m1"), incomplete)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theLeastRecentlyUsedGoFirstWhenEntriesOrChunkHashesRunOver() {
        VerdictCache byCount = new VerdictCache(2, 1000);
        byCount.put(key("r1", "m"), valid(1));
        byCount.put(key("r2", "m"), valid(1));
        byCount.get(key("r1", "m"));
        byCount.put(key("r3", "m"), valid(1));
        assertThat(byCount.get(key("r2", "m"))).isNull();
        assertThat(byCount.get(key("r1", "m"))).isNotNull();
        assertThat(byCount.size()).isEqualTo(2);

        VerdictCache byWeight = new VerdictCache(10, 100);
        byWeight.put(key("r1", "m"), valid(60));
        byWeight.put(key("r2", "m"), valid(60));
        assertThat(byWeight.get(key("r1", "m"))).isNull();
        assertThat(byWeight.get(key("r2", "m"))).isNotNull();
        byWeight.put(key("big", "m"), valid(500));
        assertThat(byWeight.get(key("big", "m"))).isNull();
        assertThat(byWeight.get(key("r2", "m"))).isNotNull();
    }
}
