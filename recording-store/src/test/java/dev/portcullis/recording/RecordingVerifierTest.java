package dev.portcullis.recording;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.recording.RecordingVerifier.Status;
import dev.portcullis.recording.RecordingVerifier.Verification;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every way of tampering with a stored recording is found, and an unfinished one is told apart from a tampered one. */
@Tag("unit")
class RecordingVerifierTest {

    @TempDir
    Path root;

    private FileSystemRecordingStorage storage;
    private final RecordingSigner signer = RecordingSigner.generate();
    private Path dir;

    @BeforeEach
    void record() throws IOException {
        storage = new FileSystemRecordingStorage(root);
        ChunkedRecording recording = ChunkedRecording.create(
                storage, "rec-1", "{\"user\":\"alice\",\"target\":\"prod-web-1\"}", Clock.systemUTC());
        for (int i = 1; i <= 4; i++) {
            recording.append(("[" + i + ".0, \"o\", \"line " + i + "\\r\\n\"]\n").getBytes(StandardCharsets.UTF_8));
        }
        recording.close(signer);
        dir = root.resolve("rec-1");
    }

    private Verification verify() throws IOException {
        return RecordingVerifier.verify(storage, "rec-1", signer.publicKey());
    }

    @Test
    void anUntouchedRecordingIsValid() throws IOException {
        assertThat(verify()).isEqualTo(new Verification(Status.VALID, 4, null));
        assertThat(new String(ChunkChain.payload(storage.chunk("rec-1", 2)), StandardCharsets.UTF_8))
                .contains("line 2");
    }

    @Test
    void aFlippedByteInAnyChunkIsFound() throws IOException {
        Path file = dir.resolve("chunk-00000002.bin");
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length - 3] ^= 0x01;
        Files.write(file, bytes);
        Verification v = verify();
        assertThat(v.status()).isEqualTo(Status.TAMPERED);
        assertThat(v.intactChunks()).isEqualTo(2);
        assertThat(v.problem())
                .isEqualTo("chunk 3 does not follow chunk 2 (a byte changed in chunk 2, or chunks were reordered)");
    }

    @Test
    void aFlippedByteInTheLastChunkIsFound() throws IOException {
        flipLastByte(dir.resolve("chunk-00000004.bin"));
        assertThat(verify().problem())
                .isEqualTo("the last chunk differs from the one the manifest signed (changed or truncated)");
    }

    @Test
    void anEditedHeaderIsFound() throws IOException {
        Files.writeString(dir.resolve("header.json"), "{\"user\":\"mallory\",\"target\":\"prod-web-1\"}");
        assertThat(verify().problem()).startsWith("chunk 1 does not follow chunk 0 (a byte changed in the header");
    }

    @Test
    void truncationIsFound() throws IOException {
        Path file = dir.resolve("chunk-00000004.bin");
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length - 5));
        assertThat(verify().status()).isEqualTo(Status.TAMPERED);

        Files.delete(file);
        assertThat(verify().problem()).isEqualTo("the manifest lists 4 chunks, 3 are stored (the end was cut off)");
    }

    @Test
    void aMissingChunkIsFound() throws IOException {
        Files.delete(dir.resolve("chunk-00000002.bin"));
        assertThat(verify()).isEqualTo(new Verification(Status.TAMPERED, 1, "chunk 2 is missing"));
    }

    @Test
    void reorderedChunksAreFound() throws IOException {
        Path two = dir.resolve("chunk-00000002.bin");
        Path three = dir.resolve("chunk-00000003.bin");
        Path temp = dir.resolve("swap");
        Files.move(two, temp);
        Files.move(three, two);
        Files.move(temp, three);
        assertThat(verify().problem()).isEqualTo("chunk 2 is chunk 3 of rec-1 (moved)");
    }

    @Test
    void aChunkAppendedAfterTheManifestIsFound() throws IOException {
        byte[] last = storage.chunk("rec-1", 4);
        storage.putChunk(
                "rec-1",
                5,
                ChunkChain.encode("rec-1", 5, ChunkChain.sha256(last), "[9.0, \"o\", \"rm -rf /\"]\n".getBytes()));
        assertThat(verify().problem()).isEqualTo("1 chunks were added after the manifest");
    }

    @Test
    void anEditedManifestOrAnotherKeyIsFound() throws IOException {
        Path manifest = dir.resolve("manifest.json");
        String edited = Files.readString(manifest).replace("\"payloadBytes\"", "\"payloadBytes\" ");
        Files.writeString(manifest, edited);
        assertThat(verify().problem()).startsWith("the manifest's signature does not verify");

        RecordingSigner other = RecordingSigner.generate();
        assertThat(RecordingVerifier.verify(storage, "rec-1", other.publicKey()).status())
                .isEqualTo(Status.TAMPERED);
    }

    @Test
    void anUnfinishedRecordingIsIncompleteWithItsPrefixIntact() throws IOException {
        ChunkedRecording crashed = ChunkedRecording.create(storage, "rec-2", "{}", Clock.systemUTC());
        crashed.append("a".getBytes());
        crashed.append("b".getBytes());
        // The bastion dies here: no close, no manifest.
        Verification v = RecordingVerifier.verify(storage, "rec-2", signer.publicKey());
        assertThat(v.status()).isEqualTo(Status.INCOMPLETE);
        assertThat(v.intactChunks()).isEqualTo(2);
        Files.delete(root.resolve("rec-2").resolve("chunk-00000001.bin"));
        assertThat(RecordingVerifier.verify(storage, "rec-2", signer.publicKey())
                        .status())
                .isEqualTo(Status.TAMPERED);
    }

    @Test
    void storageIsWriteOnceAndFailsLoudly() throws IOException {
        assertThatThrownBy(() -> storage.putChunk("rec-1", 2, new byte[] {1}))
                .isInstanceOf(FileAlreadyExistsException.class);
        assertThatThrownBy(() -> storage.create("rec-1", new byte[0])).isInstanceOf(FileAlreadyExistsException.class);
        assertThatThrownBy(() -> storage.create("../escape", new byte[0])).isInstanceOf(IllegalArgumentException.class);

        // A store that cannot be written (its root is a regular file; chmod does not stop root) throws, never drops.
        Path notADirectory = root.resolve("blocked");
        Files.writeString(notADirectory, "x");
        FileSystemRecordingStorage broken = new FileSystemRecordingStorage(notADirectory);
        assertThatThrownBy(() -> ChunkedRecording.create(broken, "rec-3", "{}", Clock.systemUTC()))
                .isInstanceOf(IOException.class);
        assertThat(storage.recordings()).contains("rec-1");
    }

    private static void flipLastByte(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length - 1] ^= 0x20;
        Files.write(file, bytes);
    }
}
