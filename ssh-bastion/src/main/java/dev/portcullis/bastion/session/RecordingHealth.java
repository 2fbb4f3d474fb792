package dev.portcullis.bastion.session;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Whether the recording store has failed lately. After a failure, new sessions are refused for a while instead of
 * being let in to fail mid-way (a full disk often has room for one more small header but not for the session);
 * after the pause the next session tries again, and a failure starts a new pause.
 */
public final class RecordingHealth {

    /** How long new sessions are refused after a recording failed. */
    public static final Duration PAUSE_AFTER_FAILURE = Duration.ofSeconds(30);

    private final Clock clock;
    private final Duration pause;
    private final AtomicReference<Instant> refuseUntil = new AtomicReference<>(Instant.MIN);

    public RecordingHealth(Clock clock, Duration pause) {
        this.clock = clock;
        this.pause = pause;
    }

    public void failed() {
        refuseUntil.set(clock.instant().plus(pause));
    }

    public boolean refusing() {
        return clock.instant().isBefore(refuseUntil.get());
    }
}
