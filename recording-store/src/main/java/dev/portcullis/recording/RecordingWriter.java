package dev.portcullis.recording;

import dev.portcullis.recording.format.ChunkRecords;
import dev.portcullis.recording.format.RecordingHeader;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongFunction;

/**
 * The asynchronous, bounded writer behind a recording. Producers (the session's I/O threads) put
 * timestamped records on a bounded queue; one writer thread frames them into chunk payloads and hands
 * each to the {@link ChunkedRecording} (hash chain, write-once storage) at least every flush
 * interval, then has it write the signed manifest on close.
 *
 * <p>Fail closed: the first storage error, a queue that stays full longer than
 * {@link WriterOptions#maxBlock()}, or a close that cannot finish in time puts the writer in a
 * failed state. The failure listener is told once; every later call throws
 * {@link RecordingFailedException}. Nothing is dropped quietly: a record is either persisted or the
 * session learns that its recording broke.
 */
public final class RecordingWriter {

    /** How long the writer thread sleeps at most before it looks at the clock again, so an injected clock that jumps is noticed. */
    private static final long MAX_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private static final long PRODUCER_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private sealed interface Item permits Entry, Close, Barrier {}

    /** Asks the writer thread to persist everything queued before it, and to say when that is done. */
    private record Barrier(CompletableFuture<Void> persisted) implements Item {}

    /** One record: its stream, its time (microseconds since the start) and its bytes. */
    private record Entry(ChunkRecords.Kind kind, long micros, byte[] bytes) implements Item {}

    private record Close() implements Item {}

    private final ChunkedRecording chunks;
    private final RecordingMetadata metadata;
    private final RecordingSigner signer;
    private final WriterOptions options;
    private final RecordingClock clock;
    private final RecordingFailureListener listener;
    private final long startNanos;
    private final BlockingQueue<Item> queue;
    private final AtomicReference<RecordingFailedException> failure = new AtomicReference<>();
    private final CompletableFuture<RecordingManifest> finished = new CompletableFuture<>();
    private final Object appendLock = new Object();
    private volatile boolean closeRequested;
    /** The writer has nothing pending and parks until a record arrives. */
    private volatile boolean idle;

    private final int wakeAt;
    /** When the oldest chunk that no checkpoint covers yet was stored (writer thread only); -1 when all are covered. */
    private long uncoveredSinceNanos = -1;

    private final Thread thread;

    private RecordingWriter(
            ChunkedRecording chunks,
            RecordingMetadata metadata,
            RecordingSigner signer,
            WriterOptions options,
            RecordingClock clock,
            RecordingFailureListener listener) {
        this.chunks = chunks;
        this.metadata = metadata;
        this.signer = signer;
        this.options = options;
        this.clock = clock;
        this.listener = listener;
        this.startNanos = clock.nanoTime();
        this.queue = new ArrayBlockingQueue<>(options.queueCapacity());
        this.wakeAt = Math.max(1, options.queueCapacity() / 2);
        // A small stack: a bastion runs one writer per live session and the loop is shallow.
        this.thread = new Thread(null, this::run, "recording-writer-" + metadata.id(), 256 * 1024);
        this.thread.setDaemon(true);
    }

    /**
     * Creates the recording in storage (header first, synchronously: a session whose recording
     * cannot even start must not start) and starts its writer thread.
     */
    public static RecordingWriter start(
            RecordingStorage storage,
            RecordingMetadata metadata,
            RecordingSigner signer,
            WriterOptions options,
            RecordingClock clock,
            RecordingFailureListener listener)
            throws RecordingFailedException {
        Objects.requireNonNull(storage, "storage");
        Objects.requireNonNull(signer, "signer");
        ChunkedRecording chunks;
        try {
            chunks =
                    ChunkedRecording.create(storage, metadata.id(), RecordingHeader.encode(metadata), wallClock(clock));
            // the first checkpoint signs the header at once: from its start the recording is its bastion's, provably
            chunks.checkpoint(signer);
        } catch (IOException e) {
            throw new RecordingFailedException(metadata.id(), "cannot create recording: " + e, e);
        }
        RecordingWriter writer = new RecordingWriter(chunks, metadata, signer, options, clock, listener);
        writer.thread.start();
        return writer;
    }

    /** Lines (and requests) waiting for the writer thread now. */
    int queued() {
        return queue.size();
    }

    /** Whether the writer thread still runs (it ends when the recording closes or fails). */
    boolean running() {
        return thread.isAlive();
    }

    public String id() {
        return metadata.id();
    }

    public RecordingMetadata metadata() {
        return metadata;
    }

    public boolean isFailed() {
        return failure.get() != null;
    }

    /**
     * Timestamps and queues one record of {@code kind}. The encoder gets the record's time (microseconds since
     * start) and runs under the writer's lock, so records reach the queue in time order across threads.
     * Blocks while the queue is full, for at most {@link WriterOptions#maxBlock()}.
     */
    public void append(ChunkRecords.Kind kind, LongFunction<byte[]> encoder) throws RecordingFailedException {
        synchronized (appendLock) {
            requireUsable();
            long micros = elapsedMicros();
            enqueue(new Entry(kind, micros, encoder.apply(micros)));
        }
    }

    /**
     * Waits until every record appended so far is in storage. The bastion calls it before it forwards a user's
     * keystrokes to the target, so no input reaches a target that the recording does not hold; output may
     * trail by at most the flush interval. Bounded by {@link WriterOptions#maxBlock()}, after which the
     * recording is failed like any other storage failure.
     */
    public void sync() throws RecordingFailedException {
        CompletableFuture<Void> persisted = new CompletableFuture<>();
        synchronized (appendLock) {
            requireUsable();
            enqueue(new Barrier(persisted));
        }
        long deadline = System.nanoTime() + options.maxBlock().toNanos();
        while (true) {
            try {
                persisted.get(PRODUCER_POLL_NANOS, TimeUnit.NANOSECONDS);
                return;
            } catch (TimeoutException e) {
                throwIfFailed();
                if (System.nanoTime() - deadline >= 0) {
                    throw fail("storage too slow: a sync took longer than " + options.maxBlock(), null);
                }
            } catch (ExecutionException e) {
                throwIfFailed();
                throw fail("sync failed: " + e.getCause(), e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw fail("interrupted while waiting for a sync", e);
            }
        }
    }

    /**
     * Persists what is pending, writes the signed manifest and stops the writer thread. Calling it
     * again returns the same manifest.
     */
    public RecordingManifest close() throws RecordingFailedException {
        synchronized (appendLock) {
            throwIfFailed();
            if (!closeRequested) {
                closeRequested = true;
                enqueue(new Close());
            }
        }
        return awaitManifest();
    }

    private RecordingManifest awaitManifest() throws RecordingFailedException {
        try {
            return finished.get(options.closeTimeout().toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw failure.get();
        } catch (TimeoutException e) {
            throw fail("close did not finish within " + options.closeTimeout(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw fail("interrupted while closing", e);
        }
    }

    private long elapsedMicros() {
        return Math.max(0, TimeUnit.NANOSECONDS.toMicros(clock.nanoTime() - startNanos));
    }

    /** Throws unless records can still be appended: not failed and not closed. */
    public void requireUsable() throws RecordingFailedException {
        throwIfFailed();
        if (closeRequested) {
            throw new RecordingFailedException(metadata.id(), "recording is closed", null);
        }
    }

    private void throwIfFailed() throws RecordingFailedException {
        RecordingFailedException failed = failure.get();
        if (failed != null) {
            throw failed;
        }
    }

    /** Backpressure: wait for room, but never longer than maxBlock, and never drop the item. */
    private void enqueue(Item item) throws RecordingFailedException {
        long deadline = System.nanoTime() + options.maxBlock().toNanos();
        try {
            while (!queue.offer(
                    item,
                    Math.min(PRODUCER_POLL_NANOS, Math.max(1, deadline - System.nanoTime())),
                    TimeUnit.NANOSECONDS)) {
                throwIfFailed();
                if (System.nanoTime() - deadline >= 0) {
                    throw fail("storage too slow: recording queue stayed full for " + options.maxBlock(), null);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw fail("interrupted while waiting for room in the recording queue", e);
        }
        // Wake the writer only when it must act now: it is idle (a flush deadline starts), the queue is half
        // full, or someone waits for a barrier or a close.
        if (idle || !(item instanceof Entry) || queue.size() >= wakeAt) {
            LockSupport.unpark(thread);
        }
        // The writer thread may have failed (and emptied the queue) just as the item went in.
        throwIfFailed();
    }

    private void run() {
        PendingChunk pending = new PendingChunk(options.flushInterval(), options.maxChunkBytes());
        try {
            while (!isFailed()) {
                checkpointIfDue();
                Item item = queue.poll();
                if (item == null) {
                    if (pending.isEmpty()) {
                        // Idle: the next line wakes the writer, so its flush deadline starts when it was written.
                        idle = true;
                        if (queue.isEmpty()) {
                            LockSupport.parkNanos(this, MAX_POLL_NANOS);
                        }
                        idle = false;
                    } else {
                        // Lines are waiting for their deadline: sleep until it, unless the queue fills up or a
                        // barrier or a close arrives (the producers wake the writer then), instead of waking for
                        // every line: one wake-up per line was most of a database session's recording cost.
                        long wait = Math.min(MAX_POLL_NANOS, pending.nanosUntilDue(clock.nanoTime()));
                        if (wait > 0) {
                            LockSupport.parkNanos(this, wait);
                        }
                    }
                    if (Thread.interrupted() && !isFailed()) {
                        throw new InterruptedException();
                    }
                    if (pending.isDue(clock.nanoTime())) {
                        persist(pending);
                    }
                    continue;
                }
                while (item != null && !isFailed()) {
                    if (item instanceof Close) {
                        persist(pending);
                        finished.complete(chunks.close(signer));
                        return;
                    }
                    if (item instanceof Barrier barrier) {
                        persist(pending);
                        barrier.persisted().complete(null);
                        item = queue.poll();
                        continue;
                    }
                    Entry entry = (Entry) item;
                    pending.add(entry.kind(), entry.micros(), entry.bytes(), clock.nanoTime());
                    if (pending.isFull() || pending.isDue(clock.nanoTime())) {
                        persist(pending);
                    }
                    item = queue.poll();
                }
                if (pending.isDue(clock.nanoTime())) {
                    persist(pending);
                }
            }
        } catch (IOException | RuntimeException e) {
            fail("cannot persist recording: " + e, e);
        } catch (InterruptedException e) {
            fail("writer thread interrupted", e);
        }
    }

    private void persist(PendingChunk pending) throws IOException {
        if (!pending.isEmpty()) {
            chunks.appendRecords(pending.buffer(), pending.size(), pending.firstMicros(), pending.lastMicros());
            pending.clear();
            if (uncoveredSinceNanos < 0) {
                uncoveredSinceNanos = clock.nanoTime();
            }
            checkpointIfDue(); // a steady stream keeps the writer in its inner loop: check here too
        }
    }

    /** Signs the chain so far once its oldest uncovered chunk has waited a checkpoint interval. */
    private void checkpointIfDue() throws IOException {
        if (uncoveredSinceNanos >= 0
                && clock.nanoTime() - uncoveredSinceNanos
                        >= options.checkpointInterval().toNanos()) {
            chunks.checkpoint(signer);
            uncoveredSinceNanos = -1;
        }
    }

    /** The core stamps the manifest's close time with a java.time.Clock; give it the recording's. */
    private static Clock wallClock(RecordingClock clock) {
        return new Clock() {
            @Override
            public ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return clock.now();
            }
        };
    }

    /**
     * Enters the failed state (the first failure wins), releases everyone waiting on the writer and
     * tells the listener. The listener runs on a thread of its own: it is expected to cut the
     * session, which closes the recording, and the failing call may hold locks (the recorder's, the
     * bastion's) that such a close needs.
     */
    private RecordingFailedException fail(String message, Throwable cause) {
        RecordingFailedException failed = new RecordingFailedException(metadata.id(), message, cause);
        if (!failure.compareAndSet(null, failed)) {
            return failure.get();
        }
        queue.clear();
        finished.completeExceptionally(failed);
        if (Thread.currentThread() != thread) {
            // Wake the writer thread wherever it waits, so a failed recording leaves no thread behind.
            thread.interrupt();
        }
        Thread notifier = new Thread(() -> listener.recordingFailed(failed), "recording-failed-" + metadata.id());
        notifier.setDaemon(true);
        notifier.start();
        return failed;
    }
}
