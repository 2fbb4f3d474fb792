package dev.portcullis.recording.format;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdException;

/**
 * How a format-3 chunk's payload is stored: zstd (level 1) when that makes it smaller, as it is otherwise, so
 * incompressible data (random bytes, encrypted or compressed files) costs no decompression and no growth. The codec
 * is named in the chunk's header line, which the hash chain covers like the stored bytes.
 *
 * <p>Compression contexts are native memory of about a megabyte each; they are pooled across recordings rather than
 * kept per session, since a bastion holds thousands of mostly idle sessions and only the writer threads flushing a
 * chunk at this moment need one.
 */
public final class ChunkCodec {

    public static final String ZSTD = "zstd";
    public static final String NONE = "none";
    /** Largest payload a chunk may decompress to: a stored object is at most this large too. */
    public static final int MAX_RAW_BYTES = 64 * 1024 * 1024;
    private static final int LEVEL = 1;
    private static final BlockingQueue<ZstdCompressCtx> POOL =
            new ArrayBlockingQueue<>(Math.max(4, 2 * Runtime.getRuntime().availableProcessors()));

    /** A stored payload: {@code bytes[0, length)} under {@code codec}. */
    public record Stored(String codec, byte[] bytes, int length) {
    }

    private ChunkCodec() {
    }

    /** Compresses {@code raw[0, length)}, or stores it as it is when zstd would not make it smaller. */
    public static Stored encode(byte[] raw, int length) {
        int bound = (int) Zstd.compressBound(length);
        byte[] out = new byte[bound];
        ZstdCompressCtx ctx = POOL.poll();
        if (ctx == null) {
            ctx = new ZstdCompressCtx();
            ctx.setLevel(LEVEL);
        }
        int compressed;
        try {
            compressed = ctx.compressByteArray(out, 0, bound, raw, 0, length);
        } finally {
            if (!POOL.offer(ctx)) {
                ctx.close();
            }
        }
        if (compressed < length) {
            return new Stored(ZSTD, out, compressed);
        }
        return new Stored(NONE, raw, length);
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
                throw new MalformedRecordingException("a stored chunk holds " + storedLength + " bytes, its header says "
                        + rawBytes);
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
            throw new MalformedRecordingException("a chunk decompresses to " + n + " bytes, its header says "
                    + rawBytes);
        }
        return raw;
    }
}
