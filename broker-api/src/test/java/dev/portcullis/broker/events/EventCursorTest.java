package dev.portcullis.broker.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class EventCursorTest {

    private final AtomicLong now = new AtomicLong(1_000);
    private final EventCursor cursor = new EventCursor(10, 5_000, now::get);

    @Test
    void anEventThatCommitsLateBelowOneAlreadySentIsStillSentOnceEach() {
        assertThat(ids(cursor.accept(List.of(e(11), e(13))))).containsExactly(11L, 13L);
        assertThat(cursor.readAfter()).as("holds at the hole").isEqualTo(11);
        assertThat(ids(cursor.accept(List.of(e(13))))).as("13 not twice").isEmpty();
        assertThat(ids(cursor.accept(List.of(e(12), e(13), e(14))))).containsExactly(12L, 14L);
        assertThat(cursor.readAfter()).isEqualTo(14);
    }

    @Test
    void aHoleThatNeverFillsIsSteppedOverAfterTheSettleTime() {
        assertThat(ids(cursor.accept(List.of(e(12))))).containsExactly(12L);
        now.addAndGet(4_000);
        cursor.accept(List.of(e(12)));
        assertThat(cursor.readAfter()).isEqualTo(10);
        now.addAndGet(2_000);
        cursor.accept(List.of(e(12)));
        assertThat(cursor.readAfter()).isEqualTo(12);
        assertThat(ids(cursor.accept(List.of(e(13))))).containsExactly(13L);
        assertThat(cursor.readAfter()).isEqualTo(13);
    }

    @Test
    void nothingBelowTheStartIsSent() {
        assertThat(ids(cursor.accept(List.of(e(9), e(10), e(11))))).containsExactly(11L);
    }

    private static GrantEvent e(long id) {
        return new GrantEvent(
                id,
                "ended",
                java.util.UUID.randomUUID(),
                "alice",
                "t",
                "l",
                "EXPIRED",
                null,
                null,
                java.time.Instant.EPOCH);
    }

    private static List<Long> ids(List<GrantEvent> events) {
        return events.stream().map(GrantEvent::id).toList();
    }
}
