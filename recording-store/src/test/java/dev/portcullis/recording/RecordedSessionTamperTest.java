package dev.portcullis.recording;

import static dev.portcullis.recording.Fixtures.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.recording.RecordingVerifier.Status;
import dev.portcullis.recording.RecordingVerifier.Verification;
import dev.portcullis.recording.format.ChunkCodec;
import dev.portcullis.recording.format.ChunkRecords;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The verifier against recordings made by the recorders, bit by bit: not one flipped bit anywhere
 * in a chunk, the header, the manifest or its signature goes unnoticed. (The catalogue of file-level
 * tampering is in {@link RecordingVerifierTest}.)
 */
class RecordedSessionTamperTest {

    @TempDir
    Path root;

    private FileSystemRecordingStorage storage;
    private Recordings recordings;
    private String id;
    private int chunkCount;

    @BeforeEach
    void recordClosedSession() throws Exception {
        storage = new FileSystemRecordingStorage(root);
        recordings = Fixtures.recordings(storage, Fixtures.smallChunks(), RecordingClock.system());
        id = Fixtures.recordSampleSession(recordings).id();
        chunkCount = storage.chunkIndexes(id).size();
        assertThat(chunkCount).as("the sample spans many chunks").isGreaterThanOrEqualTo(8);
        assertThat(verify(storage).status()).isEqualTo(Status.VALID);
    }

    @ParameterizedTest(name = "chunk {0}")
    @ValueSource(ints = {1, 4, -1})
    void every_flipped_bit_in_a_chunk_is_caught(int which) throws Exception {
        long index = which < 0 ? chunkCount : which;
        assertEveryFlipIsCaught(InMemoryRecordingStorage.chunkKey(id, index), index);
    }

    @Test
    void every_flipped_bit_in_the_header_is_caught() throws Exception {
        assertEveryFlipIsCaught(InMemoryRecordingStorage.headerKey(id), 0);
    }

    @Test
    void every_flipped_bit_in_the_manifest_or_its_signature_is_caught() throws Exception {
        assertEveryFlipIsCaught(InMemoryRecordingStorage.manifestKey(id), chunkCount);
        assertEveryFlipIsCaught(InMemoryRecordingStorage.signatureKey(id), chunkCount);
    }

    @Test
    void a_chunk_copied_in_from_another_recording_is_caught() throws Exception {
        String other = Fixtures.recordSampleSession(recordings).id();
        Files.copy(
                Fixtures.chunkFile(root.resolve(other), 3),
                Fixtures.chunkFile(root.resolve(id), 3),
                StandardCopyOption.REPLACE_EXISTING);

        Verification result = verify(storage);

        assertThat(result.status()).isEqualTo(Status.TAMPERED);
        assertThat(result.intactChunks()).isEqualTo(2);
        assertThat(result.problem()).contains("chunk 3 is chunk 3 of " + other);
    }

    @Test
    void a_chunk_appended_after_the_manifest_is_caught_even_when_it_chains_correctly() throws Exception {
        byte[] last = storage.chunk(id, chunkCount);
        PendingChunk records = new PendingChunk(java.time.Duration.ofSeconds(1), 1024);
        records.add(ChunkRecords.Kind.OUTPUT, 99_000_000, utf8("rm -rf / # never happened"), 0);
        byte[] forged = ChunkChain.encode(
                id,
                chunkCount + 1,
                ChunkChain.sha256(last),
                ChunkCodec.encode(records.body(), records.size()),
                records.size(),
                99_000_000,
                99_000_000);
        Files.write(Fixtures.chunkFile(root.resolve(id), chunkCount + 1), forged);

        Verification result = verify(storage);

        assertThat(result.status()).isEqualTo(Status.TAMPERED);
        assertThat(result.problem()).contains("added after the manifest");
    }

    @Test
    void a_manifest_re_signed_with_another_key_is_caught() throws Exception {
        Path manifest = root.resolve(id).resolve("manifest.json");
        byte[] edited = Files.readString(manifest)
                .replace("\"payloadBytes\"", "\"payloadBytes\" ")
                .getBytes();
        Files.write(manifest, edited);
        Files.write(
                root.resolve(id).resolve("manifest.sig"),
                RecordingSigner.generate().sign(edited));

        Verification result = verify(storage);

        assertThat(result.status()).isEqualTo(Status.TAMPERED);
        assertThat(result.problem()).contains("signature does not verify");
    }

    @Test
    void an_open_recording_is_incomplete_and_a_change_inside_its_prefix_is_caught() throws Exception {
        SessionRecording open = recordings.start(Fixtures.metadata(recordings), RecordingFailureListener.none());
        for (int i = 0; i < 4; i++) {
            open.terminal().output(utf8("x".repeat(300)));
        }
        Path directory = root.resolve(open.id());
        assertThat(Fixtures.eventually(
                        Duration.ofSeconds(10),
                        () -> Fixtures.chunkFiles(directory).size() >= 3))
                .isTrue();
        InMemoryRecordingStorage snapshot = InMemoryRecordingStorage.copyOf(storage, open.id());
        int stored = snapshot.chunkIndexes(open.id()).size();

        Verification result = RecordingVerifier.verify(snapshot, open.id(), Fixtures.SIGNER.publicKey());
        assertThat(result.status()).isEqualTo(Status.INCOMPLETE);
        assertThat(result.intactChunks()).isEqualTo(stored);

        String key = InMemoryRecordingStorage.chunkKey(open.id(), 2);
        snapshot.overwrite(key, flipped(snapshot.object(key), snapshot.object(key).length - 10));
        assertThat(RecordingVerifier.verify(snapshot, open.id(), Fixtures.SIGNER.publicKey())
                        .status())
                .isEqualTo(Status.TAMPERED);
        open.close();
    }

    /** Flips each bit 0 of each byte of one object in turn; every single change must be caught. */
    private void assertEveryFlipIsCaught(String key, long atMostIntact) throws Exception {
        InMemoryRecordingStorage copy = InMemoryRecordingStorage.copyOf(storage, id);
        byte[] original = copy.object(key);
        for (int position = 0; position < original.length; position++) {
            copy.overwrite(key, flipped(original, position));
            Verification result = verify(copy);
            assertThat(result.status()).as("byte %d of %s", position, key).isEqualTo(Status.TAMPERED);
            assertThat(result.intactChunks())
                    .as("byte %d of %s: %s", position, key, result.problem())
                    .isLessThanOrEqualTo(atMostIntact);
        }
        copy.overwrite(key, original);
        assertThat(verify(copy).status()).isEqualTo(Status.VALID);
    }

    private Verification verify(RecordingStorage recordings) throws Exception {
        return RecordingVerifier.verify(recordings, id, Fixtures.SIGNER.publicKey());
    }

    private static byte[] flipped(byte[] original, int position) {
        byte[] copy = original.clone();
        copy[position] ^= 0x01;
        return copy;
    }
}
