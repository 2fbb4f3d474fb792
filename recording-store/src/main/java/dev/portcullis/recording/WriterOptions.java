package dev.portcullis.recording;

import java.time.Duration;
import java.util.Objects;

/**
 * Tuning of the asynchronous writer.
 *
 * @param flushInterval  longest time a recorded line waits in memory before its chunk is persisted
 * @param maxChunkBytes  a chunk is persisted as soon as its body reaches this size
 * @param queueCapacity  lines that may wait for the writer thread before producers block
 * @param maxBlock       how long a producer may block on a full queue before the recording fails
 * @param closeTimeout   how long {@code close()} waits for the last chunk and the manifest
 * @param checkpointInterval longest time a stored chunk waits for a signed checkpoint that covers it (at most 10 s:
 *                       whoever can write the store but lacks the key can forge at most this much of the end of a
 *                       recording that never got its manifest)
 */
public record WriterOptions(
        Duration flushInterval,
        int maxChunkBytes,
        int queueCapacity,
        Duration maxBlock,
        Duration closeTimeout,
        Duration checkpointInterval) {

    /** The longest checkpoint interval allowed; the broker's verifier relies on it. */
    public static final Duration MAX_CHECKPOINT_INTERVAL = Duration.ofSeconds(10);

    public WriterOptions {
        requirePositive(flushInterval, "flushInterval");
        requirePositive(maxBlock, "maxBlock");
        requirePositive(closeTimeout, "closeTimeout");
        requirePositive(checkpointInterval, "checkpointInterval");
        if (checkpointInterval.compareTo(MAX_CHECKPOINT_INTERVAL) > 0) {
            throw new IllegalArgumentException("checkpointInterval must be at most " + MAX_CHECKPOINT_INTERVAL);
        }
        if (maxChunkBytes <= 0 || queueCapacity <= 0) {
            throw new IllegalArgumentException("maxChunkBytes and queueCapacity must be positive");
        }
    }

    public static WriterOptions defaults() {
        return new WriterOptions(
                Duration.ofSeconds(1),
                1024 * 1024,
                1024,
                Duration.ofSeconds(5),
                Duration.ofSeconds(30),
                Duration.ofSeconds(5));
    }

    public WriterOptions withFlushInterval(Duration value) {
        return new WriterOptions(value, maxChunkBytes, queueCapacity, maxBlock, closeTimeout, checkpointInterval);
    }

    public WriterOptions withMaxChunkBytes(int value) {
        return new WriterOptions(flushInterval, value, queueCapacity, maxBlock, closeTimeout, checkpointInterval);
    }

    public WriterOptions withQueueCapacity(int value) {
        return new WriterOptions(flushInterval, maxChunkBytes, value, maxBlock, closeTimeout, checkpointInterval);
    }

    public WriterOptions withMaxBlock(Duration value) {
        return new WriterOptions(flushInterval, maxChunkBytes, queueCapacity, value, closeTimeout, checkpointInterval);
    }

    public WriterOptions withCloseTimeout(Duration value) {
        return new WriterOptions(flushInterval, maxChunkBytes, queueCapacity, maxBlock, value, checkpointInterval);
    }

    public WriterOptions withCheckpointInterval(Duration value) {
        return new WriterOptions(flushInterval, maxChunkBytes, queueCapacity, maxBlock, closeTimeout, value);
    }

    private static void requirePositive(Duration value, String name) {
        Objects.requireNonNull(value, name);
        if (value.isZero() || value.isNegative()) {
            throw new IllegalArgumentException(name + " must be positive");
        }
    }
}
