package dev.portcullis.bastion.health;

import dev.portcullis.recording.RecordingStorage;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/** Times every write to the recording store and counts those that fail; reads pass straight through. */
public record MeteredRecordingStorage(RecordingStorage storage, BastionMetrics metrics) implements RecordingStorage {

    private interface Write {
        void run() throws IOException;
    }

    private void timed(String what, Write write) throws IOException {
        long start = System.nanoTime();
        boolean ok = false;
        try {
            write.run();
            ok = true;
        } finally {
            metrics.recordingWrite(what, System.nanoTime() - start, ok);
        }
    }

    @Override
    public void create(String recordingId, byte[] header) throws IOException {
        timed("header", () -> storage.create(recordingId, header));
    }

    @Override
    public void putChunk(String recordingId, long index, byte[] chunk) throws IOException {
        timed("chunk", () -> storage.putChunk(recordingId, index, chunk));
    }

    @Override
    public void putChunk(String recordingId, long index, byte[] chunk, int length) throws IOException {
        timed("chunk", () -> storage.putChunk(recordingId, index, chunk, length));
    }

    @Override
    public void putCheckpoint(String recordingId, long chunks, byte[] checkpoint) throws IOException {
        timed("checkpoint", () -> storage.putCheckpoint(recordingId, chunks, checkpoint));
    }

    @Override
    public void putManifest(String recordingId, byte[] manifest, byte[] signature) throws IOException {
        timed("manifest", () -> storage.putManifest(recordingId, manifest, signature));
    }

    @Override
    public byte[] header(String recordingId) throws IOException {
        return storage.header(recordingId);
    }

    @Override
    public byte[] chunk(String recordingId, long index) throws IOException {
        return storage.chunk(recordingId, index);
    }

    @Override
    public byte[] checkpoint(String recordingId, long chunks) throws IOException {
        return storage.checkpoint(recordingId, chunks);
    }

    @Override
    public Optional<SignedManifest> manifest(String recordingId) throws IOException {
        return storage.manifest(recordingId);
    }

    @Override
    public List<Long> chunkIndexes(String recordingId) throws IOException {
        return storage.chunkIndexes(recordingId);
    }

    @Override
    public List<Long> checkpointIndexes(String recordingId) throws IOException {
        return storage.checkpointIndexes(recordingId);
    }

    @Override
    public List<String> recordings() throws IOException {
        return storage.recordings();
    }

    /** Not a write: a bastion never deletes (only the broker's retention job does), so nothing is counted. */
    @Override
    public void deleteChunks(String recordingId) throws IOException {
        storage.deleteChunks(recordingId);
    }
}
