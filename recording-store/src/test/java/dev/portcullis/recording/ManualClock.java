package dev.portcullis.recording;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

/** A clock that moves only when a test moves it. */
public final class ManualClock implements RecordingClock {

    private final Instant start;
    private final AtomicLong elapsedNanos = new AtomicLong();

    public ManualClock(Instant start) {
        this.start = start;
    }

    public ManualClock() {
        this(Instant.parse("2025-03-01T09:30:00Z"));
    }

    public void advance(Duration duration) {
        elapsedNanos.addAndGet(duration.toNanos());
    }

    @Override
    public Instant now() {
        return start.plusNanos(elapsedNanos.get());
    }

    @Override
    public long nanoTime() {
        return elapsedNanos.get();
    }
}
