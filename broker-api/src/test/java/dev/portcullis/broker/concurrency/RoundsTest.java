package dev.portcullis.broker.concurrency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class RoundsTest {

    /** The "directory": a version that callers bump (a change in Keycloak) and reads report. */
    private final AtomicLong version = new AtomicLong();

    private final AtomicInteger reads = new AtomicInteger();

    @Test
    void everyCallerSeesAReadThatStartedAfterItAskedEvenWhenReadsAreShared() throws Exception {
        Rounds<Void, Long> read = Rounds.ofReads(
                () -> {
                    reads.incrementAndGet();
                    long seen = version.get();
                    sleep(2); // a read takes a while, so callers pile up behind it
                    return seen;
                },
                Duration.ofSeconds(30),
                Duration.ZERO);
        int callers = 16;
        int calls = 200;
        ExecutorService pool = Executors.newFixedThreadPool(callers);
        List<Future<Integer>> results = new ArrayList<>();
        for (int c = 0; c < callers; c++) {
            results.add(pool.submit(() -> {
                int stale = 0;
                for (int i = 0; i < calls; i++) {
                    long changed = version.incrementAndGet(); // a change made just before this caller asks
                    if (read.get() < changed) {
                        stale++; // the caller was answered from a read that began before its change
                    }
                }
                return stale;
            }));
        }
        for (Future<Integer> f : results) {
            assertThat(f.get(2, TimeUnit.MINUTES))
                    .as("answers older than the question")
                    .isZero();
        }
        pool.shutdown();
        // Sharing happened: far fewer reads than calls (each caller's calls alone would need one read each).
        assertThat(reads.get()).isLessThan(callers * calls);
    }

    @Test
    void spacedReadsAnswerEveryoneWhoArrivesWithinTheSpacingWithOneFreshRead() throws Exception {
        Rounds<Void, Long> read = Rounds.ofReads(
                () -> {
                    reads.incrementAndGet();
                    return version.get();
                },
                Duration.ofSeconds(30),
                Duration.ofSeconds(3));
        assertThat(read.get()).as("after a quiet spell: read at once").isZero();

        int callers = 12;
        ExecutorService pool = Executors.newFixedThreadPool(callers);
        List<Future<Long>> answers = new ArrayList<>();
        for (int c = 0; c < callers; c++) {
            answers.add(pool.submit(() -> {
                version.incrementAndGet(); // a change just before this caller asks
                return read.get();
            }));
        }
        for (Future<Long> answer : answers) {
            assertThat(answer.get(1, TimeUnit.MINUTES))
                    .as("the shared read started after every change")
                    .isEqualTo(callers);
        }
        pool.shutdown();
        assertThat(reads.get())
                .as("one read for the first call, one for all the others")
                .isEqualTo(2);
        assertThatThrownBy(() -> Rounds.ofReads(() -> 1, Duration.ofSeconds(1), Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("spacing");
    }

    @Test
    void everyItemIsWrittenOnceInARoundThatEndsBeforeItsCallerGoesOn() throws Exception {
        List<String> written = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger rounds = new AtomicInteger();
        Rounds<String, Integer> writes = new Rounds<>(
                items -> {
                    rounds.incrementAndGet();
                    sleep(2); // a commit takes a while, so callers pile up behind it
                    written.addAll(items);
                    return items.size();
                },
                Duration.ofSeconds(30),
                Duration.ZERO);
        int callers = 16;
        int calls = 100;
        ExecutorService pool = Executors.newFixedThreadPool(callers);
        List<Future<Integer>> results = new ArrayList<>();
        for (int c = 0; c < callers; c++) {
            int caller = c;
            results.add(pool.submit(() -> {
                int missing = 0;
                for (int i = 0; i < calls; i++) {
                    String item = caller + "-" + i;
                    writes.join(item);
                    if (!written.contains(item)) {
                        missing++; // the caller went on before its item was written
                    }
                }
                return missing;
            }));
        }
        for (Future<Integer> f : results) {
            assertThat(f.get(2, TimeUnit.MINUTES))
                    .as("items not yet written when their caller went on")
                    .isZero();
        }
        pool.shutdown();
        assertThat(written).hasSize(callers * calls).doesNotHaveDuplicates();
        assertThat(rounds.get()).as("writes were shared").isLessThan(callers * calls);
    }

    @Test
    void aFailedReadFailsEveryCallerItServedAndTheNextCallReadsAgain() throws Exception {
        AtomicInteger attempt = new AtomicInteger();
        CountDownLatch reading = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Rounds<Void, String> read = Rounds.ofReads(
                () -> {
                    if (attempt.incrementAndGet() == 2) {
                        throw new IllegalStateException("directory down");
                    }
                    if (attempt.get() == 1) {
                        reading.countDown();
                        await(release);
                    }
                    return "ok-" + attempt.get();
                },
                Duration.ofSeconds(30),
                Duration.ZERO);
        ExecutorService pool = Executors.newFixedThreadPool(3);
        Future<String> first = pool.submit(read::get);
        assertThat(reading.await(10, TimeUnit.SECONDS)).isTrue();
        // These two ask while the first read runs: they share the second read, which fails for both.
        Future<String> second = pool.submit(read::get);
        Future<String> third = pool.submit(read::get);
        Thread.sleep(100);
        release.countDown();
        assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo("ok-1");
        for (Future<String> f : List.of(second, third)) {
            assertThatThrownBy(() -> f.get(10, TimeUnit.SECONDS)).hasRootCauseMessage("directory down");
        }
        assertThat(attempt.get()).isEqualTo(2);
        assertThat(read.get()).isEqualTo("ok-3");
        pool.shutdown();
    }

    @Test
    void aCallerStuckBehindAHungReadGivesUpWithAClearError() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Rounds<Void, String> read = Rounds.ofReads(
                () -> {
                    await(release);
                    return "late";
                },
                Duration.ofMillis(300),
                Duration.ZERO);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        Future<String> hung = pool.submit(read::get);
        Thread.sleep(100);
        assertThatThrownBy(read::get).isInstanceOf(IllegalStateException.class).hasMessageContaining("gave up waiting");
        release.countDown();
        assertThat(hung.get(10, TimeUnit.SECONDS)).isEqualTo("late");
        pool.shutdown();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
