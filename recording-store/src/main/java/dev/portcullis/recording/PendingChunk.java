package dev.portcullis.recording;

import dev.portcullis.recording.format.ChunkRecords;
import java.time.Duration;
import java.util.Arrays;

/**
 * Records waiting in the writer thread to become the next chunk (framed as {@link ChunkRecords}), and the rule for
 * when they must: once the body reaches the size limit, or once the oldest record has waited a flush interval.
 * The interval counts from when the chunk was opened in the writer, not from when its first record was made, so a
 * backlog after a slow write turns into fewer, larger chunks instead of a burst of one-record chunks that would only
 * deepen it.
 */
final class PendingChunk {

    private final long flushIntervalNanos;
    private final int maxBytes;
    private static final int KEEP_CAPACITY = 16 * 1024;

    private static final byte[] EMPTY = new byte[0];

    /** The records so far in {@code body[0, size)}; the array grows to the size limit plus a record, not to twice it. */
    private byte[] body = EMPTY;

    private int size;
    private int records;
    private long openedAtNanos;
    private long firstMicros;
    private long lastMicros;

    PendingChunk(Duration flushInterval, int maxBytes) {
        this.flushIntervalNanos = flushInterval.toNanos();
        this.maxBytes = maxBytes;
    }

    /** Adds a record made at {@code micros} (never before the previous one: the writer stamps them in order). */
    void add(ChunkRecords.Kind kind, long micros, byte[] data, long nowNanos) {
        if (records == 0) {
            openedAtNanos = nowNanos;
            firstMicros = micros;
            lastMicros = micros;
        }
        int needed = size + ChunkRecords.MAX_HEADER + data.length;
        if (needed > body.length) {
            // double while small; near the limit, room for the limit and this record is all a chunk ever needs
            int grown = Math.max(1024, body.length * 2);
            int limit = maxBytes + ChunkRecords.MAX_HEADER + data.length;
            body = Arrays.copyOf(body, Math.max(needed, Math.min(grown, limit)));
        }
        size = ChunkRecords.writeHeader(body, size, kind, Math.max(0, micros - lastMicros), data.length);
        System.arraycopy(data, 0, body, size, data.length);
        size += data.length;
        lastMicros = Math.max(lastMicros, micros);
        records++;
    }

    boolean isEmpty() {
        return records == 0;
    }

    boolean isFull() {
        return size >= maxBytes;
    }

    boolean isDue(long nowNanos) {
        return records > 0 && nowNanos - openedAtNanos >= flushIntervalNanos;
    }

    /** Nanoseconds until {@link #isDue} turns true (zero when already due). */
    long nanosUntilDue(long nowNanos) {
        return Math.max(0, openedAtNanos + flushIntervalNanos - nowNanos);
    }

    /** The framed records: the payload of the next chunk (a copy). */
    byte[] body() {
        return Arrays.copyOf(body, size);
    }

    /** The array behind the payload, valid in {@code [0, size())} until the next add or clear: no copy for the writer. */
    byte[] buffer() {
        return body;
    }

    int size() {
        return size;
    }

    int records() {
        return records;
    }

    long firstMicros() {
        return firstMicros;
    }

    long lastMicros() {
        return lastMicros;
    }

    void clear() {
        if (body.length > KEEP_CAPACITY && size < maxBytes) {
            // a burst grew the buffer and is over (the chunk went out on time, not full): an idle session should not
            // keep it, a bastion holds thousands. A full chunk means a bulk transfer goes on: keep the room.
            body = EMPTY;
        }
        size = 0;
        records = 0;
    }
}
