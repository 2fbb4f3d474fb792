package dev.portcullis.recording.format;

import dev.portcullis.recording.RecordingId;

import java.util.ArrayList;
import java.util.List;

/**
 * The hash chain of one recording as it grows: where the next chunk goes and what it must point
 * back to. The writer uses it to seal chunks; the verifier uses it to check them in the same way.
 */
public final class ChunkChain {

    private final RecordingId recording;
    private final String headerSha256;
    private final List<String> chunkSha256 = new ArrayList<>();

    public ChunkChain(RecordingId recording, byte[] header) {
        this.recording = recording;
        this.headerSha256 = Sha256.hex(header);
    }

    /** Seals a body as the next chunk and links it into the chain. */
    public Chunk seal(byte[] body, int lines, long fromMicros, long toMicros) {
        Chunk chunk = Chunk.encode(
                new ChunkHeader(recording, nextIndex(), previousSha256(), lines, body.length, fromMicros, toMicros), body);
        chunkSha256.add(chunk.sha256());
        return chunk;
    }

    /**
     * Links an existing chunk if it is the one the chain expects next.
     *
     * @return null when linked, otherwise why the chunk does not belong here
     */
    public String link(Chunk chunk) {
        ChunkHeader header = chunk.header();
        if (!header.recording().equals(recording)) {
            return "belongs to recording " + header.recording();
        }
        if (header.index() != nextIndex()) {
            return "holds chunk " + header.index() + " where chunk " + nextIndex() + " belongs (renamed or reordered)";
        }
        if (!header.previousSha256().equals(previousSha256())) {
            return "does not chain to " + (nextIndex() == 0 ? "the recording header" : "chunk " + (nextIndex() - 1));
        }
        chunkSha256.add(chunk.sha256());
        return null;
    }

    public int nextIndex() {
        return chunkSha256.size();
    }

    public String headerSha256() {
        return headerSha256;
    }

    /** The hash the next chunk must carry; after the last chunk, the recording's final hash. */
    public String previousSha256() {
        return chunkSha256.isEmpty() ? headerSha256 : chunkSha256.get(chunkSha256.size() - 1);
    }

    public List<String> chunkSha256() {
        return List.copyOf(chunkSha256);
    }
}
