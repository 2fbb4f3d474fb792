package dev.portcullis.broker.concurrency;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Work that many threads ask for at about the same time, done once for all of them, yet never older than the asking:
 * a caller gets the result of a round that <em>started after it asked</em>, and its item (if it brought one) is among
 * the round's items. While a round runs, new callers queue for the next one; when it ends, one of them runs it for all
 * of them (group commit). Under load one round answers many callers; alone, each caller runs its own round at once.
 * Two uses: a fresh read of something that changes elsewhere (a Keycloak group's members, no items), and a write that
 * must have committed before the caller goes on (Quartz triggers, one item each).
 *
 * <p>Rounds may also be spaced: a round starts no sooner than {@code spacing} after the one before it started, and the
 * callers that arrive meanwhile join it. A caller after a quiet spell runs at once; under load, the rate of rounds (and
 * the other side's work) is bounded by the spacing however many callers there are, at the cost of up to one spacing's wait.
 *
 * @param <I> what a caller adds to its round
 * @param <R> what a round answers to each of its callers
 */
public final class Rounds<I, R> {

    private final Function<List<I>, R> work;
    private final long patienceNanos;
    private final long spacingNanos;
    private Round<I, R> queued;
    private boolean running;
    private long lastStart;
    private boolean ranBefore;

    /**
     * @param work     runs a round: gets the round's items, in the order they came; what it returns or throws, every caller of the round gets
     * @param patience how long a caller waits for others' rounds before giving up (its own round is bounded by the work's own timeouts)
     * @param spacing  the least time from the start of one round to the start of the next
     */
    public Rounds(Function<List<I>, R> work, Duration patience, Duration spacing) {
        if (spacing.isNegative() || spacing.compareTo(patience) >= 0) {
            throw new IllegalArgumentException(
                    "the spacing of rounds must be at least zero and less than the patience (" + patience + "), not "
                            + spacing);
        }
        this.work = work;
        this.patienceNanos = patience.toNanos();
        this.spacingNanos = spacing.toNanos();
    }

    /** Rounds with no items: a shared read, fresh for every caller. */
    public static <R> Rounds<Void, R> ofReads(Supplier<R> read, Duration patience, Duration spacing) {
        return new Rounds<>(items -> read.get(), patience, spacing);
    }

    /** The result of a round that started after this call, with nothing added to it. */
    public R get() {
        return join(null);
    }

    /**
     * Adds {@code item} (unless null) to the next round to start and returns that round's result.
     *
     * @throws RuntimeException what the round threw, or an {@link IllegalStateException} when no round could start within the patience
     */
    public R join(I item) {
        Round<I, R> mine;
        synchronized (this) {
            if (queued == null) {
                queued = new Round<>();
            }
            mine = queued;
            if (item != null) {
                mine.items.add(item);
            }
            long deadline = System.nanoTime() + patienceNanos;
            while (true) {
                if (mine.done) {
                    return mine.result();
                }
                long now = System.nanoTime();
                long spaced = ranBefore ? lastStart + spacingNanos - now : 0;
                if (!running && queued == mine && spaced <= 0) {
                    running = true; // this caller runs its round; the round is closed to newcomers from here on
                    queued = null;
                    lastStart = now;
                    ranBefore = true;
                    break;
                }
                long left = deadline - now;
                if (left <= 0) {
                    throw new IllegalStateException("gave up waiting "
                            + Duration.ofNanos(patienceNanos).toSeconds() + " s for a round run by another caller");
                }
                try {
                    long nanos = !running && queued == mine
                            ? Math.min(left, spaced)
                            : left; // the runner-to-be waits out the spacing
                    wait(Math.max(1, nanos / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for a round", e);
                }
            }
        }
        try {
            mine.value = work.apply(mine.items);
        } catch (RuntimeException e) {
            mine.failure = e;
        } catch (Error e) {
            mine.failure = new IllegalStateException("the round failed: " + e, e);
            throw e;
        } finally {
            synchronized (this) {
                mine.done = true;
                running = false;
                notifyAll();
            }
        }
        return mine.result();
    }

    private static final class Round<I, R> {
        final List<I> items = new ArrayList<>();
        R value;
        RuntimeException failure;
        boolean done;

        R result() {
            if (failure != null) {
                throw failure;
            }
            return value;
        }
    }
}
