package dev.portcullis.recording;

import dev.portcullis.recording.format.ChunkCodec;
import dev.portcullis.recording.format.ChunkRecords;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * Appends chunks to one recording, keeping the hash chain, and closes it with a signed manifest.
 * Synchronous and not buffered: the asynchronous, periodically flushing recorders sit in front of it.
 * An I/O failure is thrown to the caller, who must then cut the session (fail closed).
 */
public final class ChunkedRecording {

    private final RecordingStorage storage;
    private final String id;
    private final String headerHash;
    private final List<RecordingManifest.Chunk> chunks = new ArrayList<>();
    private final Clock clock;
    private String lastHash;
    private long payloadBytes;
    /** The last chunk did not compress: the next is probed before it is compressed whole (ChunkCodec.build). */
    private boolean lastStoredAsIs;

    private boolean closed;
    /** Chunks the latest stored checkpoint covers; -1 before the first. */
    private long checkpointed = -1;

    private ChunkedRecording(RecordingStorage storage, String id, String headerHash, Clock clock) {
        this.storage = storage;
        this.id = id;
        this.headerHash = headerHash;
        this.lastHash = headerHash;
        this.clock = clock;
    }

    /** Creates the recording with its header (a JSON object describing the session). */
    public static ChunkedRecording create(RecordingStorage storage, String id, String headerJson, Clock clock)
            throws IOException {
        byte[] header = headerJson.getBytes(StandardCharsets.UTF_8);
        storage.create(id, header);
        return new ChunkedRecording(storage, id, ChunkChain.sha256(header), clock);
    }

    public String id() {
        return id;
    }

    public void append(byte[] payload) throws IOException {
        append(payload, payload.length);
    }

    /** Appends the first {@code length} bytes of {@code payload} as the next chunk. */
    public synchronized void append(byte[] payload, int length) throws IOException {
        if (closed) {
            throw new IllegalStateException("recording " + id + " is closed");
        }
        long index = chunks.size() + 1L;
        byte[] chunk = ChunkChain.encode(id, index, lastHash, payload, length);
        storage.putChunk(id, index, chunk);
        lastHash = ChunkChain.sha256(chunk);
        payloadBytes += length;
        chunks.add(new RecordingManifest.Chunk(index, lastHash, chunk.length));
    }

    /**
     * Appends the records in {@code raw[0, length)} (format 3, see {@link ChunkRecords}) as the next chunk, compressed
     * when that pays, with their time span in its header line and in the manifest.
     */
    public synchronized void appendRecords(byte[] raw, int length, long firstMicros, long lastMicros)
            throws IOException {
        if (closed) {
            throw new IllegalStateException("recording " + id + " is closed");
        }
        long index = chunks.size() + 1L;
        try (ChunkCodec.Built chunk =
                ChunkChain.encodeRecords(id, index, lastHash, raw, length, firstMicros, lastMicros, lastStoredAsIs)) {
            storage.putChunk(id, index, chunk.bytes(), chunk.length());
            lastHash = ChunkChain.sha256(chunk.bytes(), chunk.length());
            lastStoredAsIs = chunk.codec().equals(ChunkCodec.NONE);
            payloadBytes += length;
            chunks.add(new RecordingManifest.Chunk(index, lastHash, chunk.length(), firstMicros, lastMicros));
        }
    }

    /**
     * Signs and stores a checkpoint of the chain so far (see {@link RecordingCheckpoint}), unless the latest one
     * covers every chunk already.
     *
     * @return whether a checkpoint was written
     */
    public synchronized boolean checkpoint(RecordingSigner signer) throws IOException {
        if (closed) {
            throw new IllegalStateException("recording " + id + " is closed");
        }
        long covered = chunks.size();
        if (covered == checkpointed) {
            return false;
        }
        RecordingCheckpoint checkpoint =
                RecordingCheckpoint.of(id, covered, lastHash, headerHash, clock.instant(), signer.publicKey());
        storage.putCheckpoint(id, covered, checkpoint.sign(signer));
        checkpointed = covered;
        return true;
    }

    /** Writes the signed manifest; nothing can be appended afterwards. */
    public synchronized RecordingManifest close(RecordingSigner signer) throws IOException {
        if (closed) {
            throw new IllegalStateException("recording " + id + " is closed already");
        }
        RecordingManifest manifest = new RecordingManifest(
                1,
                id,
                headerHash,
                List.copyOf(chunks),
                lastHash,
                payloadBytes,
                clock.instant(),
                ChunkChain.sha256(signer.publicKey().getEncoded()));
        byte[] json = manifest.toJson();
        storage.putManifest(id, json, signer.sign(json));
        closed = true;
        return manifest;
    }
}
