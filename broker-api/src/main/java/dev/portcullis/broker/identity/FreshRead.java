package dev.portcullis.broker.identity;

import java.time.Duration;
import java.util.function.Supplier;

/**
 * A read of something that changes elsewhere (a Keycloak group's members), shared by everyone who asks at
 * about the same time, yet never older than the question: a caller gets the result of a read that
 * <em>started after it asked</em>. While a read runs, new callers queue for the next one; when it ends, one of
 * them starts it for all of them (group commit, for reads). Under load one read answers many callers; alone,
 * each caller reads for itself, as without this class.
 *
 * <p>Reads may also be spaced: a read starts no sooner than {@code spacing} after the one before it started, and the
 * callers that arrive meanwhile join it. A caller after a quiet spell reads at once; under load, the read rate (and the
 * other side's work) is bounded by the spacing however many callers there are, at the cost of up to one spacing's wait.
 */
final class FreshRead<T> {

    private final Supplier<T> read;
    private final long patienceNanos;
    private final long spacingNanos;
    private Round<T> queued;
    private boolean reading;
    private long lastStart;
    private boolean readBefore;

    /** @param patience how long a caller waits for others' reads before giving up (its own read is bounded by the client's timeouts) */
    FreshRead(Supplier<T> read, Duration patience) {
        this(read, patience, Duration.ZERO);
    }

    /** @param spacing the least time from the start of one read to the start of the next */
    FreshRead(Supplier<T> read, Duration patience, Duration spacing) {
        if (spacing.isNegative() || spacing.compareTo(patience) >= 0) {
            throw new IllegalArgumentException("the spacing of reads must be at least zero and less than the patience (" + patience
                    + "), not " + spacing);
        }
        this.read = read;
        this.patienceNanos = patience.toNanos();
        this.spacingNanos = spacing.toNanos();
    }

    /**
     * @throws RuntimeException what the read threw, or an {@link IllegalStateException} when no read could start within the patience
     */
    T get() {
        Round<T> mine;
        synchronized (this) {
            if (queued == null) {
                queued = new Round<>();
            }
            mine = queued;
            long deadline = System.nanoTime() + patienceNanos;
            while (true) {
                if (mine.done) {
                    return mine.result();
                }
                long now = System.nanoTime();
                long spaced = readBefore ? lastStart + spacingNanos - now : 0;
                if (!reading && queued == mine && spaced <= 0) {
                    reading = true; // this caller reads for its round; the round is closed to newcomers from here on
                    queued = null;
                    lastStart = now;
                    readBefore = true;
                    break;
                }
                long left = deadline - now;
                if (left <= 0) {
                    throw new IllegalStateException("gave up waiting " + Duration.ofNanos(patienceNanos).toSeconds() + " s for a read by another caller");
                }
                try {
                    long nanos = !reading && queued == mine ? Math.min(left, spaced) : left; // the reader-to-be waits out the spacing
                    wait(Math.max(1, nanos / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for a read", e);
                }
            }
        }
        try {
            mine.value = read.get();
        } catch (RuntimeException e) {
            mine.failure = e;
        } catch (Error e) {
            mine.failure = new IllegalStateException("the read failed: " + e, e);
            throw e;
        } finally {
            synchronized (this) {
                mine.done = true;
                reading = false;
                notifyAll();
            }
        }
        return mine.result();
    }

    private static final class Round<T> {
        T value;
        RuntimeException failure;
        boolean done;

        T result() {
            if (failure != null) {
                throw failure;
            }
            return value;
        }
    }
}
