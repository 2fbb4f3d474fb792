package dev.portcullis.recording.format;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.function.Function;

/**
 * How a format-3 chunk's payload is stored: zstd (level 1) when that makes it smaller, as it is otherwise, so
 * incompressible data (random bytes, encrypted or compressed files) costs no decompression and no growth. The codec
 * is named in the chunk's header line, which the hash chain covers like the stored bytes.
 *
 * <p>Compression contexts are native memory of about a megabyte each; they are pooled across recordings rather than
 * kept per session, since a bastion holds thousands of mostly idle sessions and only the writer threads flushing a
 * chunk at this moment need one. Each comes with the buffer a whole chunk is built in ({@link #build}): a bulk
 * transfer's chunks are megabytes, and a new array for each (one for the compressed bytes, one for the chunk) cost
 * the writer more than hashing it, and the garbage collector a cycle for most of them (arrays that large are
 * allocated outside G1's young generation). The pool keeps at most twice the cores' worth, each as large as the
 * largest chunk built in it (a writer's maximum chunk size plus zstd's bound), and only as many as were ever in use
 * at once.
 */
public final class ChunkCodec {

    public static final String ZSTD = "zstd";
    public static final String NONE = "none";
    /** Largest payload a chunk may decompress to: a stored object is at most this large too. */
    public static final int MAX_RAW_BYTES = 64 * 1024 * 1024;

    private static final int LEVEL = 1;
    /**
     * Bytes compressed first to decide whether compressing a chunk pays, once the previous chunk did not compress: a
     * stream of random or already compressed bytes then costs zstd a thirty-second of each chunk, not all of it.
     */
    static final int PROBE_BYTES = 64 * 1024;

    private static final BlockingQueue<Workspace> POOL =
            new ArrayBlockingQueue<>(Math.max(4, 2 * Runtime.getRuntime().availableProcessors()));

    /** A compression context and the buffer chunks are built in, pooled together. */
    private static final class Workspace {
        final ZstdCompressCtx ctx = new ZstdCompressCtx().setLevel(LEVEL);
        byte[] buffer = new byte[0];

        byte[] buffer(int size) {
            if (buffer.length < size) {
                buffer = new byte[size];
            }
            return buffer;
        }
    }

    /**
     * A chunk built in a pooled buffer: {@code bytes()[0, length)}, stored under {@code codec}. The buffer goes back to
     * the pool on {@link #close()}; nothing may use it after that.
     */
    public static final class Built implements AutoCloseable {
        private Workspace workspace;
        private final int length;
        private final String codec;

        private Built(Workspace workspace, int length, String codec) {
            this.workspace = workspace;
            this.length = length;
            this.codec = codec;
        }

        public byte[] bytes() {
            if (workspace == null) {
                throw new IllegalStateException("the chunk's buffer was given back");
            }
            return workspace.buffer;
        }

        public int length() {
            return length;
        }

        public String codec() {
            return codec;
        }

        @Override
        public void close() {
            if (workspace != null) {
                giveBack(workspace);
                workspace = null;
            }
        }
    }

    /** A stored payload: {@code bytes[0, length)} under {@code codec}. */
    public record Stored(String codec, byte[] bytes, int length) {}

    private ChunkCodec() {}

    /** Compresses {@code raw[0, length)}, or stores it as it is when zstd would not make it smaller. */
    public static Stored encode(byte[] raw, int length) {
        try (Built built = build(raw, length, false, codec -> new byte[0])) {
            byte[] stored = java.util.Arrays.copyOf(built.bytes(), built.length());
            return built.codec().equals(ZSTD) ? new Stored(ZSTD, stored, stored.length) : new Stored(NONE, raw, length);
        }
    }

    /**
     * The line {@code head} gives for the chosen codec, followed by {@code raw[0, length)} compressed when that makes
     * it smaller (as {@link #encode}), or as it is; built in a pooled buffer, without a new array.
     *
     * @param probe the stream's previous chunk did not compress: look at its first {@link #PROBE_BYTES} first, and
     *              store the chunk as it is unless they compress
     */
    public static Built build(byte[] raw, int length, boolean probe, Function<String, byte[]> head) {
        Workspace w = POOL.poll();
        if (w == null) {
            w = new Workspace();
        }
        try {
            if (!probe || length < 2 * PROBE_BYTES || pays(w, raw)) {
                byte[] line = head.apply(ZSTD);
                int bound = (int) Zstd.compressBound(length);
                byte[] out = w.buffer(line.length + bound);
                int compressed = w.ctx.compressByteArray(out, line.length, bound, raw, 0, length);
                if (compressed < length) {
                    System.arraycopy(line, 0, out, 0, line.length);
                    return new Built(w, line.length + compressed, ZSTD);
                }
            }
            byte[] line = head.apply(NONE);
            byte[] out = w.buffer(line.length + length);
            System.arraycopy(line, 0, out, 0, line.length);
            System.arraycopy(raw, 0, out, line.length, length);
            return new Built(w, line.length + length, NONE);
        } catch (RuntimeException e) {
            giveBack(w);
            throw e;
        }
    }

    /** Whether the first {@link #PROBE_BYTES} of {@code raw} get at least 1/64 smaller. */
    private static boolean pays(Workspace w, byte[] raw) {
        int bound = (int) Zstd.compressBound(PROBE_BYTES);
        int compressed = w.ctx.compressByteArray(w.buffer(bound), 0, bound, raw, 0, PROBE_BYTES);
        return compressed < PROBE_BYTES - PROBE_BYTES / 64;
    }

    private static void giveBack(Workspace w) {
        if (!POOL.offer(w)) {
            w.ctx.close();
        }
    }

    /** The payload stored in {@code stored[offset, end)}, which must decode to exactly {@code rawBytes}. */
    public static byte[] decode(String codec, byte[] stored, int offset, long rawBytes)
            throws MalformedRecordingException {
        if (rawBytes < 0 || rawBytes > MAX_RAW_BYTES) {
            throw new MalformedRecordingException("a chunk claims " + rawBytes + " bytes of records");
        }
        int storedLength = stored.length - offset;
        if (NONE.equals(codec)) {
            if (storedLength != rawBytes) {
                throw new MalformedRecordingException(
                        "a stored chunk holds " + storedLength + " bytes, its header says " + rawBytes);
            }
            return java.util.Arrays.copyOfRange(stored, offset, stored.length);
        }
        if (!ZSTD.equals(codec)) {
            throw new MalformedRecordingException("unknown chunk codec: " + codec);
        }
        byte[] raw = new byte[(int) rawBytes];
        long n;
        try {
            n = Zstd.decompressByteArray(raw, 0, raw.length, stored, offset, storedLength);
        } catch (ZstdException e) {
            throw new MalformedRecordingException("a chunk does not decompress: " + e.getMessage(), e);
        }
        if (Zstd.isError(n) || n != rawBytes) {
            throw new MalformedRecordingException(
                    "a chunk decompresses to " + n + " bytes, its header says " + rawBytes);
        }
        return raw;
    }
}
