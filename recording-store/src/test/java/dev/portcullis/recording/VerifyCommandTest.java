package dev.portcullis.recording;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.recording.cli.VerifyCommand;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Base64;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("unit")
class VerifyCommandTest {

    @Test
    void exitCodesTellValidTamperedIncompleteAndBadInputApart(@TempDir Path root) throws Exception {
        FileSystemRecordingStorage storage = new FileSystemRecordingStorage(root.resolve("store"));
        RecordingSigner signer = RecordingSigner.generate();
        ChunkedRecording done = ChunkedRecording.create(storage, "done", "{}", Clock.systemUTC());
        done.append("hello".getBytes());
        done.close(signer);
        ChunkedRecording open = ChunkedRecording.create(storage, "open", "{}", Clock.systemUTC());
        open.append("partial".getBytes());
        Path key = root.resolve("key.pub");
        Files.writeString(
                key, Base64.getEncoder().encodeToString(signer.publicKey().getEncoded()));
        String store = root.resolve("store").toString();

        assertThat(run(store, "done", key.toString())).isEqualTo(0);
        assertThat(run(store, "open", key.toString())).isEqualTo(2);
        Path chunk = root.resolve("store/done/chunk-00000001.bin");
        byte[] bytes = Files.readAllBytes(chunk);
        bytes[bytes.length - 1] ^= 1;
        Files.write(chunk, bytes);
        assertThat(run(store, "done", key.toString())).isEqualTo(1);
        assertThat(run(store, "nope", key.toString())).isEqualTo(1);
        assertThat(run(store, "done")).isEqualTo(64);
        Files.writeString(key, "not a key");
        assertThat(run(store, "done", key.toString())).isEqualTo(64);
    }

    /**
     * A recording whose chunks retention deleted is DELETED_BY_POLICY (exit 3, when and which rule) only with the
     * broker's signed tombstone and the audit head key; without one, or with one that does not verify or names
     * another recording, the missing chunks are TAMPERED.
     */
    @Test
    void aDeletionByPolicyNeedsTheSignedTombstone(@TempDir Path root) throws Exception {
        FileSystemRecordingStorage storage = new FileSystemRecordingStorage(root.resolve("store"));
        RecordingSigner bastion = RecordingSigner.generate();
        RecordingSigner auditHead = RecordingSigner.generate();
        java.util.UUID session = java.util.UUID.randomUUID();
        ChunkedRecording rec = ChunkedRecording.create(
                storage, "gone", "{\"attributes\":{\"session\":\"" + session + "\"}}", Clock.systemUTC());
        rec.append("secret output".getBytes());
        rec.close(bastion);
        String manifest =
                ChunkChain.sha256(storage.manifest("gone").orElseThrow().manifest());
        storage.deleteChunks("gone");
        Path key = Files.writeString(root.resolve("bastion.pub.pem"), RecordingKeys.publicKeyPem(bastion.publicKey()));
        Path auditKey = Files.writeString(
                root.resolve("audit_head.pub.pem"), RecordingKeys.publicKeyPem(auditHead.publicKey()));
        RecordingTombstone tombstone = new RecordingTombstone(
                session,
                "gone",
                "engineers-prod-ssh",
                "90d",
                java.time.Instant.parse("2026-03-01T04:00:00Z"),
                manifest);
        Path file =
                Files.write(root.resolve("tombstone.txt"), tombstone.signedFile(auditHead.sign(tombstone.statement())));
        String store = root.resolve("store").toString();

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = VerifyCommand.run(
                new String[] {store, "gone", key.toString(), file.toString(), auditKey.toString()},
                new PrintStream(out),
                new PrintStream(err));
        assertThat(exit).as(out + " " + err).isEqualTo(3);
        assertThat(out.toString())
                .contains("DELETED_BY_POLICY")
                .contains("2026-03-01T04:00:00Z")
                .contains("rule 'engineers-prod-ssh', retention 90d");
        assertThat(run(store, "gone", key.toString())).as("no tombstone").isEqualTo(1);
        assertThat(run(store, "gone", key.toString(), file.toString(), key.toString()))
                .as("a tombstone checked with another key than the audit head's")
                .isEqualTo(1);

        Files.writeString(file, Files.readString(file).replace("\n90d\n", "\n9d\n"));
        assertThat(run(store, "gone", key.toString(), file.toString(), auditKey.toString()))
                .as("an edited tombstone")
                .isEqualTo(1);
        RecordingTombstone other = new RecordingTombstone(
                session,
                "another",
                "engineers-prod-ssh",
                "90d",
                java.time.Instant.parse("2026-03-01T04:00:00Z"),
                manifest);
        Files.write(file, other.signedFile(auditHead.sign(other.statement())));
        assertThat(run(store, "gone", key.toString(), file.toString(), auditKey.toString()))
                .as("another recording's tombstone")
                .isEqualTo(1);
        Files.writeString(file, "not a tombstone");
        assertThat(run(store, "gone", key.toString(), file.toString(), auditKey.toString()))
                .isEqualTo(1);
        assertThat(run(store, "gone", key.toString(), file.toString()))
                .as("a tombstone without its key")
                .isEqualTo(64);
    }

    private static int run(String... args) {
        return VerifyCommand.run(
                args, new PrintStream(new ByteArrayOutputStream()), new PrintStream(new ByteArrayOutputStream()));
    }
}
