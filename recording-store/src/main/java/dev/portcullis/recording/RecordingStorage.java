package dev.portcullis.recording;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * Where recordings are kept: write-once objects per recording (a header, numbered chunks, signed checkpoints, a
 * manifest and its signature), never changed through this port, and never deleted but for the payload chunks of an
 * expired recording ({@link #deleteChunks}). Reads hand out only objects the store
 * itself holds: an implementation refuses to follow a link out of the store ({@link UnsafeRecordingObjectException}).
 * Object-per-chunk, so an S3-compatible store can implement it as well as the filesystem.
 */
public interface RecordingStorage {

    /** Creates a recording with its header; fails if a recording with this id exists. */
    void create(String recordingId, byte[] header) throws IOException;

    /** Stores chunk {@code index}; fails if that chunk exists already (write-once). */
    void putChunk(String recordingId, long index, byte[] chunk) throws IOException;

    /**
     * Stores {@code chunk[0, length)} as chunk {@code index}. The array is the caller's again once this returns (the
     * recorder reuses it for its next chunk): a store that keeps it must keep a copy, as this default does.
     */
    default void putChunk(String recordingId, long index, byte[] chunk, int length) throws IOException {
        putChunk(recordingId, index, java.util.Arrays.copyOf(chunk, length));
    }

    /**
     * Stores the signed checkpoint of an open recording that covers its first {@code chunks} chunks (0: only the
     * header); fails if one exists for that many chunks.
     */
    void putCheckpoint(String recordingId, long chunks, byte[] checkpoint) throws IOException;

    /** Stores the signed manifest that closes a recording; fails if one exists. */
    void putManifest(String recordingId, byte[] manifest, byte[] signature) throws IOException;

    byte[] header(String recordingId) throws IOException;

    /** Indexes of the stored chunks, ascending. */
    List<Long> chunkIndexes(String recordingId) throws IOException;

    byte[] chunk(String recordingId, long index) throws IOException;

    /** How many chunks each stored checkpoint covers, ascending. */
    List<Long> checkpointIndexes(String recordingId) throws IOException;

    byte[] checkpoint(String recordingId, long chunks) throws IOException;

    /** The manifest and its signature, or empty while the recording is open (or after a crash). */
    Optional<SignedManifest> manifest(String recordingId) throws IOException;

    List<String> recordings() throws IOException;

    /**
     * Deletes the payload chunks of a recording whose retention has expired, keeping its header, checkpoints,
     * manifest and signature: the only deletion this port allows. Deleting chunks already gone does nothing.
     */
    void deleteChunks(String recordingId) throws IOException;

    record SignedManifest(byte[] manifest, byte[] signature) {}
}
