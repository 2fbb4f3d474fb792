package dev.portcullis.recording;

import static dev.portcullis.recording.Fixtures.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.recording.format.ChunkRecords;
import dev.portcullis.recording.format.ChunkRecords.Kind;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The flush rule on a fake timeline (no sleeping, no wall clock), and the framing of what waits. */
@Tag("unit")
class PendingChunkTest {

    private static final long SECOND = Duration.ofSeconds(1).toNanos();

    @Test
    void a_chunk_is_due_one_flush_interval_after_its_first_record_however_many_records_follow() {
        PendingChunk pending = new PendingChunk(Duration.ofSeconds(1), 64 * 1024);
        assertThat(pending.isDue(10 * SECOND)).as("an empty chunk is never due").isFalse();

        pending.add(Kind.OUTPUT, 0, utf8("a"), 5 * SECOND);
        for (int i = 1; i < 100; i++) {
            pending.add(Kind.OUTPUT, 1, utf8("b"), 5 * SECOND + i * (SECOND / 200));
        }

        assertThat(pending.isDue(5 * SECOND + SECOND - 1)).isFalse();
        assertThat(pending.nanosUntilDue(5 * SECOND + SECOND / 4)).isEqualTo(3 * SECOND / 4);
        assertThat(pending.isDue(6 * SECOND)).isTrue();
        assertThat(pending.nanosUntilDue(7 * SECOND)).isZero();
    }

    @Test
    void a_chunk_is_full_at_the_size_threshold() {
        PendingChunk pending = new PendingChunk(Duration.ofSeconds(1), 24);
        pending.add(Kind.OUTPUT, 0, utf8("0123456789"), 0);
        assertThat(pending.isFull()).isFalse();
        pending.add(Kind.OUTPUT, 1, utf8("0123456789"), 0);
        assertThat(pending.isFull()).isTrue();
    }

    @Test
    void clearing_starts_a_new_interval_and_the_body_is_framed_records_with_their_times() throws Exception {
        PendingChunk pending = new PendingChunk(Duration.ofSeconds(1), 1024);
        byte[] binary = {0, (byte) 0xFF, (byte) 0xE2, '\n'};
        pending.add(Kind.OUTPUT, 7, binary, 0);
        pending.add(Kind.EVENT, 9, utf8("{\"time\":0.000009,\"type\":\"exec\",\"command\":\"id\"}"), 0);
        pending.add(Kind.ERROR, 300, utf8("oops"), 0);
        assertThat(pending.records()).isEqualTo(3);
        assertThat(pending.firstMicros()).isEqualTo(7);
        assertThat(pending.lastMicros()).isEqualTo(300);
        List<String> read = new ArrayList<>();
        List<byte[]> data = new ArrayList<>();
        ChunkRecords.read(pending.body(), 7, 300, e -> {
            read.add(e.kind() + "@" + e.micros());
            data.add(e.data());
        });
        assertThat(read).containsExactly("OUTPUT@7", "EVENT@9", "ERROR@300");
        assertThat(data.get(0)).as("bytes stored exactly, not escaped").isEqualTo(binary);

        pending.clear();
        assertThat(pending.isEmpty()).isTrue();
        pending.add(Kind.OUTPUT, 20, utf8("y"), 3 * SECOND);
        assertThat(pending.isDue(3 * SECOND + SECOND / 2)).isFalse();
        assertThat(pending.isDue(4 * SECOND)).isTrue();
    }

    @Test
    void a_bulk_chunk_grows_to_the_limit_and_a_record_not_to_twice_the_limit_and_keeps_its_room() {
        PendingChunk pending = new PendingChunk(Duration.ofSeconds(1), 100_000);
        byte[] record = new byte[9_996];
        java.util.Arrays.fill(record, (byte) 'x');
        while (!pending.isFull()) {
            pending.add(Kind.OUTPUT, 0, record, 0);
        }
        assertThat(pending.size()).isEqualTo(100_000);
        assertThat(pending.buffer().length)
                .as("room for the limit and one record")
                .isLessThanOrEqualTo(100_000 + 10_000 + ChunkRecords.MAX_HEADER);
        assertThat(pending.body()).hasSize(100_000).endsWith((byte) 'x', (byte) 'x');
        byte[] kept = pending.buffer();
        pending.clear();
        pending.add(Kind.OUTPUT, 0, record, 0);
        assertThat(pending.buffer())
                .as("a full chunk means more is coming: the buffer stays")
                .isSameAs(kept);
        pending.clear();
        pending.add(Kind.OUTPUT, 0, utf8("quiet"), 0);
        pending.clear();
        assertThat(pending.buffer().length)
                .as("after a chunk that went out on time, not full, the room is given back")
                .isLessThan(100_000);
    }
}
