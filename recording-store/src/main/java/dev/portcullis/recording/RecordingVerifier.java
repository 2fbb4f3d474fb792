package dev.portcullis.recording;

import com.fasterxml.jackson.databind.JsonNode;
import dev.portcullis.recording.format.MalformedRecordingException;
import dev.portcullis.recording.format.RecordingHeader;
import dev.portcullis.recording.format.RecordingJson;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.security.PublicKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Checks a stored recording against its hash chain, its signed checkpoints and its signed manifest. Finds any flipped
 * byte, truncated, missing, reordered or appended chunk, an edited manifest or one signed by another key, and a link
 * or special file where a recording object should be.
 *
 * <p>A recording without a manifest (still open, or its bastion stopped) is INCOMPLETE only when every chunk it has
 * links and, for recordings that carry checkpoints (format 2, or whenever the caller says they must), its latest
 * checkpoint is signed by the key and matches the chain: so whoever can write the store but lacks the key can forge
 * at most what came after that checkpoint. Without a valid checkpoint it is TAMPERED, and so is a recording whose
 * session is known to have ended but that has no manifest (a deleted manifest does not make a recording unfinished).
 * Format-1 recordings, written before checkpoints existed, verify as they always did unless the caller requires more.
 *
 * <p>A recording whose payload chunks were deleted when its retention expired is DELETED_BY_POLICY, never VALID, and
 * only when the caller holds a record of that deletion from outside the store ({@link Deletion}: the broker's signed
 * tombstone in its audit chain) and what is left still proves itself: the header, and the signed manifest the deletion
 * names (or, for a recording never closed, its latest signed checkpoint); any chunk still stored must be the one the
 * manifest signed. Without such a record, missing chunks are TAMPERED as before.
 */
public final class RecordingVerifier {

    /** DELETED_BY_POLICY: the payload chunks were deleted at the end of the recording's retention, as recorded. */
    public enum Status {
        VALID,
        INCOMPLETE,
        TAMPERED,
        DELETED_BY_POLICY
    }

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

    /**
     * What else the caller knows about the recording, from outside the store.
     *
     * @param requireCheckpoints without a manifest, only a valid signed checkpoint makes the recording INCOMPLETE
     *                           rather than TAMPERED (set for every session registered with its bastion's key)
     * @param ended              the session is over, so a missing manifest means it was removed
     * @param attributes         header attributes that must have exactly these values (session, user, target...)
     */
    public record Expected(
            boolean requireCheckpoints, boolean ended, Map<String, String> attributes, Deletion deletion) {
        public static final Expected NOTHING = new Expected(false, false, Map.of());

        public Expected {
            attributes = Map.copyOf(attributes);
        }

        /** Nothing deleted (as far as the caller knows). */
        public Expected(boolean requireCheckpoints, boolean ended, Map<String, String> attributes) {
            this(requireCheckpoints, ended, attributes, null);
        }
    }

    /**
     * The caller's record, from outside the store, that the recording's payload chunks were deleted by policy.
     *
     * @param at             when
     * @param rule           the policy rule whose retention expired
     * @param retention      that retention, as the policy writes it ({@code 90d})
     * @param manifestSha256 SHA-256 of the manifest the recording had when it was deleted, or null when it had none
     */
    public record Deletion(Instant at, String rule, String retention, String manifestSha256) {
        public Deletion {
            Objects.requireNonNull(at, "at");
            Objects.requireNonNull(rule, "rule");
            Objects.requireNonNull(retention, "retention");
        }
    }

    /**
     * A verification with the SHA-256 of each chunk it vouches for (chunk 1 first), so a reader can check that the
     * bytes it exports are the bytes that were verified.
     */
    public record Checked(Verification verification, String headerSha256, List<String> chunkHashes) {
        public Checked {
            chunkHashes = List.copyOf(chunkHashes);
        }
    }

    private RecordingVerifier() {}

    public static Verification verify(RecordingStorage storage, String id, PublicKey trusted) throws IOException {
        return check(storage, id, trusted, Expected.NOTHING).verification();
    }

    public static Verification verify(RecordingStorage storage, String id, PublicKey trusted, Expected expected)
            throws IOException {
        return check(storage, id, trusted, expected).verification();
    }

    /** Verifies, and says which chunk bytes the verdict covers (none when TAMPERED). */
    public static Checked check(RecordingStorage storage, String id, PublicKey trusted, Expected expected)
            throws IOException {
        Objects.requireNonNull(expected, "expected");
        List<String> hashes = new ArrayList<>();
        Verification v;
        try {
            v = expected.deletion() != null
                    ? deleted(storage, id, trusted, expected)
                    : verify(storage, id, trusted, expected, hashes);
        } catch (UnsafeRecordingObjectException | MalformedRecordingException e) {
            v = Verification.tampered(Math.max(0, hashes.size() - 1), e.getMessage());
        }
        // a deleted recording has no payload to vouch for: a reader gets nothing from it
        boolean vouched = v.status() == Status.VALID || v.status() == Status.INCOMPLETE;
        return new Checked(v, vouched ? hashes.remove(0) : null, vouched ? hashes : List.of());
    }

    private static Verification verify(
            RecordingStorage storage, String id, PublicKey trusted, Expected expected, List<String> hashes)
            throws IOException {
        byte[] header;
        try {
            header = storage.header(id);
        } catch (NoSuchFileException e) {
            return Verification.tampered(0, "recording " + id + " has no header");
        }
        String headerHash = ChunkChain.sha256(header);
        hashes.add(headerHash); // taken off again by check(): the header first, then each chunk
        String mismatch = attributeMismatch(header, expected.attributes());
        if (mismatch != null) {
            return Verification.tampered(0, mismatch);
        }
        String previous = headerHash;
        boolean framed = RecordingHeader.framesRecords(header);
        long previousLast = 0;
        Verification framedProblem = null;
        List<Long> indexes = storage.chunkIndexes(id);
        long intact = 0;
        for (long expectedIndex = 1; expectedIndex <= indexes.size(); expectedIndex++) {
            if (indexes.get((int) expectedIndex - 1) != expectedIndex) {
                return Verification.tampered(intact, "chunk " + expectedIndex + " is missing");
            }
            byte[] chunk = storage.chunk(id, expectedIndex);
            ChunkChain.Link link = ChunkChain.link(chunk);
            if (link == null) {
                return Verification.tampered(
                        intact, "chunk " + expectedIndex + " is not a chunk (truncated or overwritten)");
            }
            if (!id.equals(link.recording()) || link.index() != expectedIndex) {
                return Verification.tampered(
                        intact,
                        "chunk " + expectedIndex + " is chunk " + link.index() + " of " + link.recording()
                                + " (moved)");
            }
            if (!previous.equals(link.prev())) {
                String before = expectedIndex == 1 ? "the header" : "chunk " + (expectedIndex - 1);
                return Verification.tampered(
                        intact,
                        "chunk " + expectedIndex + " does not follow chunk " + (expectedIndex - 1)
                                + " (a byte changed in " + before + ", or chunks were reordered)");
            }
            if (framed
                    && framedProblem == null
                    && (link.codec() == null
                            || link.firstMicros() < previousLast
                            || link.lastMicros() < link.firstMicros())) {
                // a reader seeks by these times: they must run forwards. Judged after the chain, the checkpoints and
                // the manifest, whose findings say more about who wrote the chunk.
                framedProblem = Verification.tampered(
                        intact, "chunk " + expectedIndex + " has no codec or time span, or its times run backwards");
            }
            previousLast = framed ? link.lastMicros() : 0;
            previous = ChunkChain.sha256(chunk);
            hashes.add(previous);
            intact = expectedIndex;
        }
        Verification verdict =
                judgeLinkedChain(storage, id, trusted, expected, header, hashes, indexes, intact, previous);
        return framedProblem != null && verdict.status() != Status.TAMPERED ? framedProblem : verdict;
    }

    /** The verdict on a chain that links, from its manifest, or from its checkpoints when it has none. */
    private static Verification judgeLinkedChain(
            RecordingStorage storage,
            String id,
            PublicKey trusted,
            Expected expected,
            byte[] header,
            List<String> hashes,
            List<Long> indexes,
            long intact,
            String previous)
            throws IOException {
        String headerHash = hashes.get(0);
        Optional<RecordingStorage.SignedManifest> signed = storage.manifest(id);
        if (signed.isEmpty()) {
            return unclosed(storage, id, trusted, expected, header, hashes);
        }
        RecordingManifest manifest;
        try {
            manifest = RecordingManifest.parse(signed.get().manifest());
        } catch (IOException e) {
            return Verification.tampered(intact, "the manifest cannot be read");
        }
        if (manifest.signerKeySha256() != null
                && !manifest.signerKeySha256().equals(ChunkChain.sha256(trusted.getEncoded()))) {
            return Verification.tampered(
                    intact, "the manifest is signed by another key than the one this recording must be signed with");
        }
        if (!RecordingSigner.verify(
                trusted, signed.get().manifest(), signed.get().signature())) {
            return Verification.tampered(
                    intact,
                    "the manifest's signature does not verify (the manifest was edited, or another key signed it)");
        }
        if (!id.equals(manifest.recording()) || !headerHash.equals(manifest.headerSha256())) {
            return Verification.tampered(intact, "the manifest belongs to another recording or header");
        }
        if (indexes.size() > manifest.chunks().size()) {
            return Verification.tampered(
                    manifest.chunks().size(),
                    (indexes.size() - manifest.chunks().size()) + " chunks were added after the manifest");
        }
        if (indexes.size() < manifest.chunks().size()) {
            return Verification.tampered(
                    intact,
                    "the manifest lists " + manifest.chunks().size() + " chunks, " + indexes.size()
                            + " are stored (the end was cut off)");
        }
        if (!previous.equals(manifest.finalSha256())) {
            return Verification.tampered(
                    intact, "the last chunk differs from the one the manifest signed (changed or truncated)");
        }
        return Verification.valid(intact);
    }

    /**
     * A closed recording's signed manifest, checked without reading a chunk: for readers that read a part of a
     * recording and check each chunk they read against the hash the manifest signed (never a whole-recording walk).
     *
     * @param headerSha256 the header the manifest signed (the reader checks the header it reads against it)
     */
    public record SignedChunks(String headerSha256, RecordingManifest manifest) {}

    /**
     * Checks the manifest's signature with {@code trusted} and that it belongs to this recording, header, session
     * ({@code expected.attributes}) and stored chunks (their count; their bytes are for the reader to check).
     *
     * @return empty when the recording has no manifest (not closed: only a full {@link #check} can judge it)
     * @throws MalformedRecordingException when there is a manifest and it does not check out
     */
    public static Optional<SignedChunks> signedChunks(
            RecordingStorage storage, String id, PublicKey trusted, Expected expected) throws IOException {
        Optional<RecordingStorage.SignedManifest> signed = storage.manifest(id);
        if (signed.isEmpty()) {
            return Optional.empty();
        }
        byte[] header = storage.header(id);
        String headerHash = ChunkChain.sha256(header);
        String mismatch = attributeMismatch(header, expected.attributes());
        if (mismatch != null) {
            throw new MalformedRecordingException(mismatch);
        }
        RecordingManifest manifest;
        try {
            manifest = RecordingManifest.parse(signed.get().manifest());
        } catch (IOException e) {
            throw new MalformedRecordingException("the manifest of recording " + id + " cannot be read");
        }
        if (!ChunkChain.sha256(trusted.getEncoded()).equals(manifest.signerKeySha256())
                || !RecordingSigner.verify(
                        trusted, signed.get().manifest(), signed.get().signature())) {
            throw new MalformedRecordingException(
                    "the manifest of recording " + id + " is not signed by the key it must be signed with");
        }
        if (!id.equals(manifest.recording()) || !headerHash.equals(manifest.headerSha256())) {
            throw new MalformedRecordingException(
                    "the manifest of recording " + id + " belongs to another recording or header");
        }
        List<RecordingManifest.Chunk> chunks = manifest.chunks();
        for (int i = 0; i < chunks.size(); i++) {
            if (chunks.get(i).index() != i + 1) {
                throw new MalformedRecordingException("the manifest of recording " + id + " skips a chunk");
            }
        }
        String last =
                chunks.isEmpty() ? headerHash : chunks.get(chunks.size() - 1).sha256();
        if (!last.equals(manifest.finalSha256())) {
            throw new MalformedRecordingException("the manifest of recording " + id + " ends in another chunk");
        }
        int stored = storage.chunkIndexes(id).size();
        if (stored != chunks.size()) {
            throw new MalformedRecordingException(
                    "recording " + id + " stores " + stored + " chunks, its manifest lists " + chunks.size());
        }
        return Optional.of(new SignedChunks(headerHash, manifest));
    }

    /** A recording without a manifest: unfinished if its latest checkpoint proves the chain, else tampered. */
    private static Verification unclosed(
            RecordingStorage storage,
            String id,
            PublicKey trusted,
            Expected expected,
            byte[] header,
            List<String> hashes)
            throws IOException {
        long intact = hashes.size() - 1;
        if (expected.ended()) {
            return Verification.tampered(
                    intact,
                    "the session has ended but its recording has no manifest (removed, or never "
                            + "written): nothing proves the recording is whole");
        }
        List<Long> checkpoints = storage.checkpointIndexes(id);
        boolean required = expected.requireCheckpoints() || RecordingHeader.promisesCheckpoints(header);
        if (checkpoints.isEmpty()) {
            if (required) {
                return Verification.tampered(
                        intact,
                        "no manifest and no signed checkpoint: nothing proves that a bastion wrote this recording");
            }
            return new Verification(
                    Status.INCOMPLETE,
                    intact,
                    "no manifest: the recording was not closed (still open, or its bastion stopped); " + intact
                            + " chunks link correctly");
        }
        long covered = checkpoints.get(checkpoints.size() - 1);
        RecordingCheckpoint checkpoint;
        try {
            checkpoint = RecordingCheckpoint.verified(storage.checkpoint(id, covered), trusted);
        } catch (MalformedRecordingException e) {
            return Verification.tampered(
                    intact, "the latest checkpoint (" + covered + " chunks) is not valid: " + e.getMessage());
        }
        if (!id.equals(checkpoint.recording())
                || checkpoint.chunks() != covered
                || !ChunkChain.sha256(header).equals(checkpoint.headerSha256())) {
            return Verification.tampered(intact, "the latest checkpoint belongs to another recording, header or place");
        }
        if (covered > intact) {
            return Verification.tampered(
                    intact,
                    "the latest checkpoint covers " + covered + " chunks, " + intact
                            + " are stored (the end was cut off)");
        }
        String head = hashes.get((int) covered);
        if (!head.equals(checkpoint.headSha256())) {
            return Verification.tampered(
                    intact, "chunk " + covered + " differs from the one the latest checkpoint signed");
        }
        return new Verification(
                Status.INCOMPLETE,
                intact,
                "no manifest: the recording was not closed (still open, or its bastion stopped); "
                        + "a signed checkpoint of " + checkpoint.at() + " proves " + covered + " of its " + intact
                        + " chunks"
                        + (intact > covered ? ", the " + (intact - covered) + " after it are not proven yet" : ""));
    }

    /**
     * A recording the caller says was deleted by policy: what is left must still prove itself, and what is gone must be
     * exactly the payload (no other object is missing, no chunk left differs from the one that was signed).
     */
    private static Verification deleted(RecordingStorage storage, String id, PublicKey trusted, Expected expected)
            throws IOException {
        Deletion deletion = expected.deletion();
        byte[] header;
        try {
            header = storage.header(id);
        } catch (NoSuchFileException e) {
            return Verification.tampered(0, "recording " + id + " has no header (a deletion by policy keeps it)");
        }
        String headerHash = ChunkChain.sha256(header);
        String mismatch = attributeMismatch(header, expected.attributes());
        if (mismatch != null) {
            return Verification.tampered(0, mismatch);
        }
        Optional<RecordingStorage.SignedManifest> signed = storage.manifest(id);
        Map<Long, String> signedChunks = new HashMap<>();
        String proof;
        if (deletion.manifestSha256() != null) {
            if (signed.isEmpty()
                    || !deletion.manifestSha256()
                            .equals(ChunkChain.sha256(signed.get().manifest()))) {
                return Verification.tampered(
                        0,
                        "the manifest recorded when the payload was deleted by policy is "
                                + (signed.isEmpty() ? "gone" : "not the one stored now"));
            }
            RecordingManifest manifest;
            try {
                manifest = RecordingManifest.parse(signed.get().manifest());
            } catch (IOException e) {
                return Verification.tampered(0, "the manifest cannot be read");
            }
            if (!ChunkChain.sha256(trusted.getEncoded()).equals(manifest.signerKeySha256())
                    || !RecordingSigner.verify(
                            trusted, signed.get().manifest(), signed.get().signature())) {
                return Verification.tampered(0, "the manifest is not signed by the key it must be signed with");
            }
            if (!id.equals(manifest.recording()) || !headerHash.equals(manifest.headerSha256())) {
                return Verification.tampered(0, "the manifest belongs to another recording or header");
            }
            manifest.chunks().forEach(c -> signedChunks.put(c.index(), c.sha256()));
            proof = "the header and the signed manifest of its "
                    + manifest.chunks().size() + " chunks (closed at " + manifest.closedAt() + ") remain and verify";
        } else {
            if (signed.isPresent()) {
                return Verification.tampered(0, "a manifest appeared after the payload was deleted by policy");
            }
            List<Long> checkpoints = storage.checkpointIndexes(id);
            if (checkpoints.isEmpty()) {
                return Verification.tampered(
                        0,
                        "no manifest and no signed checkpoint remain: nothing proves that a "
                                + "bastion wrote this recording");
            }
            long covered = checkpoints.get(checkpoints.size() - 1);
            RecordingCheckpoint checkpoint;
            try {
                checkpoint = RecordingCheckpoint.verified(storage.checkpoint(id, covered), trusted);
            } catch (MalformedRecordingException e) {
                return Verification.tampered(0, "the latest checkpoint is not valid: " + e.getMessage());
            }
            if (!id.equals(checkpoint.recording())
                    || checkpoint.chunks() != covered
                    || !headerHash.equals(checkpoint.headerSha256())) {
                return Verification.tampered(0, "the latest checkpoint belongs to another recording, header or place");
            }
            proof = "the recording was never closed; the header and its latest signed checkpoint (" + covered
                    + " chunks, at " + checkpoint.at() + ") remain and verify";
        }
        List<Long> left = storage.chunkIndexes(id);
        for (long index : left) {
            String want = signedChunks.get(index);
            if (deletion.manifestSha256() != null
                    && (want == null || !want.equals(ChunkChain.sha256(storage.chunk(id, index))))) {
                return Verification.tampered(
                        0,
                        "chunk " + index + " is stored after the payload was deleted by "
                                + "policy and is not the chunk the manifest signed");
            }
        }
        return new Verification(
                Status.DELETED_BY_POLICY,
                0,
                "the payload was deleted by policy at " + deletion.at()
                        + " (rule '" + deletion.rule() + "', retention " + deletion.retention() + "); " + proof
                        + (left.isEmpty() ? "" : "; " + left.size() + " chunks are still waiting to be deleted"));
    }

    /** Why the header does not name what it must, or null when it does. */
    private static String attributeMismatch(byte[] header, Map<String, String> expected) {
        if (expected.isEmpty()) {
            return null;
        }
        JsonNode attributes;
        try {
            attributes = RecordingJson.parse(header, "recording header").path("attributes");
        } catch (MalformedRecordingException e) {
            return "the recording's header cannot be read";
        }
        for (Map.Entry<String, String> e : expected.entrySet()) {
            JsonNode actual = attributes.get(e.getKey());
            if (actual == null || !actual.isTextual() || !actual.asText().equals(e.getValue())) {
                String named = actual == null ? "(none)" : "'" + shortened(actual.asText()) + "'";
                return "the recording's header names " + e.getKey() + " " + named + ", not '" + e.getValue()
                        + "': it is not this session's recording";
            }
        }
        return null;
    }

    /** Text from a recording, cut short before it goes into a message. */
    private static String shortened(String text) {
        return text.length() <= 80 ? text : text.substring(0, 80) + "...";
    }
}
