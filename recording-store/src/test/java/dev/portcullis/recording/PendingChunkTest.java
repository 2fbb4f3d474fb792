package dev.portcullis.recording;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static dev.portcullis.recording.Fixtures.utf8;
import static org.assertj.core.api.Assertions.assertThat;

/** The flush rule on a fake timeline: no sleeping, no wall clock. */
class PendingChunkTest {

    private static final long SECOND = Duration.ofSeconds(1).toNanos();

    @Test
    void a_chunk_is_due_one_flush_interval_after_its_first_line_however_many_lines_follow() {
        PendingChunk pending = new PendingChunk(Duration.ofSeconds(1), 64 * 1024);
        assertThat(pending.isDue(10 * SECOND)).as("an empty chunk is never due").isFalse();

        pending.add(utf8("[0.000000,\"o\",\"a\"]"), 5 * SECOND);
        for (int i = 1; i < 100; i++) {
            pending.add(utf8("[0.000001,\"o\",\"b\"]"), 5 * SECOND + i * (SECOND / 200));
        }

        assertThat(pending.isDue(5 * SECOND + SECOND - 1)).isFalse();
        assertThat(pending.nanosUntilDue(5 * SECOND + SECOND / 4)).isEqualTo(3 * SECOND / 4);
        assertThat(pending.isDue(6 * SECOND)).isTrue();
        assertThat(pending.nanosUntilDue(7 * SECOND)).isZero();
    }

    @Test
    void a_chunk_is_full_at_the_size_threshold() {
        PendingChunk pending = new PendingChunk(Duration.ofSeconds(1), 40);
        pending.add(utf8("[0.000000,\"o\",\"0123456789\"]"), 0);
        assertThat(pending.isFull()).isFalse();
        pending.add(utf8("[0.000001,\"o\",\"0123456789\"]"), 0);
        assertThat(pending.isFull()).isTrue();
    }

    @Test
    void clearing_starts_a_new_interval_and_the_body_is_newline_terminated_lines() {
        PendingChunk pending = new PendingChunk(Duration.ofSeconds(1), 1024);
        pending.add(utf8("[0.000007,\"o\",\"x\"]"), 0);
        pending.add(utf8("{\"time\":0.000009,\"type\":\"exec\",\"command\":\"id\"}"), 0);
        assertThat(pending.lines()).isEqualTo(2);
        assertThat(new String(pending.body())).isEqualTo("[0.000007,\"o\",\"x\"]\n{\"time\":0.000009,\"type\":\"exec\",\"command\":\"id\"}\n");

        pending.clear();
        assertThat(pending.isEmpty()).isTrue();
        pending.add(utf8("[0.000020,\"o\",\"y\"]"), 3 * SECOND);
        assertThat(pending.isDue(3 * SECOND + SECOND / 2)).isFalse();
        assertThat(pending.isDue(4 * SECOND)).isTrue();
    }

    @Test
    void a_bulk_chunk_grows_to_the_limit_and_a_line_not_to_twice_the_limit_and_keeps_its_room() {
        PendingChunk pending = new PendingChunk(Duration.ofSeconds(1), 100_000);
        byte[] line = new byte[9_999];
        java.util.Arrays.fill(line, (byte) 'x');
        while (!pending.isFull()) {
            pending.add(line, 0);
        }
        assertThat(pending.size()).isEqualTo(100_000);
        assertThat(pending.buffer().length).as("room for the limit and one line").isLessThanOrEqualTo(100_000 + 10_000);
        assertThat(pending.body()).hasSize(100_000).endsWith((byte) 'x', (byte) '\n');
        byte[] kept = pending.buffer();
        pending.clear();
        pending.add(line, 0);
        assertThat(pending.buffer()).as("a full chunk means more is coming: the buffer stays").isSameAs(kept);
        pending.clear();
        pending.add(utf8("[0.1,\"o\",\"quiet\"]"), 0);
        pending.clear();
        assertThat(pending.buffer().length).as("after a chunk that went out on time, not full, the room is given back")
                .isLessThan(100_000);
    }
}
