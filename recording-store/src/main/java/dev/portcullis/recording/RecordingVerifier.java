package dev.portcullis.recording;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.security.PublicKey;
import java.util.List;
import java.util.Optional;

/**
 * Checks a stored recording against its hash chain and signed manifest. Finds any flipped byte, truncated,
 * missing, reordered or appended chunk, an edited manifest or one signed by another key. A recording
 * without a manifest (still open, or its bastion crashed) is INCOMPLETE when every chunk it has still links.
 */
public final class RecordingVerifier {

    public enum Status { VALID, INCOMPLETE, TAMPERED }

    /**
     * @param intactChunks chunks from the start that link correctly
     * @param problem      what is wrong, or null when VALID
     */
    public record Verification(Status status, long intactChunks, String problem) {
        static Verification valid(long chunks) {
            return new Verification(Status.VALID, chunks, null);
        }

        static Verification tampered(long intact, String problem) {
            return new Verification(Status.TAMPERED, intact, problem);
        }
    }

    private RecordingVerifier() {
    }

    public static Verification verify(RecordingStorage storage, String id, PublicKey trusted) throws IOException {
        byte[] header;
        try {
            header = storage.header(id);
        } catch (NoSuchFileException e) {
            return Verification.tampered(0, "recording " + id + " has no header");
        }
        String previous = ChunkChain.sha256(header);
        List<Long> indexes = storage.chunkIndexes(id);
        long intact = 0;
        for (long expected = 1; expected <= indexes.size(); expected++) {
            if (indexes.get((int) expected - 1) != expected) {
                return Verification.tampered(intact, "chunk " + expected + " is missing");
            }
            byte[] chunk = storage.chunk(id, expected);
            ChunkChain.Link link = ChunkChain.link(chunk);
            if (link == null) {
                return Verification.tampered(intact, "chunk " + expected + " is not a chunk (truncated or overwritten)");
            }
            if (!id.equals(link.recording()) || link.index() != expected) {
                return Verification.tampered(intact, "chunk " + expected + " is chunk " + link.index() + " of " + link.recording() + " (moved)");
            }
            if (!previous.equals(link.prev())) {
                return Verification.tampered(intact, "chunk " + expected + " does not follow chunk " + (expected - 1)
                        + " (a byte changed in " + (expected == 1 ? "the header" : "chunk " + (expected - 1)) + ", or chunks were reordered)");
            }
            previous = ChunkChain.sha256(chunk);
            intact = expected;
        }
        Optional<RecordingStorage.SignedManifest> signed = storage.manifest(id);
        if (signed.isEmpty()) {
            return new Verification(Status.INCOMPLETE, intact, "no manifest: the recording was not closed (still open, or its bastion stopped); "
                    + intact + " chunks link correctly");
        }
        if (!RecordingSigner.verify(trusted, signed.get().manifest(), signed.get().signature())) {
            return Verification.tampered(intact, "the manifest's signature does not verify (the manifest was edited, or another key signed it)");
        }
        RecordingManifest manifest;
        try {
            manifest = RecordingManifest.parse(signed.get().manifest());
        } catch (IOException e) {
            return Verification.tampered(intact, "the manifest cannot be read");
        }
        if (!id.equals(manifest.recording()) || !ChunkChain.sha256(header).equals(manifest.headerSha256())) {
            return Verification.tampered(intact, "the manifest belongs to another recording or header");
        }
        if (indexes.size() > manifest.chunks().size()) {
            return Verification.tampered(manifest.chunks().size(), (indexes.size() - manifest.chunks().size()) + " chunks were added after the manifest");
        }
        if (indexes.size() < manifest.chunks().size()) {
            return Verification.tampered(intact, "the manifest lists " + manifest.chunks().size() + " chunks, " + indexes.size() + " are stored (the end was cut off)");
        }
        if (!previous.equals(manifest.finalSha256())) {
            return Verification.tampered(intact, "the last chunk differs from the one the manifest signed (changed or truncated)");
        }
        return Verification.valid(intact);
    }
}
