package dev.portcullis.recording;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.recording.RecordingVerifier.Deletion;
import dev.portcullis.recording.RecordingVerifier.Expected;
import dev.portcullis.recording.RecordingVerifier.Status;
import dev.portcullis.recording.RecordingVerifier.Verification;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Retention deletes the payload chunks and nothing else; a recording so deleted verifies as DELETED_BY_POLICY only
 * when the caller holds a record of the deletion, and what is left still proves itself. A chunk deleted without that
 * record is tampering, as before.
 */
@Tag("unit")
class DeletedByPolicyTest {

    private static final Instant DELETED_AT = Instant.parse("2026-03-01T04:00:00Z");

    @TempDir
    Path root;

    private FileSystemRecordingStorage storage;
    private final RecordingSigner signer = RecordingSigner.generate();
    private Path dir;

    @BeforeEach
    void record() throws IOException {
        storage = new FileSystemRecordingStorage(root);
        ChunkedRecording recording =
                ChunkedRecording.create(storage, "rec-1", "{\"user\":\"alice\"}", Clock.systemUTC());
        recording.checkpoint(signer);
        for (int i = 1; i <= 3; i++) {
            recording.append(("[" + i + ".0, \"o\", \"line " + i + "\\r\\n\"]\n").getBytes(StandardCharsets.UTF_8));
            recording.checkpoint(signer);
        }
        recording.close(signer);
        dir = root.resolve("rec-1");
    }

    private Deletion deletion() throws IOException {
        return new Deletion(
                DELETED_AT,
                "engineers-prod-ssh",
                "90d",
                ChunkChain.sha256(storage.manifest("rec-1").orElseThrow().manifest()));
    }

    private Verification verify(Deletion deletion) throws IOException {
        return RecordingVerifier.verify(
                storage, "rec-1", signer.publicKey(), new Expected(true, true, Map.of(), deletion));
    }

    private Stream<String> files() throws IOException {
        return Files.list(dir).map(p -> p.getFileName().toString()).sorted();
    }

    @Test
    void deletingChunksKeepsTheHeaderCheckpointsManifestAndSignatureAndCanBeRepeated() throws IOException {
        storage.deleteChunks("rec-1");
        assertThat(files())
                .containsExactly(
                        "checkpoint-00000000.sig",
                        "checkpoint-00000001.sig",
                        "checkpoint-00000002.sig",
                        "checkpoint-00000003.sig",
                        "header.json",
                        "manifest.json",
                        "manifest.sig");
        storage.deleteChunks("rec-1");
        assertThat(storage.chunkIndexes("rec-1")).isEmpty();
        assertThatThrownBy(() -> storage.deleteChunks("no-such-recording")).isInstanceOf(IOException.class);
    }

    @Test
    void aDeletedPayloadWithItsRecordIsDeletedByPolicyAndWithoutItTampered() throws IOException {
        Deletion deletion = deletion();
        storage.deleteChunks("rec-1");
        Verification v = verify(deletion);
        assertThat(v.status()).isEqualTo(Status.DELETED_BY_POLICY);
        assertThat(v.problem())
                .startsWith("the payload was deleted by policy at 2026-03-01T04:00:00Z (rule "
                        + "'engineers-prod-ssh', retention 90d); the header and the signed manifest of its 3 chunks");
        assertThat(verify(null).status()).isEqualTo(Status.TAMPERED);
        RecordingVerifier.Checked checked = RecordingVerifier.check(
                storage, "rec-1", signer.publicKey(), new Expected(true, true, Map.of(), deletion));
        assertThat(checked.chunkHashes()).as("nothing is vouched for a reader").isEmpty();
    }

    @Test
    void aChunkDeletedByHandIsTampered() throws IOException {
        Files.delete(dir.resolve("chunk-00000002.bin"));
        Verification v = verify(null);
        assertThat(v.status()).isEqualTo(Status.TAMPERED);
        assertThat(v.problem()).isEqualTo("chunk 2 is missing");
    }

    @Test
    void aDeletionRecordDoesNotCoverAnythingButThePayload() throws IOException {
        Deletion deletion = deletion();
        // a chunk left behind must be the one the manifest signed
        Path chunk = dir.resolve("chunk-00000002.bin");
        byte[] bytes = Files.readAllBytes(chunk);
        bytes[bytes.length - 2] ^= 1;
        Files.write(chunk, bytes);
        assertThat(verify(deletion).problem())
                .isEqualTo("chunk 2 is stored after the payload was deleted by policy "
                        + "and is not the chunk the manifest signed");
        storage.deleteChunks("rec-1");
        // signed by another key
        assertThat(RecordingVerifier.verify(
                                storage,
                                "rec-1",
                                RecordingSigner.generate().publicKey(),
                                new Expected(true, true, Map.of(), deletion))
                        .status())
                .isEqualTo(Status.TAMPERED);
        // another manifest than the one the deletion recorded
        assertThat(verify(new Deletion(DELETED_AT, "r", "90d", "0".repeat(64))).problem())
                .isEqualTo("the manifest recorded when the payload was deleted by policy is not the one stored now");
        // the manifest gone too
        Files.delete(dir.resolve("manifest.json"));
        assertThat(verify(deletion).problem())
                .isEqualTo("the manifest recorded when the payload was deleted by policy is gone");
        // the header gone
        Files.delete(dir.resolve("header.json"));
        assertThat(verify(deletion).status()).isEqualTo(Status.TAMPERED);
    }

    @Test
    void chunksNotYetDeletedAreSaidToWait() throws IOException {
        Verification v = verify(deletion());
        assertThat(v.status()).isEqualTo(Status.DELETED_BY_POLICY);
        assertThat(v.problem()).endsWith("; 3 chunks are still waiting to be deleted");
    }

    @Test
    void aRecordingNeverClosedIsJudgedByItsLatestCheckpoint() throws IOException {
        ChunkedRecording open = ChunkedRecording.create(storage, "rec-2", "{\"user\":\"bob\"}", Clock.systemUTC());
        open.append("[1.0, \"o\", \"x\"]\n".getBytes(StandardCharsets.UTF_8));
        open.checkpoint(signer);
        storage.deleteChunks("rec-2");
        Expected expected = new Expected(true, false, Map.of(), new Deletion(DELETED_AT, "r", "30d", null));
        Verification v = RecordingVerifier.verify(storage, "rec-2", signer.publicKey(), expected);
        assertThat(v.status()).isEqualTo(Status.DELETED_BY_POLICY);
        assertThat(v.problem()).contains("never closed; the header and its latest signed checkpoint (1 chunks");
        Files.list(root.resolve("rec-2"))
                .filter(p -> p.getFileName().toString().startsWith("checkpoint-"))
                .forEach(p -> p.toFile().delete());
        assertThat(RecordingVerifier.verify(storage, "rec-2", signer.publicKey(), expected)
                        .status())
                .isEqualTo(Status.TAMPERED);
    }

    @Test
    void deletionNeverFollowsALinkOutOfTheStore(@TempDir Path elsewhere) throws IOException {
        Files.writeString(elsewhere.resolve("chunk-00000001.bin"), "not the store's");
        Files.createSymbolicLink(root.resolve("rec-3"), elsewhere);
        assertThatThrownBy(() -> storage.deleteChunks("rec-3")).isInstanceOf(UnsafeRecordingObjectException.class);
        assertThat(elsewhere.resolve("chunk-00000001.bin")).exists();
    }
}
