package dev.portcullis.recording;

import java.time.Instant;

/**
 * Time as a recording sees it: a wall-clock start and a monotonic counter for offsets, so event
 * times never run backwards when the wall clock is adjusted mid-session. Injectable for tests.
 */
public interface RecordingClock {

    Instant now();

    /** Monotonic nanoseconds, only meaningful as differences (like {@link System#nanoTime()}). */
    long nanoTime();

    static RecordingClock system() {
        return new RecordingClock() {
            @Override
            public Instant now() {
                return Instant.now();
            }

            @Override
            public long nanoTime() {
                return System.nanoTime();
            }
        };
    }
}
