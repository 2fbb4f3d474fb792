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
 */
public record WriterOptions(Duration flushInterval, int maxChunkBytes, int queueCapacity, Duration maxBlock, Duration closeTimeout) {

    public WriterOptions {
        requirePositive(flushInterval, "flushInterval");
        requirePositive(maxBlock, "maxBlock");
        requirePositive(closeTimeout, "closeTimeout");
        if (maxChunkBytes <= 0 || queueCapacity <= 0) {
            throw new IllegalArgumentException("maxChunkBytes and queueCapacity must be positive");
        }
    }

    public static WriterOptions defaults() {
        return new WriterOptions(Duration.ofSeconds(1), 64 * 1024, 1024, Duration.ofSeconds(5), Duration.ofSeconds(30));
    }

    public WriterOptions withFlushInterval(Duration value) {
        return new WriterOptions(value, maxChunkBytes, queueCapacity, maxBlock, closeTimeout);
    }

    public WriterOptions withMaxChunkBytes(int value) {
        return new WriterOptions(flushInterval, value, queueCapacity, maxBlock, closeTimeout);
    }

    public WriterOptions withQueueCapacity(int value) {
        return new WriterOptions(flushInterval, maxChunkBytes, value, maxBlock, closeTimeout);
    }

    public WriterOptions withMaxBlock(Duration value) {
        return new WriterOptions(flushInterval, maxChunkBytes, queueCapacity, value, closeTimeout);
    }

    public WriterOptions withCloseTimeout(Duration value) {
        return new WriterOptions(flushInterval, maxChunkBytes, queueCapacity, maxBlock, value);
    }

    private static void requirePositive(Duration value, String name) {
        Objects.requireNonNull(value, name);
        if (value.isZero() || value.isNegative()) {
            throw new IllegalArgumentException(name + " must be positive");
        }
    }
}
