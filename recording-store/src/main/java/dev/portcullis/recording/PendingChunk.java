package dev.portcullis.recording;

import java.time.Duration;
import java.util.Arrays;

/**
 * Lines waiting in the writer thread to become the next chunk, and the rule for when they must:
 * once the body reaches the size limit, or once the oldest line has waited a flush interval.
 * The interval counts from when the chunk was opened in the writer, not from when its first line
 * was recorded, so a backlog after a slow write turns into fewer, larger chunks instead of a burst
 * of one-line chunks that would only deepen it.
 */
final class PendingChunk {

    private final long flushIntervalNanos;
    private final int maxBytes;
    private static final int KEEP_CAPACITY = 16 * 1024;

    private static final byte[] EMPTY = new byte[0];

    /** The lines so far in {@code body[0, size)}; the array grows to the size limit plus a line, not to twice it. */
    private byte[] body = EMPTY;
    private int size;
    private int lines;
    private long openedAtNanos;

    PendingChunk(Duration flushInterval, int maxBytes) {
        this.flushIntervalNanos = flushInterval.toNanos();
        this.maxBytes = maxBytes;
    }

    void add(byte[] line, long nowNanos) {
        if (lines == 0) {
            openedAtNanos = nowNanos;
        }
        int needed = size + line.length + 1;
        if (needed > body.length) {
            // double while small; near the limit, room for the limit and this line is all a chunk ever needs
            int grown = Math.max(1024, body.length * 2);
            body = Arrays.copyOf(body, Math.max(needed, grown > maxBytes ? maxBytes + line.length + 1 : grown));
        }
        System.arraycopy(line, 0, body, size, line.length);
        size += line.length;
        body[size++] = '\n';
        lines++;
    }

    boolean isEmpty() {
        return lines == 0;
    }

    boolean isFull() {
        return size >= maxBytes;
    }

    boolean isDue(long nowNanos) {
        return lines > 0 && nowNanos - openedAtNanos >= flushIntervalNanos;
    }

    /** Nanoseconds until {@link #isDue} turns true (zero when already due). */
    long nanosUntilDue(long nowNanos) {
        return Math.max(0, openedAtNanos + flushIntervalNanos - nowNanos);
    }

    /** Newline-terminated lines: the payload of the next chunk (a copy). */
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

    int lines() {
        return lines;
    }

    void clear() {
        if (body.length > KEEP_CAPACITY && size < maxBytes) {
            // a burst grew the buffer and is over (the chunk went out on time, not full): an idle session should not
            // keep it, a bastion holds thousands. A full chunk means a bulk transfer goes on: keep the room.
            body = EMPTY;
        }
        size = 0;
        lines = 0;
    }
}
