package dev.portcullis.recording;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Writes a new file's bytes past the page cache (O_DIRECT) where the file system allows it, and forces them to disk.
 *
 * <p>A recording is written once and read rarely, yet a bastion writes every byte of every session: through the page
 * cache each byte is copied into a freshly allocated cache page that only ever gets written back, evicting what the
 * machine does use. On the project's VM that copy into new pages cost more CPU than decrypting the session
 * (docs/measurements.md). O_DIRECT hands the bytes to the disk from a reused aligned buffer instead.
 *
 * <p>O_DIRECT needs offsets, lengths and memory aligned to the file system's block size, so the whole blocks go
 * through a small pool of aligned buffers and the last partial block through the page cache; one {@code fsync}
 * then makes both durable. Where O_DIRECT is refused (tmpfs before Linux 6.6, some network file systems) or every
 * pooled buffer is in use, the bytes go through the page cache as before: the choice costs speed, never durability.
 */
final class UnbufferedFileWriter {

    /** Bytes moved per direct write; the pool holds at most {@link #POOLED} such buffers (2 MiB in all). */
    private static final int BUFFER_BYTES = 256 * 1024;

    private static final int POOLED = 8;

    private final ConcurrentLinkedQueue<ByteBuffer> pool = new ConcurrentLinkedQueue<>();
    private final AtomicInteger allocated = new AtomicInteger();
    private volatile int blockSize;
    /** False once O_DIRECT failed where the page cache then worked: this file system will not change its mind. */
    private volatile boolean directSupported;

    private volatile boolean lastWriteDirect;

    /** @param direct whether to try O_DIRECT at all */
    UnbufferedFileWriter(boolean direct) {
        this.directSupported = direct;
    }

    /** Writes {@code content} into the existing, empty {@code file} and forces it (data and metadata) to disk. */
    void writeAndForce(Path file, byte[] content) throws IOException {
        writeAndForce(file, content, content.length);
    }

    /** Writes {@code content[0, length)}, as {@link #writeAndForce(Path, byte[])}. */
    void writeAndForce(Path file, byte[] content, int length) throws IOException {
        int direct = directPart(file, length);
        ByteBuffer buffer = direct > 0 ? borrow() : null;
        boolean wroteDirect = false;
        if (buffer != null) {
            try {
                wroteDirect = writeDirect(file, content, direct, buffer);
            } finally {
                pool.offer(buffer);
            }
        }
        int from = wroteDirect ? direct : 0;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ByteBuffer rest = ByteBuffer.wrap(content, from, length - from);
            long position = from;
            while (rest.hasRemaining()) {
                position += channel.write(rest, position);
            }
            // one fsync for the inode covers the directly written blocks too, and flushes the disk's cache
            channel.force(true);
        }
        if (buffer != null && !wroteDirect) {
            // the page cache took every byte where O_DIRECT failed: this file system does not do it, stop asking
            directSupported = false;
        }
        lastWriteDirect = wroteDirect;
    }

    /** Whether the latest write went past the page cache (for tests and diagnostics). */
    boolean lastWriteDirect() {
        return lastWriteDirect;
    }

    /** How many leading bytes can go out directly: whole blocks only, none when O_DIRECT is off. */
    private int directPart(Path file, int length) throws IOException {
        if (!directSupported) {
            return 0;
        }
        int block = blockSize;
        if (block == 0) {
            long size;
            try {
                size = Files.getFileStore(file).getBlockSize();
            } catch (IOException | UnsupportedOperationException e) {
                // e.g. a mount the JDK cannot find in /proc/mounts (some chroots and bind mounts): no O_DIRECT then
                directSupported = false;
                return 0;
            }
            if (size <= 0 || size > BUFFER_BYTES || Long.bitCount(size) != 1) {
                directSupported = false;
                return 0;
            }
            block = (int) size;
            blockSize = block;
        }
        return length - length % block;
    }

    /**
     * Writes the first {@code length} bytes directly; false when O_DIRECT failed in any way (then the caller writes
     * everything through the page cache, over whatever got written here, and a real I/O error shows there).
     */
    private boolean writeDirect(Path file, byte[] content, int length, ByteBuffer buffer) {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE, ExtendedOpenOption.DIRECT)) {
            for (int offset = 0; offset < length; ) {
                int n = Math.min(buffer.capacity(), length - offset);
                buffer.clear();
                buffer.put(content, offset, n).flip();
                while (buffer.hasRemaining()) {
                    channel.write(buffer, offset + buffer.position());
                }
                offset += n;
            }
            return true;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /** An aligned buffer from the pool, a new one while the pool is not full, or null (write through the cache). */
    private ByteBuffer borrow() {
        ByteBuffer buffer = pool.poll();
        if (buffer != null) {
            return buffer;
        }
        if (allocated.incrementAndGet() > POOLED) {
            allocated.decrementAndGet();
            return null;
        }
        return ByteBuffer.allocateDirect(BUFFER_BYTES + blockSize).alignedSlice(blockSize);
    }
}
