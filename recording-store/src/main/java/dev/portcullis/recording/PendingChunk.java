package dev.portcullis.recording;

import java.io.ByteArrayOutputStream;
import java.time.Duration;

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

    private ByteArrayOutputStream body = new ByteArrayOutputStream();
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
        body.writeBytes(line);
        body.write('\n');
        lines++;
    }

    boolean isEmpty() {
        return lines == 0;
    }

    boolean isFull() {
        return body.size() >= maxBytes;
    }

    boolean isDue(long nowNanos) {
        return lines > 0 && nowNanos - openedAtNanos >= flushIntervalNanos;
    }

    /** Nanoseconds until {@link #isDue} turns true (zero when already due). */
    long nanosUntilDue(long nowNanos) {
        return Math.max(0, openedAtNanos + flushIntervalNanos - nowNanos);
    }

    /** Newline-terminated lines: the payload of the next chunk. */
    byte[] body() {
        return body.toByteArray();
    }

    int lines() {
        return lines;
    }

    void clear() {
        if (body.size() > KEEP_CAPACITY && body.size() < maxBytes) {
            // a burst grew the buffer and is over (the chunk went out on time, not full): an idle session should not
            // keep it, a bastion holds thousands. A full chunk means a bulk transfer goes on: keep the room.
            body = new ByteArrayOutputStream();
        } else {
            body.reset();
        }
        lines = 0;
    }
}
