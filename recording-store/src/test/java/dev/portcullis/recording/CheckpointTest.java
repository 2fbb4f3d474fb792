package dev.portcullis.recording;

import static dev.portcullis.recording.Fixtures.eventually;
import static dev.portcullis.recording.Fixtures.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.recording.RecordingVerifier.Expected;
import dev.portcullis.recording.RecordingVerifier.Status;
import dev.portcullis.recording.RecordingVerifier.Verification;
import dev.portcullis.recording.format.ChunkRecords;
import dev.portcullis.recording.format.RecordingHeader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A recording without a manifest is only as good as its latest signed checkpoint: forging one without the bastion's
 * key, or removing the manifest of one that was closed, no longer passes for an unfinished recording.
 */
@Tag("unit")
class CheckpointTest {

    @TempDir
    Path root;

    private static final Expected REQUIRED = new Expected(true, false, Map.of());

    private FileSystemRecordingStorage storage() {
        return new FileSystemRecordingStorage(root);
    }

    private static Path checkpointFile(Path directory, long chunks) {
        return directory.resolve(String.format("checkpoint-%08d.sig", chunks));
    }

    private static String listing(Path directory) {
        try (var files = Files.list(directory)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList().toString();
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }

    @Test
    void aLiveRecordingIsCheckpointedAtStartAndWithinTheIntervalAfterEachNewChunk() throws Exception {
        ManualClock clock = new ManualClock();
        FileSystemRecordingStorage storage = storage();
        Recordings recordings = Fixtures.recordings(storage, WriterOptions.defaults(), clock);
        SessionRecording recording = recordings.start(Fixtures.metadata(recordings), RecordingFailureListener.none());
        Path directory = root.resolve(recording.id());
        assertThat(checkpointFile(directory, 0))
                .as("the header is signed as the recording starts")
                .exists();
        assertThat(WriterOptions.defaults().checkpointInterval()).isLessThanOrEqualTo(Duration.ofSeconds(10));

        recording.terminal().output(utf8("$ id\r\n"));
        recording.sync(); // stored now, on the frozen clock
        int chunks = Fixtures.chunkFiles(directory).size();
        assertThat(chunks).isPositive();
        clock.advance(WriterOptions.defaults().checkpointInterval().minusNanos(1));
        Thread.sleep(300); // the writer looks at the clock at least every 100 ms
        assertThat(checkpointFile(directory, chunks))
                .as("not before the interval")
                .doesNotExist();

        clock.advance(Duration.ofNanos(1));
        assertThat(eventually(Duration.ofSeconds(10), () -> Files.exists(checkpointFile(directory, chunks))))
                .as(() -> listing(directory))
                .isTrue();
        Verification open = RecordingVerifier.verify(storage, recording.id(), Fixtures.SIGNER.publicKey(), REQUIRED);
        assertThat(open.status()).isEqualTo(Status.INCOMPLETE);
        assertThat(open.problem()).contains("proves " + chunks + " of its " + chunks + " chunks");

        recording.close();
        assertThat(RecordingVerifier.verify(
                                storage,
                                recording.id(),
                                Fixtures.SIGNER.publicKey(),
                                new Expected(true, true, Map.of()))
                        .status())
                .isEqualTo(Status.VALID);
    }

    @Test
    void aForgedRecordingWithoutManifestOrCheckpointIsTampered() throws Exception {
        FileSystemRecordingStorage storage = storage();
        Recordings recordings = Fixtures.recordings(storage, WriterOptions.defaults(), RecordingClock.system());
        String header = RecordingHeader.encode(Fixtures.metadata(recordings));
        ChunkedRecording forged = ChunkedRecording.create(
                storage,
                "forged",
                header.replaceFirst("\"recording\":\"[^\"]*\"", "\"recording\":\"forged\""),
                Clock.systemUTC());
        PendingChunk records = new PendingChunk(Duration.ofSeconds(1), 1024);
        records.add(ChunkRecords.Kind.OUTPUT, 1_000_000, utf8("nothing to see\r\n"), 0);
        forged.appendRecords(records.body(), records.size(), records.firstMicros(), records.lastMicros());

        Verification v = RecordingVerifier.verify(storage, "forged", Fixtures.SIGNER.publicKey());
        assertThat(v.status()).isEqualTo(Status.TAMPERED);
        assertThat(v.problem())
                .isEqualTo("no manifest and no signed checkpoint: nothing proves that a bastion wrote this recording");

        // A checkpoint signed by a key other than the session's bastion's proves nothing either.
        forged.checkpoint(RecordingSigner.generate());
        assertThat(RecordingVerifier.verify(storage, "forged", Fixtures.SIGNER.publicKey())
                        .problem())
                .startsWith(
                        "the latest checkpoint (1 chunks) is not valid: the checkpoint's signature does not verify");
    }

    @Test
    void aFormatOneRecordingWithoutManifestIsIncompleteOnlyWhereNothingAsksForMore() throws Exception {
        FileSystemRecordingStorage storage = storage();
        ChunkedRecording old = ChunkedRecording.create(
                storage,
                "old",
                "{\"format\":\"" + RecordingHeader.FORMAT_1 + "\",\"recording\":\"old\"}",
                Clock.systemUTC());
        old.append(utf8("[1.000000,\"o\",\"hi\\r\\n\"]\n"));
        assertThat(RecordingVerifier.verify(storage, "old", Fixtures.SIGNER.publicKey())
                        .status())
                .isEqualTo(Status.INCOMPLETE);
        assertThat(RecordingVerifier.verify(storage, "old", Fixtures.SIGNER.publicKey(), REQUIRED)
                        .status())
                .isEqualTo(Status.TAMPERED);

        old.close(Fixtures.SIGNER);
        assertThat(RecordingVerifier.verify(
                                storage, "old", Fixtures.SIGNER.publicKey(), new Expected(true, true, Map.of()))
                        .status())
                .as("a format-1 recording closed properly stays valid")
                .isEqualTo(Status.VALID);
    }

    @Test
    void removingTheManifestOfAnEndedSessionIsTampering() throws Exception {
        FileSystemRecordingStorage storage = storage();
        String id = Fixtures.recordSampleSession(
                        Fixtures.recordings(storage, Fixtures.smallChunks(), RecordingClock.system()))
                .id();
        Files.delete(root.resolve(id).resolve("manifest.json"));
        Files.delete(root.resolve(id).resolve("manifest.sig"));

        Verification ended =
                RecordingVerifier.verify(storage, id, Fixtures.SIGNER.publicKey(), new Expected(true, true, Map.of()));
        assertThat(ended.status()).isEqualTo(Status.TAMPERED);
        assertThat(ended.problem()).startsWith("the session has ended but its recording has no manifest");
        // Without knowing the session ended, only the signed start is proven, and the rest is said to be unproven.
        Verification unknown = RecordingVerifier.verify(storage, id, Fixtures.SIGNER.publicKey(), REQUIRED);
        assertThat(unknown.status()).isEqualTo(Status.INCOMPLETE);
        assertThat(unknown.problem()).contains("proves 0 of its").contains("not proven yet");
    }

    @Test
    void chunksCutBelowTheLatestCheckpointOrChangedUnderItAreTampering() throws Exception {
        InMemoryRecordingStorage storage = new InMemoryRecordingStorage();
        ChunkedRecording recording = ChunkedRecording.create(storage, "r", "{\"recording\":\"r\"}", Clock.systemUTC());
        for (int i = 1; i <= 3; i++) {
            recording.append(utf8("[" + i + ".000000,\"o\",\"x\"]\n"));
        }
        recording.checkpoint(Fixtures.SIGNER);
        assertThat(RecordingVerifier.verify(storage, "r", Fixtures.SIGNER.publicKey(), REQUIRED)
                        .status())
                .isEqualTo(Status.INCOMPLETE);

        byte[] third = storage.object(InMemoryRecordingStorage.chunkKey("r", 3));
        third[third.length - 3] ^= 1;
        storage.overwrite(InMemoryRecordingStorage.chunkKey("r", 3), third);
        assertThat(RecordingVerifier.verify(storage, "r", Fixtures.SIGNER.publicKey(), REQUIRED)
                        .problem())
                .isEqualTo("chunk 3 differs from the one the latest checkpoint signed");

        storage.remove(InMemoryRecordingStorage.chunkKey("r", 3));
        assertThat(RecordingVerifier.verify(storage, "r", Fixtures.SIGNER.publicKey(), REQUIRED)
                        .problem())
                .isEqualTo("the latest checkpoint covers 3 chunks, 2 are stored (the end was cut off)");
    }

    @Test
    void aManifestSignedByAnotherBastionsKeyOrAHeaderOfAnotherSessionIsTampering() throws Exception {
        FileSystemRecordingStorage storage = storage();
        RecordingSigner otherBastion = RecordingSigner.generate();
        Recordings other = new Recordings(storage, otherBastion, WriterOptions.defaults(), RecordingClock.system());
        SessionRecording recording = other.start(
                other.newMetadata()
                        .attribute("session", "s-1")
                        .attribute("user", "alice")
                        .build(),
                RecordingFailureListener.none());
        recording.terminal().output("hello".getBytes(StandardCharsets.UTF_8));
        recording.close();

        assertThat(RecordingVerifier.verify(storage, recording.id(), otherBastion.publicKey())
                        .status())
                .isEqualTo(Status.VALID);
        assertThat(RecordingVerifier.verify(storage, recording.id(), Fixtures.SIGNER.publicKey())
                        .problem())
                .isEqualTo("the manifest is signed by another key than the one this recording must be signed with");

        Verification wrongSession = RecordingVerifier.verify(
                storage,
                recording.id(),
                otherBastion.publicKey(),
                new Expected(true, true, Map.of("session", "s-2", "user", "alice")));
        assertThat(wrongSession.status()).isEqualTo(Status.TAMPERED);
        assertThat(wrongSession.problem())
                .isEqualTo("the recording's header names session 's-1', not 's-2': it is not this session's recording");
    }
}
