package dev.portcullis.recording;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.portcullis.recording.RecordingVerifier.Status;
import dev.portcullis.recording.read.RecordingReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whoever writes the store (a bastion) cannot make its reader (the broker) open files outside it: a chunk, header or
 * recording directory that is a link, or a pipe in place of a chunk, is refused, never followed, and such a recording
 * verifies as TAMPERED and is not exported.
 */
class StoreLinksTest {

    private static final String SECRET = "-----BEGIN OPENSSH PRIVATE KEY----- the broker's CA key";

    @TempDir
    Path temp;

    private Path root;
    private Path secret;
    private FileSystemRecordingStorage storage;
    private String id;

    @BeforeEach
    void record() throws IOException {
        root = temp.resolve("recordings");
        secret = temp.resolve("ca_key");
        Files.writeString(secret, SECRET + "\n{\"time\":1.0,\"type\":\"exec\",\"command\":\"looks like an event\"}\n");
        storage = new FileSystemRecordingStorage(root);
        id = Fixtures.recordSampleSession(Fixtures.recordings(storage, Fixtures.smallChunks(), RecordingClock.system()))
                .id();
        assertThat(RecordingVerifier.verify(storage, id, Fixtures.SIGNER.publicKey())
                        .status())
                .isEqualTo(Status.VALID);
    }

    @Test
    void aChunkThatLinksToASecretFileIsNeverRead() throws Exception {
        Path chunk = root.resolve(id).resolve("chunk-00000001.bin");
        Files.delete(chunk);
        Files.createSymbolicLink(chunk, secret);

        assertThatThrownBy(() -> storage.chunk(id, 1))
                .isInstanceOf(UnsafeRecordingObjectException.class)
                .hasMessageContaining("is a symbolic link")
                .hasMessageNotContaining("BEGIN");
        RecordingVerifier.Checked checked =
                RecordingVerifier.check(storage, id, Fixtures.SIGNER.publicKey(), RecordingVerifier.Expected.NOTHING);
        assertThat(checked.verification().status()).isEqualTo(Status.TAMPERED);
        assertThat(checked.verification().problem())
                .contains("chunk-00000001.bin")
                .contains("symbolic link")
                .doesNotContain("BEGIN");
        assertThatThrownBy(() -> RecordingReader.openVerified(storage, id, checked))
                .hasMessageContaining("did not verify");
    }

    @Test
    void aHeaderOrManifestThatLinksElsewhereIsRefused() throws Exception {
        Path manifest = root.resolve(id).resolve("manifest.json");
        Files.delete(manifest);
        Files.createSymbolicLink(manifest, secret);
        assertThatThrownBy(() -> storage.manifest(id)).isInstanceOf(UnsafeRecordingObjectException.class);
        assertThat(RecordingVerifier.verify(storage, id, Fixtures.SIGNER.publicKey())
                        .status())
                .isEqualTo(Status.TAMPERED);

        Path header = root.resolve(id).resolve("header.json");
        Files.delete(header);
        Files.createSymbolicLink(header, secret);
        assertThatThrownBy(() -> RecordingReader.open(storage, id)).isInstanceOf(UnsafeRecordingObjectException.class);
    }

    @Test
    void aRecordingDirectoryThatIsALinkIsRefused() throws Exception {
        Path elsewhere = temp.resolve("elsewhere");
        Files.move(root.resolve(id), elsewhere);
        Files.createSymbolicLink(root.resolve(id), elsewhere);

        assertThatThrownBy(() -> storage.header(id))
                .isInstanceOf(UnsafeRecordingObjectException.class)
                .hasMessageContaining("not a directory of the store");
        assertThatThrownBy(() -> storage.chunkIndexes(id)).isInstanceOf(UnsafeRecordingObjectException.class);
        assertThat(RecordingVerifier.verify(storage, id, Fixtures.SIGNER.publicKey())
                        .status())
                .isEqualTo(Status.TAMPERED);
        assertThat(storage.recordings()).doesNotContain(id);
        assertThatThrownBy(() -> storage.putChunk(id, 99, new byte[] {1}))
                .isInstanceOf(UnsafeRecordingObjectException.class);
    }

    @Test
    void aPipeInPlaceOfAChunkIsRefusedWithoutWaitingForAWriter() throws Exception {
        Path chunk = root.resolve(id).resolve("chunk-00000002.bin");
        Files.delete(chunk);
        Process mkfifo =
                new ProcessBuilder("mkfifo", chunk.toString()).inheritIO().start();
        assertThat(mkfifo.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(mkfifo.exitValue()).isZero();

        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            assertThatThrownBy(() -> storage.chunk(id, 2))
                    .isInstanceOf(UnsafeRecordingObjectException.class)
                    .hasMessageContaining("special file");
            assertThat(RecordingVerifier.verify(storage, id, Fixtures.SIGNER.publicKey())
                            .status())
                    .isEqualTo(Status.TAMPERED);
        });
    }

    @Test
    void anExportWritesOnlyVerifiedChunksParsedAsEvents() throws Exception {
        RecordingVerifier.Checked checked =
                RecordingVerifier.check(storage, id, Fixtures.SIGNER.publicKey(), RecordingVerifier.Expected.NOTHING);
        RecordingReader reader = RecordingReader.openVerified(storage, id, checked);
        ByteArrayOutputStream events = new ByteArrayOutputStream();
        reader.exportEvents(events);
        assertThat(events.toString(StandardCharsets.UTF_8)).contains("\"type\":\"exec\"");

        // The chunk is swapped after the check: the export stops at it instead of sending what nobody verified.
        Path chunk = root.resolve(id).resolve("chunk-00000001.bin");
        byte[] bytes = Files.readAllBytes(chunk);
        bytes[bytes.length - 3] ^= 1;
        Files.delete(chunk);
        Files.write(chunk, bytes);
        assertThatThrownBy(() ->
                        RecordingReader.openVerified(storage, id, checked).exportCast(new ByteArrayOutputStream()))
                .hasMessageContaining("changed after it was verified");
    }
}
