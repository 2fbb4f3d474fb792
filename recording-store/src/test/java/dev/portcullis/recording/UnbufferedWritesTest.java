package dev.portcullis.recording;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chunks go to disk past the page cache where the file system allows it (whole blocks through O_DIRECT, the last
 * partial block through the cache) and through the cache where it does not: either way every byte comes back.
 */
@Tag("unit")
class UnbufferedWritesTest {

    /** Sizes around the block size and the writer's 256 KiB buffer, where an off-by-one would show. */
    private static final int[] SIZES = {0, 1, 4095, 4096, 4097, 8192, 65_537, 262_144, 262_145, 600_000, 1_048_579};

    @TempDir
    Path dir;

    @Test
    void everyChunkComesBackByteForByteOnTheTestDisk() throws IOException {
        FileSystemRecordingStorage storage = storageOn(dir);
        roundTrip(storage);
        String type = Files.getFileStore(dir).type();
        if (Set.of("ext4", "xfs").contains(type)) {
            assertThat(storage.lastWriteUnbuffered())
                    .as("a chunk of whole blocks on %s bypasses the page cache", type)
                    .isTrue();
        }
    }

    @Test
    void throughThePageCacheEveryByteComesBackToo() throws IOException {
        // what a file system that refuses O_DIRECT gets (tmpfs did before Linux 6.6, some network file systems do)
        FileSystemRecordingStorage storage = new FileSystemRecordingStorage(dir.resolve("recordings"), false);
        storage.create("r1", "{}".getBytes());
        roundTrip(storage);
        assertThat(storage.lastWriteUnbuffered()).isFalse();
    }

    private static FileSystemRecordingStorage storageOn(Path root) throws IOException {
        FileSystemRecordingStorage storage = new FileSystemRecordingStorage(root.resolve("recordings"));
        storage.create("r1", "{}".getBytes());
        return storage;
    }

    private static void roundTrip(FileSystemRecordingStorage storage) throws IOException {
        Random random = new Random(7);
        byte[][] written = new byte[SIZES.length + 1][];
        for (int i = 0; i < SIZES.length; i++) {
            written[i] = new byte[SIZES[i]];
            random.nextBytes(written[i]);
            storage.putChunk("r1", i + 1, written[i]);
        }
        // the last one whole blocks only, so the flag says how those went
        written[SIZES.length] = new byte[3 * 4096];
        random.nextBytes(written[SIZES.length]);
        storage.putChunk("r1", SIZES.length + 1, written[SIZES.length]);
        assertThat(storage.chunkIndexes("r1")).hasSize(SIZES.length + 1);
        for (int i = 0; i < written.length; i++) {
            assertThat(storage.chunk("r1", i + 1))
                    .as("chunk of %d bytes", written[i].length)
                    .isEqualTo(written[i]);
        }
        assertThatThrownBy(() -> storage.putChunk("r1", 1, new byte[8192]))
                .isInstanceOf(FileAlreadyExistsException.class);
        assertThat(storage.chunk("r1", 1))
                .as("write-once: the first chunk is untouched")
                .isEqualTo(written[0]);
    }
}
