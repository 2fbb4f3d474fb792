package dev.portcullis.broker.events;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.function.LongSupplier;

/**
 * Where one subscriber is in the outbox. Ids come from a sequence, and transactions may commit out of id
 * order (or roll back and leave a hole for ever), so "id greater than the last one sent" could skip an
 * event that commits late. The cursor therefore only moves past a hole once it is filled, or once it has
 * stayed open longer than any transaction would ({@code settleMillis}); events above a hole are sent at
 * once and remembered so they are not sent twice.
 */
public final class EventCursor {

    private final long settleMillis;
    private final LongSupplier clock;
    private long contiguous;
    private final TreeSet<Long> sentAbove = new TreeSet<>();
    private long holeSeenAt = -1;

    public EventCursor(long start, long settleMillis, LongSupplier clock) {
        this.contiguous = start;
        this.settleMillis = settleMillis;
        this.clock = clock;
    }

    /** Every id up to this one has been sent or given up on; read the outbox after it. */
    public long readAfter() {
        return contiguous;
    }

    /** Takes a batch read after {@link #readAfter()} (ascending ids) and returns the events not sent yet. */
    public List<GrantEvent> accept(List<GrantEvent> batch) {
        List<GrantEvent> fresh = new ArrayList<>();
        for (GrantEvent event : batch) {
            if (event.id() > contiguous && sentAbove.add(event.id())) {
                fresh.add(event);
            }
        }
        advance();
        return fresh;
    }

    private void advance() {
        while (!sentAbove.isEmpty()) {
            long next = contiguous + 1;
            if (sentAbove.first() == next) {
                sentAbove.pollFirst();
                contiguous = next;
                holeSeenAt = -1;
                continue;
            }
            long now = clock.getAsLong();
            if (holeSeenAt < 0) {
                holeSeenAt = now;
                return;
            }
            if (now - holeSeenAt < settleMillis) {
                return;
            }
            // The hole outlived any transaction: a rolled-back insert. Step over it.
            contiguous = sentAbove.first() - 1;
            holeSeenAt = -1;
        }
    }
}
