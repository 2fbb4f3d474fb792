package dev.portcullis.bastion.index;

import dev.portcullis.recording.RecordingMetadata;
import dev.portcullis.recording.RecordingTap;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * Feeds the search index while sessions run: taps every recording the bastion starts ({@link SessionIndexer}) and,
 * every {@code interval} (half a second by default, so an entry waits at most about a second), sends what they
 * recorded to the {@link IndexSink} in batches. A broker that is away is retried with the same entries; entries of a
 * session the broker does not know yet (its registration still on its way) are sent again for up to
 * {@link #UNKNOWN_GRACE}; a refused batch is dropped with a log line. Memory is bounded by {@link #MAX_PENDING}
 * entries: beyond it the oldest are dropped and counted. The recordings are unaffected by all of this.
 */
public final class IndexFeed implements RecordingTap.Factory, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(IndexFeed.class.getName());
    static final int BATCH = 2000;
    static final int MAX_PENDING = 200_000;
    static final Duration UNKNOWN_GRACE = Duration.ofSeconds(60);

    private final IndexSink sink;
    private final Set<SessionIndexer> live = ConcurrentHashMap.newKeySet();
    private final ArrayDeque<IndexEntry> pending = new ArrayDeque<>();
    /** Sessions the sink did not know, and since when (feed thread only). */
    private final Map<UUID, Long> unknownSince = new HashMap<>();

    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "search-index-feed");
        t.setDaemon(true);
        return t;
    });

    public IndexFeed(IndexSink sink) {
        this.sink = sink;
    }

    /** Starts sending every {@code interval}. */
    public IndexFeed start(Duration interval) {
        long millis = interval.toMillis();
        thread.scheduleWithFixedDelay(this::tickQuietly, millis, millis, TimeUnit.MILLISECONDS);
        return this;
    }

    @Override
    public RecordingTap open(RecordingMetadata metadata) {
        SessionIndexer indexer = SessionIndexer.of(metadata);
        if (indexer == null) {
            return RecordingTap.NONE;
        }
        live.add(indexer);
        return indexer;
    }

    /** Entries the sink took so far. */
    public long sent() {
        return sent.get();
    }

    /** Entries given up on so far (backlog full, refused, or of a session the broker never knew). */
    public long dropped() {
        return dropped.get();
    }

    /** Entries waiting to be sent. */
    public synchronized int backlog() {
        return pending.size();
    }

    private void tickQuietly() {
        try {
            tick();
        } catch (FeedPaused e) {
            LOG.fine(e::getMessage);
        } catch (RuntimeException e) {
            LOG.warning("search index feed: " + e);
        }
    }

    /** Collects what the sessions recorded and sends it; the feed thread calls it, and a close does once more. */
    public synchronized void tick() {
        for (Iterator<SessionIndexer> i = live.iterator(); i.hasNext(); ) {
            SessionIndexer indexer = i.next();
            boolean finished = indexer.finished();
            pending.addAll(indexer.drain());
            if (finished) {
                i.remove();
                if (indexer.skippedBytes() + indexer.overBudgetBytes() > 0) {
                    LOG.info("session " + indexer.session() + ": " + indexer.overBudgetBytes()
                            + " bytes of bulk text output beyond the index's rate and " + indexer.skippedBytes()
                            + " bytes of output the feed did not keep up with are not indexed ("
                            + indexer.binaryBytes() + " bytes of binary output neither)");
                }
            }
        }
        while (pending.size() > MAX_PENDING) {
            pending.poll();
            dropped.incrementAndGet();
        }
        List<IndexEntry> retry = new ArrayList<>();
        try {
            while (!pending.isEmpty()) {
                List<IndexEntry> batch = new ArrayList<>(Math.min(BATCH, pending.size()));
                while (batch.size() < BATCH && !pending.isEmpty()) {
                    batch.add(pending.poll());
                }
                send(batch, retry);
            }
        } finally {
            for (int i = retry.size() - 1; i >= 0; i--) {
                pending.addFirst(retry.get(i));
            }
        }
    }

    private void send(List<IndexEntry> batch, List<IndexEntry> retry) {
        Set<UUID> unknown;
        try {
            unknown = sink.send(batch);
        } catch (IndexSink.RefusedException e) {
            dropped.addAndGet(batch.size());
            LOG.warning("the broker refused " + batch.size() + " search index entries: " + e.getMessage());
            return;
        } catch (IOException e) {
            // the broker is away: keep the batch, in order, for the next tick
            for (int i = batch.size() - 1; i >= 0; i--) {
                pending.addFirst(batch.get(i));
            }
            throw new FeedPaused(e);
        }
        long now = System.nanoTime();
        int kept = 0;
        for (IndexEntry e : batch) {
            if (!unknown.contains(e.session())) {
                unknownSince.remove(e.session());
                continue;
            }
            long since = unknownSince.computeIfAbsent(e.session(), s -> now);
            if (now - since < UNKNOWN_GRACE.toNanos()) {
                retry.add(e);
                kept++;
            } else {
                dropped.incrementAndGet();
            }
        }
        sent.addAndGet(batch.size() - kept);
    }

    /** Ends a tick early when the sink is away; the entries stay pending. */
    private static final class FeedPaused extends RuntimeException {
        FeedPaused(IOException cause) {
            super(
                    "the search index is not reachable, entries kept for the next try: " + cause.getMessage(),
                    cause,
                    false,
                    false);
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
        try {
            thread.awaitTermination(2, TimeUnit.SECONDS);
            tick();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.warning("search index feed: " + backlog() + " entries not sent at close: " + e.getMessage());
        }
    }
}
