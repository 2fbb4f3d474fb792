package dev.portcullis.recording.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** How a chunk's payload is stored: built in a pooled buffer, byte for byte what the plain encoding gives. */
class ChunkCodecTest {

    private static final int SIZE = 512 * 1024;

    private static byte[] random(long seed) {
        byte[] bytes = new byte[SIZE];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    private static byte[] base64(long seed) {
        return Arrays.copyOf(Base64.getMimeEncoder().encode(random(seed)), SIZE);
    }

    private static byte[] head(String codec) {
        return ("{\"codec\":\"" + codec + "\"}\n").getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] built(byte[] raw, boolean probe) {
        try (ChunkCodec.Built chunk = ChunkCodec.build(raw, raw.length, probe, ChunkCodecTest::head)) {
            return Arrays.copyOf(chunk.bytes(), chunk.length());
        }
    }

    @Test
    void aBuiltChunkIsItsCodecsLineThenWhatEncodeStores() {
        for (byte[] raw : new byte[][] {new byte[SIZE], random(1), base64(2)}) {
            ChunkCodec.Stored stored = ChunkCodec.encode(raw, raw.length);
            byte[] line = head(stored.codec());
            byte[] expected = Arrays.copyOf(line, line.length + stored.length());
            System.arraycopy(stored.bytes(), 0, expected, line.length, stored.length());
            assertThat(built(raw, false)).isEqualTo(expected);
        }
    }

    @Test
    void aProbedChunkIsStoredAsItIsOnlyWhenItsStartDoesNotCompress() {
        byte[] noise = random(3);
        byte[] text = base64(4);
        assertThat(codec(noise, true)).isEqualTo(ChunkCodec.NONE);
        assertThat(codec(text, true)).as("text after noise compresses again").isEqualTo(ChunkCodec.ZSTD);
        assertThat(codec(new byte[SIZE], true)).isEqualTo(ChunkCodec.ZSTD);
        byte[] stored = built(noise, true);
        assertThat(Arrays.copyOfRange(stored, head(ChunkCodec.NONE).length, stored.length))
                .isEqualTo(noise);
    }

    @Test
    void aChunksBufferIsNotUsableOnceGivenBack() {
        ChunkCodec.Built chunk = ChunkCodec.build(new byte[100], 100, false, ChunkCodecTest::head);
        chunk.close();
        assertThatThrownBy(chunk::bytes).isInstanceOf(IllegalStateException.class);
    }

    private static String codec(byte[] raw, boolean probe) {
        try (ChunkCodec.Built chunk = ChunkCodec.build(raw, raw.length, probe, ChunkCodecTest::head)) {
            return chunk.codec();
        }
    }
}
