package dev.portcullis.recording;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.recording.RecordingVerifier.Expected;
import dev.portcullis.recording.RecordingVerifier.Status;
import dev.portcullis.recording.event.TerminalEvent;
import dev.portcullis.recording.format.ChunkCodec;
import dev.portcullis.recording.read.RecordingReader;
import java.io.ByteArrayOutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Format 3 on disk: chunks compressed when that pays and stored as they are when not, the chain over the stored
 * bytes (a flipped, cut or swapped compressed chunk is TAMPERED), seeking by the chunks' time spans, and verified
 * ranged reads that check each chunk they read against the signed manifest instead of hashing everything first.
 */
class CompressedRecordingTest {

    private static final int SECONDS = 60;

    @TempDir
    Path root;

    private FileSystemRecordingStorage storage;
    private String id;
    private final ByteArrayOutputStream sent = new ByteArrayOutputStream();

    /** A minute of output, one burst a second: text that compresses, then random bytes that do not. */
    @BeforeEach
    void recordAMinute() throws Exception {
        storage = new FileSystemRecordingStorage(root);
        ManualClock clock = new ManualClock();
        Recordings recordings =
                Fixtures.recordings(storage, WriterOptions.defaults().withMaxChunkBytes(16 * 1024), clock);
        SessionRecording recording = recordings.start(Fixtures.metadata(recordings), RecordingFailureListener.none());
        Random random = new Random(3);
        for (int second = 0; second < SECONDS; second++) {
            byte[] text = ("second " + second + ": drwxr-xr-x 2 root root 4096 Dec  7 14:43 /usr/lib\r\n")
                    .repeat(300)
                    .getBytes(StandardCharsets.UTF_8);
            byte[] noise = new byte[20_000];
            random.nextBytes(noise);
            recording.terminal().output(text);
            recording.terminal().output(noise);
            sent.writeBytes(text);
            sent.writeBytes(noise);
            clock.advance(Duration.ofSeconds(1));
        }
        recording.close("done", 0);
        id = recording.id();
        assertThat(RecordingVerifier.verify(storage, id, Fixtures.SIGNER.publicKey())
                        .status())
                .isEqualTo(Status.VALID);
    }

    @Test
    void chunksAreCompressedWhenThatPaysAndTheBytesComeBackExactly() throws Exception {
        List<String> codecs = new ArrayList<>();
        long stored = 0;
        for (long index : storage.chunkIndexes(id)) {
            byte[] chunk = storage.chunk(id, index);
            codecs.add(ChunkChain.link(chunk).codec());
            stored += chunk.length;
        }
        assertThat(codecs).contains(ChunkCodec.ZSTD, ChunkCodec.NONE);
        assertThat(stored).as("the text compresses").isLessThan(sent.size() * 3L / 4);

        RecordingReader reader = RecordingReader.open(storage, id);
        ByteArrayOutputStream exported = new ByteArrayOutputStream();
        reader.exportBytes(exported, TerminalEvent.Type.OUTPUT);
        assertThat(exported.toByteArray()).isEqualTo(sent.toByteArray());
        assertThat(reader.textFaithful()).isFalse();
    }

    @Test
    void aStreamThatStopsCompressingIsCompressedAgainOnceItDoes() throws Exception {
        // chunks large enough that one after an incompressible chunk is probed first (ChunkCodec.PROBE_BYTES)
        Recordings recordings =
                Fixtures.recordings(storage, WriterOptions.defaults().withMaxChunkBytes(256 * 1024), new ManualClock());
        SessionRecording recording = recordings.start(Fixtures.metadata(recordings), RecordingFailureListener.none());
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        byte[] noise = new byte[1024 * 1024];
        new Random(5).nextBytes(noise);
        byte[] text = "drwxr-xr-x 2 root root 4096 Dec  7 14:43 /usr/lib\r\n"
                .repeat(20_000)
                .getBytes(StandardCharsets.UTF_8);
        for (byte[] piece : List.of(noise, text, noise)) {
            recording.terminal().output(piece);
            bytes.writeBytes(piece);
        }
        recording.close("done", 0);

        List<String> codecs = new ArrayList<>();
        for (long index : storage.chunkIndexes(recording.id())) {
            codecs.add(ChunkChain.link(storage.chunk(recording.id(), index)).codec());
        }
        assertThat(String.join(",", codecs)).matches("(none,)+(zstd,)+(none,?)+");
        ByteArrayOutputStream exported = new ByteArrayOutputStream();
        RecordingReader.open(storage, recording.id()).exportBytes(exported, TerminalEvent.Type.OUTPUT);
        assertThat(exported.toByteArray()).isEqualTo(bytes.toByteArray());
        assertThat(RecordingVerifier.verify(storage, recording.id(), Fixtures.SIGNER.publicKey())
                        .status())
                .isEqualTo(Status.VALID);
    }

    @Test
    void aSeekStartsAtTheChunkThatHoldsTheTime() throws Exception {
        RecordingReader reader =
                RecordingReader.openVerified(storage, id, Fixtures.SIGNER.publicKey(), Expected.NOTHING);
        assertThat(reader.terminalEventsFrom(30.0).findFirst().orElseThrow().time())
                .isEqualTo(30.0);
        assertThat(reader.terminalEventsBetween(10.0, 12.0)
                        .map(TerminalEvent::time)
                        .distinct()
                        .toList())
                .containsExactly(10.0, 11.0);
        assertThat(reader.duration()).isEqualTo(SECONDS);
        assertThat(RecordingReader.open(storage, id)
                        .terminalEventsFrom(45.5)
                        .findFirst()
                        .orElseThrow()
                        .time())
                .as("without a manifest to hand, by the chunks' headers")
                .isEqualTo(46.0);
    }

    @Test
    void aVerifiedRangedReadChecksOnlyTheChunksItReadsAndRefusesAChangedOne() throws Exception {
        RecordingReader reader =
                RecordingReader.openVerified(storage, id, Fixtures.SIGNER.publicKey(), Expected.NOTHING);
        long last = storage.chunkIndexes(id).size();
        flipStoredByte(last - 1);

        assertThat(reader.terminalEventsFrom(0).findFirst())
                .as("the start is still readable")
                .isPresent();
        assertThatThrownBy(() -> reader.terminalEventsFrom(SECONDS - 1.0).toList())
                .isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining("changed after it was verified");
        assertThat(RecordingVerifier.verify(storage, id, Fixtures.SIGNER.publicKey())
                        .status())
                .isEqualTo(Status.TAMPERED);
    }

    @Test
    void aFlippedByteInACompressedChunkIsTampered() throws Exception {
        flipStoredByte(firstChunk(ChunkCodec.ZSTD));
        assertThat(RecordingVerifier.verify(storage, id, Fixtures.SIGNER.publicKey())
                        .status())
                .isEqualTo(Status.TAMPERED);
    }

    @Test
    void aTruncatedCompressedChunkIsTampered() throws Exception {
        long index = firstChunk(ChunkCodec.ZSTD);
        Path file = Fixtures.chunkFile(root.resolve(id), index);
        byte[] bytes = Files.readAllBytes(file);
        rewrite(file, java.util.Arrays.copyOf(bytes, bytes.length - 100));
        assertThat(RecordingVerifier.verify(storage, id, Fixtures.SIGNER.publicKey())
                        .status())
                .isEqualTo(Status.TAMPERED);
    }

    @Test
    void twoSwappedChunksAreTampered() throws Exception {
        Path first = Fixtures.chunkFile(root.resolve(id), 2);
        Path second = Fixtures.chunkFile(root.resolve(id), 3);
        byte[] a = Files.readAllBytes(first);
        byte[] b = Files.readAllBytes(second);
        rewrite(first, b);
        rewrite(second, a);
        RecordingVerifier.Verification v = RecordingVerifier.verify(storage, id, Fixtures.SIGNER.publicKey());
        assertThat(v.status()).isEqualTo(Status.TAMPERED);
        assertThat(v.intactChunks()).isEqualTo(1);
    }

    @Test
    void theExportToolWritesTheExactBytesAndStopsAtAChangedChunk() throws Exception {
        Path key = root.resolve("bastion.der");
        Files.write(key, Fixtures.SIGNER.publicKey().getEncoded());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        String[] args = {root.toString(), id, key.toString(), "output"};
        assertThat(dev.portcullis.recording.cli.ExportCommand.run(args, out, new java.io.PrintStream(err)))
                .isZero();
        assertThat(out.toByteArray()).isEqualTo(sent.toByteArray());

        flipStoredByte(3);
        out.reset();
        assertThat(dev.portcullis.recording.cli.ExportCommand.run(args, out, new java.io.PrintStream(err)))
                .isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("changed after it was verified");
        assertThat(out.size()).as("nothing past the changed chunk").isLessThan(sent.size() / 2);
    }

    @Test
    void chunksWhoseTimesRunBackwardsAreTamperedEvenWhenSigned() throws Exception {
        // a seek trusts the chunks' times to run forwards: a recording whose times do not is refused, whoever signed it
        FileSystemRecordingStorage store = new FileSystemRecordingStorage(Files.createDirectories(root.resolve("b")));
        ChunkedRecording chunks = ChunkedRecording.create(
                store,
                "backwards",
                dev.portcullis.recording.format.RecordingHeader.encode(
                        RecordingMetadata.builder("backwards", java.time.Instant.now())
                                .build()),
                java.time.Clock.systemUTC());
        PendingChunk records = new PendingChunk(Duration.ofSeconds(1), 1024);
        records.add(dev.portcullis.recording.format.ChunkRecords.Kind.OUTPUT, 5_000_000, Fixtures.utf8("later"), 0);
        chunks.appendRecords(records.body(), records.size(), 5_000_000, 5_000_000);
        records.clear();
        records.add(dev.portcullis.recording.format.ChunkRecords.Kind.OUTPUT, 1_000_000, Fixtures.utf8("earlier"), 0);
        chunks.appendRecords(records.body(), records.size(), 1_000_000, 1_000_000);
        chunks.close(Fixtures.SIGNER);

        RecordingVerifier.Verification v = RecordingVerifier.verify(store, "backwards", Fixtures.SIGNER.publicKey());
        assertThat(v.status()).isEqualTo(Status.TAMPERED);
        assertThat(v.problem()).contains("times run backwards");
    }

    private long firstChunk(String codec) throws Exception {
        for (long index : storage.chunkIndexes(id)) {
            if (codec.equals(ChunkChain.link(storage.chunk(id, index)).codec())) {
                return index;
            }
        }
        throw new AssertionError("no chunk stored as " + codec);
    }

    /** Flips a byte in the stored (compressed) payload of a chunk, past its header line. */
    private void flipStoredByte(long index) throws Exception {
        Path file = Fixtures.chunkFile(root.resolve(id), index);
        byte[] bytes = Files.readAllBytes(file);
        int at = ChunkChain.link(bytes).payloadOffset() + 10;
        bytes[at] ^= 0x10;
        rewrite(file, bytes);
    }

    private static void rewrite(Path file, byte[] bytes) throws Exception {
        Files.delete(file); // the store wrote it read-only and once
        Files.write(file, bytes);
    }
}
