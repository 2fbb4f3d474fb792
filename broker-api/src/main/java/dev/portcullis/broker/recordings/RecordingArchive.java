package dev.portcullis.broker.recordings;

import com.fasterxml.jackson.databind.JsonNode;
import dev.portcullis.broker.persistence.IndexedSession;
import dev.portcullis.broker.persistence.RecordingTombstones;
import dev.portcullis.broker.persistence.RecordingVerdicts;
import dev.portcullis.recording.ChunkChain;
import dev.portcullis.recording.FileSystemRecordingStorage;
import dev.portcullis.recording.RecordingKeys;
import dev.portcullis.recording.RecordingManifest;
import dev.portcullis.recording.RecordingSigner;
import dev.portcullis.recording.RecordingStorage;
import dev.portcullis.recording.RecordingVerifier;
import dev.portcullis.recording.UnsafeRecordingObjectException;
import dev.portcullis.recording.event.RecordedEvent;
import dev.portcullis.recording.event.SessionEvent;
import dev.portcullis.recording.format.MalformedRecordingException;
import dev.portcullis.recording.format.RecordingJson;
import dev.portcullis.recording.read.RecordingReader;
import dev.portcullis.recording.s3.S3Clients;
import dev.portcullis.recording.s3.S3RecordingStorage;
import dev.portcullis.recording.s3.S3Settings;
import io.quarkus.runtime.Startup;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The recordings bastions wrote, as auditors read them: checked against the bastions' signing keys and what the
 * session index knows, and exported only when they verify. The broker never writes a recording; it deletes only the
 * payload chunks of one whose retention expired, after the retention job appended its signed tombstone
 * ({@link RetentionSweep}), and such a recording then verifies as DELETED_BY_POLICY. A session registered with its bastion's key (by SHA-256) verifies only with that key, so one bastion's
 * key cannot vouch for a recording put in place of another's; older sessions verify with the trusted key their
 * manifest names, as before.
 */
@ApplicationScoped
@Startup
public class RecordingArchive {

    private static final Logger LOG = Logger.getLogger(RecordingArchive.class);

    /** Chunk hashes the verdict cache may hold (about 100 bytes each). */
    private static final long VERDICT_CACHE_CHUNKS = 200_000;

    /** The filesystem store, or null when recordings live in S3. */
    private final RecordingStorage fileStore;

    private final S3Settings s3;
    private final S3Client s3Client;
    /** One S3 store per bastion segment: each writes under its own prefix. */
    private final Map<String, RecordingStorage> segments = new ConcurrentHashMap<>();

    @Inject
    RecordingTombstones tombstones;

    @Inject
    RecordingVerdicts storedVerdicts;

    /**
     * Whether a first view may open a closed recording after checking only its signed manifest (each chunk then checked
     * as it is read). Off by default: until a full verification has run, the badge would say VALID for chunks nobody
     * has read yet, and a changed chunk would be found only when someone plays that part.
     */
    @ConfigProperty(name = "portcullis.recordings.ranged-first-view", defaultValue = "false")
    boolean rangedFirstView;
    /** Verdicts the cache may hold: each may keep up to {@link #MAX_LISTED_EVENTS} events for the replay page. */
    private static final int VERDICT_CACHE_ENTRIES = 64;

    private final VerdictCache verdicts = new VerdictCache(VERDICT_CACHE_ENTRIES, VERDICT_CACHE_CHUNKS);
    /** SHA-256 of each trusted key's X.509 encoding, as manifests name their signer, to the key. */
    private final Map<String, PublicKey> trustedKeys = new LinkedHashMap<>();

    public RecordingArchive(
            @ConfigProperty(name = "portcullis.recordings.dir") String dir,
            @ConfigProperty(name = "portcullis.recordings.trusted-keys") Optional<List<String>> trustedKeyFiles,
            Config config) {
        S3Settings settings;
        try {
            settings = S3Settings.read(
                    name -> config.getOptionalValue(name, String.class).orElse(null), S3Settings.propertyNames());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(e.getMessage());
        }
        this.s3 = settings;
        this.s3Client = settings == null ? null : S3Clients.reader(settings);
        this.fileStore =
                settings == null ? new FileSystemRecordingStorage(Path.of(dir).toAbsolutePath()) : null;
        LOG.info("recordings are read from " + (settings == null ? Path.of(dir).toAbsolutePath() : settings));
        for (String file : trustedKeyFiles.orElse(List.of())) {
            if (file.isBlank()) {
                continue;
            }
            Path path = Path.of(file.strip()).toAbsolutePath();
            try {
                PublicKey key = RecordingKeys.readPublicKey(path);
                trustedKeys.put(ChunkChain.sha256(key.getEncoded()), key);
            } catch (IOException e) {
                throw new IllegalStateException(
                        "cannot read the trusted recording key " + path
                                + " (portcullis.recordings.trusted-keys lists the bastions' Ed25519 public key PEM files): "
                                + e.getMessage(),
                        e);
            }
        }
        if (trustedKeys.isEmpty()) {
            LOG.warn(
                    "no trusted recording keys (portcullis.recordings.trusted-keys): no recording can verify as VALID");
        }
    }

    @PreDestroy
    void close() {
        if (s3Client != null) {
            s3Client.close();
        }
    }

    /**
     * Where the recording of a session registered by the bastion client {@code segment} is: the filesystem store, or
     * in S3 the prefix named after that client id (which only that segment's credentials can write). The client id
     * is the one the bastion authenticated with, not a name it claims.
     */
    RecordingStorage storage(String segment) throws IOException {
        if (fileStore != null) {
            return fileStore;
        }
        if (segment == null) {
            throw new NoSuchFileException("the session names no bastion client, so its S3 prefix is unknown");
        }
        try {
            String prefix = s3.segmentPrefix(segment);
            return segments.computeIfAbsent(segment, b -> new S3RecordingStorage(s3Client, s3, prefix));
        } catch (IllegalArgumentException e) {
            throw new UnsafeRecordingObjectException(
                    "the session's bastion name cannot be an S3 prefix: " + e.getMessage());
        }
    }

    private RecordingStorage storage(IndexedSession session) throws IOException {
        return storage(session.registeredBy());
    }

    /** Whether recordings signed with the key of this SHA-256 (of its X.509 encoding) can verify here. */
    public boolean trusts(String keySha256) {
        return keySha256 != null && trustedKeys.containsKey(keySha256);
    }

    /**
     * Checks what a bastion registers against the recording it names, when the recording is in the store already
     * (the bastion creates it, header and first signed checkpoint, before it registers the session): the header
     * must name this session, person, target, login and grant, and the checkpoint must be signed with the key the
     * bastion declares. A recording that is not there yet is checked whenever it is read.
     *
     * @return why the registration must be refused, or empty
     */
    public Optional<String> registrationProblem(
            String segment, String recordingId, String keySha256, Map<String, String> attributes) throws IOException {
        RecordingStorage storage = storage(segment);
        PublicKey key = trustedKeys.get(keySha256);
        if (key == null) {
            return Optional.of("the recording key " + keySha256 + " is not one this broker trusts");
        }
        try {
            storage.header(recordingId);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        RecordingVerifier.Verification v = RecordingVerifier.verify(
                storage, recordingId, key, new RecordingVerifier.Expected(true, false, attributes));
        return v.status() == RecordingVerifier.Status.TAMPERED ? Optional.of(v.problem()) : Optional.empty();
    }

    /** What the index and the audit chain know that the recording of {@code session} must agree with. */
    private RecordingVerifier.Expected expected(IndexedSession session) {
        boolean bound = session.recordingKey() != null;
        return new RecordingVerifier.Expected(
                bound,
                session.endedWithClosedRecording(),
                bound ? attributes(session) : Map.of(),
                tombstones.find(session.id()).orElse(null));
    }

    /**
     * The session's tombstone as the signed file an offline verifier takes, when the audit chain holds a genuine one
     * (see {@link RecordingTombstones#signedFile}).
     */
    public Optional<byte[]> signedTombstone(IndexedSession session) {
        return tombstones.signedFile(session.id());
    }

    /** The public key tombstones verify with, PEM. */
    public String tombstoneKeyPem() {
        return tombstones.publicKeyPem();
    }

    /** SHA-256 of the recording's stored manifest, or empty when it has none (never closed). */
    public Optional<String> manifestSha256(IndexedSession session) throws IOException {
        return storage(session).manifest(session.recordingId()).map(signed -> ChunkChain.sha256(signed.manifest()));
    }

    /** Deletes the payload chunks of a recording whose tombstone is in the audit chain (see {@link RetentionSweep}). */
    void deletePayload(IndexedSession session) throws IOException {
        String recordingId = session.recordingId();
        verdicts.forget(recordingId);
        storage(session).deleteChunks(recordingId);
        verdicts.forget(recordingId);
    }

    /** The header attributes a bastion writes for a session (see the bastion's recording start). */
    public static Map<String, String> attributes(
            UUID session, String username, String target, String login, UUID grant) {
        return Map.of(
                "session",
                session.toString(),
                "user",
                username,
                "target",
                target,
                "login",
                login,
                "grant",
                grant.toString());
    }

    private static Map<String, String> attributes(IndexedSession s) {
        return s.requestId() == null
                ? Map.of("session", s.id().toString(), "user", s.username(), "target", s.target(), "login", s.login())
                : attributes(s.id(), s.username(), s.target(), s.login(), s.requestId());
    }

    /**
     * Verifies the recording of an indexed session (which must have one) against what the index knows of it, always
     * from every stored byte; the verdict replaces the cached one.
     */
    public RecordingVerifier.Verification verify(IndexedSession session) throws IOException {
        VerdictCache.Key key = cacheKey(session);
        RecordingVerifier.Checked checked = check(session);
        remember(session, key, checked);
        return checked.verification();
    }

    /**
     * Forgets the cached verdict of a session's recording: a read found it no longer as verified. The stored verdict
     * searches show is checked again at once.
     */
    public void forget(IndexedSession session) {
        verdicts.forget(session.recordingId());
        storedVerdicts.recheckSoon(session.id());
    }

    /**
     * Verifies the recording of a session in full for the verdict searches show, and stores it: as {@link #verify},
     * and MISSING when the store has no such recording.
     */
    public String recheck(IndexedSession session) throws IOException {
        try {
            storage(session).header(session.recordingId());
        } catch (NoSuchFileException e) {
            storedVerdicts.record(
                    session.id(),
                    session.isOpen(),
                    "MISSING",
                    "recording " + session.recordingId() + " is missing from the recording store");
            return "MISSING";
        } catch (UnsafeRecordingObjectException e) {
            storedVerdicts.record(
                    session.id(), session.isOpen(), RecordingVerifier.Status.TAMPERED.name(), e.getMessage());
            return RecordingVerifier.Status.TAMPERED.name();
        }
        return verify(session).status().name();
    }

    /**
     * A reader of exactly what verified, for export.
     *
     * @throws NoSuchFileException     when the store has no such recording
     * @throws TamperedRecordingException when the recording does not verify: it is not exported
     */
    public VerifiedRecording openVerified(IndexedSession session) throws IOException {
        return openVerified(session, false);
    }

    /**
     * As {@link #openVerified(IndexedSession)}; {@code whole} verifies every chunk before the first
     * byte is handed out, for downloads of the whole recording: they read every chunk anyway, and a refusal must come
     * before a response has started, not halfway through it.
     */
    public VerifiedRecording openVerified(IndexedSession session, boolean whole) throws IOException {
        RecordingStorage storage = storage(session);
        try {
            // NoSuchFileException: missing, not tampered, for the caller's answer
            storage.header(session.recordingId());
        } catch (UnsafeRecordingObjectException e) {
            throw new TamperedRecordingException(e.getMessage());
        }
        VerdictCache.Key key = cacheKey(session);
        VerdictCache.Entry entry = key == null ? null : verdicts.get(key);
        PublicKey bound = session.recordingKey() == null ? null : trustedKeys.get(session.recordingKey());
        // a recording whose payload retention deleted has only its manifest left: the full check says so
        boolean tombstoned = tombstones.find(session.id()).isPresent();
        if (rangedFirstView
                && !whole
                && !tombstoned
                && key != null
                && bound != null
                && (entry == null || entry.ranged)) {
            return openRanged(session, storage, key, bound, entry);
        }
        if (entry != null && entry.ranged) {
            entry = null; // only the manifest was checked so far: a whole download checks every chunk first
        }
        RecordingVerifier.Checked checked;
        if (entry != null) {
            checked = entry.checked;
        } else {
            checked = check(session);
            entry = remember(session, key, checked);
        }
        if (checked.verification().status() == RecordingVerifier.Status.TAMPERED) {
            throw new TamperedRecordingException(checked.verification().problem());
        }
        if (checked.verification().status() == RecordingVerifier.Status.DELETED_BY_POLICY) {
            throw new DeletedRecordingException(checked.verification().problem());
        }
        try {
            return new VerifiedRecording(
                    RecordingReader.openVerified(storage, session.recordingId(), checked),
                    checked.verification(),
                    entry);
        } catch (MalformedRecordingException e) {
            verdicts.forget(session.recordingId());
            throw new TamperedRecordingException(e.getMessage());
        }
    }

    /**
     * A closed recording of a session bound to its bastion's key, read range by range: its signed manifest is checked
     * (signature, recording, header, the session's attributes, chunk count) and each chunk it reads is checked
     * against the hash the manifest signed, so a first view or a seek reads a few objects, never the whole
     * recording. Only {@link #verify} walks every chunk for the full verdict.
     */
    private VerifiedRecording openRanged(
            IndexedSession session,
            RecordingStorage storage,
            VerdictCache.Key key,
            PublicKey bound,
            VerdictCache.Entry entry)
            throws IOException {
        RecordingReader reader;
        RecordingManifest manifest;
        try {
            reader = RecordingReader.openVerified(storage, session.recordingId(), bound, expected(session));
            Optional<RecordingStorage.SignedManifest> signed = storage.manifest(session.recordingId());
            manifest = RecordingManifest.parse(signed.orElseThrow(() -> new MalformedRecordingException(
                            "the manifest of recording " + session.recordingId() + " vanished while it was read"))
                    .manifest());
        } catch (MalformedRecordingException e) {
            verdicts.forget(session.recordingId());
            throw new TamperedRecordingException(e.getMessage());
        }
        RecordingVerifier.Verification verification = new RecordingVerifier.Verification(
                RecordingVerifier.Status.VALID, manifest.chunks().size(), null);
        if (entry == null) {
            entry = verdicts.put(
                    key,
                    new RecordingVerifier.Checked(
                            verification,
                            manifest.headerSha256(),
                            manifest.chunks().stream()
                                    .map(RecordingManifest.Chunk::sha256)
                                    .toList()),
                    true);
        }
        return new VerifiedRecording(reader, verification, entry);
    }

    /**
     * Caches a VALID verdict of a closed recording, if its manifest is still the one the key was taken from; forgets
     * the recording's verdicts otherwise.
     *
     * @return the cache entry for this verdict, or null when it is not cached
     */
    private VerdictCache.Entry remember(
            IndexedSession session, VerdictCache.Key before, RecordingVerifier.Checked checked) throws IOException {
        if (before == null
                || checked.verification().status() != RecordingVerifier.Status.VALID
                || !before.equals(cacheKey(session))) {
            verdicts.forget(session.recordingId());
            return null;
        }
        return verdicts.put(before, checked, false);
    }

    /** The cache key of a closed recording's verdict, or null while it has no manifest (or it cannot be read). */
    private VerdictCache.Key cacheKey(IndexedSession session) throws IOException {
        Optional<RecordingStorage.SignedManifest> signed;
        try {
            signed = storage(session).manifest(session.recordingId());
        } catch (NoSuchFileException | UnsafeRecordingObjectException e) {
            return null;
        }
        if (signed.isEmpty()) {
            return null;
        }
        byte[] manifest = signed.get().manifest();
        byte[] signature = signed.get().signature();
        byte[] both = Arrays.copyOf(manifest, manifest.length + 1 + signature.length);
        both[manifest.length] = '\n';
        System.arraycopy(signature, 0, both, manifest.length + 1, signature.length);
        return new VerdictCache.Key(
                session.recordingId(), ChunkChain.sha256(both), session.recordingKey(), expected(session));
    }

    /** Beside the player: more structured events than this are cut, so a long session's page stays light. */
    public static final int MAX_LISTED_EVENTS = 2000;

    /**
     * What replay needs to know of a whole recording.
     *
     * @param events the first structured events other than the session's start and end, at most one more than
     *               {@link #MAX_LISTED_EVENTS} (so a caller knows there are more)
     */
    public record ReplayFacts(double duration, boolean textFaithful, List<RecordedEvent> events) {
        public ReplayFacts {
            events = List.copyOf(events);
        }
    }

    /**
     * A reader limited to verified bytes, and the verification that says how complete they are.
     *
     * @param cached the verdict's cache entry, or null when the verdict is not cached
     */
    public record VerifiedRecording(
            RecordingReader reader, RecordingVerifier.Verification verification, VerdictCache.Entry cached) {

        /** The recording's duration and whether it is all text: once per cached verdict, else on each call. */
        public ReplayFacts facts() throws IOException {
            ReplayFacts facts = cached == null ? null : cached.facts;
            if (facts == null) {
                List<RecordedEvent> events;
                try (Stream<RecordedEvent> all = reader.events()) {
                    events = all.filter(e -> !(e.event() instanceof SessionEvent))
                            .limit(MAX_LISTED_EVENTS + 1L)
                            .toList();
                } catch (UncheckedIOException e) {
                    throw e.getCause();
                }
                facts = new ReplayFacts(reader.duration(), reader.textFaithful(), events);
                if (cached != null) {
                    cached.facts = facts;
                }
            }
            return facts;
        }
    }

    /** The recording's payload was deleted when its retention expired: there is nothing left to replay. */
    public static final class DeletedRecordingException extends IOException {
        public DeletedRecordingException(String problem) {
            super(problem);
        }
    }

    /** The recording did not verify, so it is not handed out. */
    public static final class TamperedRecordingException extends IOException {
        public TamperedRecordingException(String problem) {
            super(problem);
        }
    }

    /** Verifies every stored byte of the session's recording; the verdict is stored for searches to show. */
    private RecordingVerifier.Checked check(IndexedSession session) throws IOException {
        RecordingVerifier.Checked checked = checkRecording(session);
        RecordingVerifier.Verification v = checked.verification();
        if (session.isAborted() && v.status() == RecordingVerifier.Status.INCOMPLETE && session.detail() != null) {
            // the index knows why the recording was never closed; say so before what the recording itself shows
            checked = new RecordingVerifier.Checked(
                    new RecordingVerifier.Verification(
                            v.status(),
                            v.intactChunks(),
                            session.detail() + " (at " + session.endedAt() + "); " + v.problem()),
                    checked.headerSha256(),
                    checked.chunkHashes());
        }
        storedVerdicts.record(
                session.id(),
                session.isOpen(),
                checked.verification().status().name(),
                checked.verification().problem());
        return checked;
    }

    private RecordingVerifier.Checked checkRecording(IndexedSession session) throws IOException {
        String recordingId = session.recordingId();
        RecordingVerifier.Expected expected = expected(session);
        if (session.recordingKey() != null) {
            PublicKey bound = trustedKeys.get(session.recordingKey());
            if (bound == null) {
                return tampered("the key of the bastion that opened this session (SHA-256 " + session.recordingKey()
                        + ") is no longer listed in portcullis.recordings.trusted-keys");
            }
            return checkStored(storage(session), recordingId, bound, expected);
        }
        RecordingStorage storage = storage(session);
        // Registered before bastions named their key: any trusted key the manifest (or checkpoint) names, as before.
        Optional<RecordingStorage.SignedManifest> signed;
        try {
            signed = storage.manifest(recordingId);
        } catch (NoSuchFileException e) {
            return tampered("recording " + recordingId + " is missing from the recording store");
        } catch (UnsafeRecordingObjectException e) {
            return tampered(e.getMessage());
        }
        String signer;
        if (signed.isPresent()) {
            try {
                signer = RecordingManifest.parse(signed.get().manifest()).signerKeySha256();
            } catch (IOException e) {
                return tampered("the manifest cannot be read");
            }
        } else {
            signer = latestCheckpointSigner(storage, recordingId);
        }
        PublicKey key = signer == null ? null : trustedKeys.get(signer);
        if (key == null && (signed.isPresent() || signer != null)) {
            String named = signer != null && signer.matches("[0-9a-f]{64}") ? signer : "unreadable";
            return tampered("the " + (signed.isPresent() ? "manifest" : "latest checkpoint")
                    + " is signed by a key this broker does not trust (signer key SHA-256 " + named
                    + "); a bastion's key must be listed in portcullis.recordings.trusted-keys");
        }
        if (key == null) {
            // format 1, unsigned yet: the verifier checks the chain and reports INCOMPLETE without using a key
            key = trustedKeys.isEmpty()
                    ? RecordingSigner.generate().publicKey()
                    : trustedKeys.values().iterator().next();
        }
        return checkStored(storage, recordingId, key, expected);
    }

    private RecordingVerifier.Checked checkStored(
            RecordingStorage storage, String recordingId, PublicKey key, RecordingVerifier.Expected expected)
            throws IOException {
        try {
            return RecordingVerifier.check(storage, recordingId, key, expected);
        } catch (NoSuchFileException e) {
            return tampered("recording " + recordingId + " is missing from the recording store");
        }
    }

    /** The signer a stored checkpoint names (not verified here: the verifier checks its signature). */
    private String latestCheckpointSigner(RecordingStorage storage, String recordingId) throws IOException {
        List<Long> checkpoints = storage.checkpointIndexes(recordingId);
        if (checkpoints.isEmpty()) {
            return null;
        }
        byte[] object = storage.checkpoint(recordingId, checkpoints.get(checkpoints.size() - 1));
        try {
            int newline = new String(object, StandardCharsets.UTF_8).indexOf('\n');
            JsonNode node = RecordingJson.parse(newline < 0 ? object : Arrays.copyOf(object, newline), "checkpoint");
            return node.path("signerKeySha256").asText(null);
        } catch (MalformedRecordingException e) {
            return "unreadable";
        }
    }

    private static RecordingVerifier.Checked tampered(String problem) {
        RecordingVerifier.Verification v =
                new RecordingVerifier.Verification(RecordingVerifier.Status.TAMPERED, 0, problem);
        return new RecordingVerifier.Checked(v, null, List.of());
    }

    /** A recording copied out of the store, with the key it verified with and what verified. */
    public record CopiedRecording(PublicKey key, RecordingVerifier.Checked checked) {}

    /**
     * Copies the recording of {@code session}, object by object as stored (header, chunks, checkpoints, manifest and
     * its signature), into {@code copy}, then verifies the copy as the original is verified, with the key of the
     * bastion that opened the session: so an evidence bundle holds exactly bytes that verified, even if the store
     * changes while they are copied. A closed recording's manifest is read first (its chunks are final then), an open
     * one's checkpoints before its chunks, so that no checkpoint of the copy covers a chunk it lacks.
     *
     * @throws NoSuchFileException        when the store has no such recording
     * @throws TamperedRecordingException when the copy does not verify (or its key is not trusted)
     */
    public CopiedRecording copyVerified(IndexedSession session, RecordingStorage copy) throws IOException {
        String id = session.recordingId();
        RecordingStorage storage = storage(session);
        try {
            Optional<RecordingStorage.SignedManifest> manifest = storage.manifest(id);
            PublicKey key = signingKey(session, storage, manifest);
            copy.create(id, storage.header(id));
            for (long covered : storage.checkpointIndexes(id)) {
                copy.putCheckpoint(id, covered, storage.checkpoint(id, covered));
            }
            for (long index : storage.chunkIndexes(id)) {
                copy.putChunk(id, index, storage.chunk(id, index));
            }
            if (manifest.isPresent()) {
                copy.putManifest(id, manifest.get().manifest(), manifest.get().signature());
            }
            RecordingVerifier.Checked checked = RecordingVerifier.check(copy, id, key, expected(session));
            if (checked.verification().status() == RecordingVerifier.Status.TAMPERED) {
                throw new TamperedRecordingException(checked.verification().problem());
            }
            return new CopiedRecording(key, checked);
        } catch (UnsafeRecordingObjectException e) {
            throw new TamperedRecordingException(e.getMessage());
        }
    }

    /** The trusted key the recording must verify with: the one its session was registered with, else its signer's. */
    private PublicKey signingKey(
            IndexedSession session, RecordingStorage storage, Optional<RecordingStorage.SignedManifest> manifest)
            throws IOException {
        String sha256 = session.recordingKey();
        if (sha256 == null) {
            try {
                sha256 = manifest.isPresent()
                        ? RecordingManifest.parse(manifest.get().manifest()).signerKeySha256()
                        : latestCheckpointSigner(storage, session.recordingId());
            } catch (IOException e) {
                throw new TamperedRecordingException("the manifest cannot be read");
            }
        }
        PublicKey key = sha256 == null ? null : trustedKeys.get(sha256);
        if (key == null) {
            throw new TamperedRecordingException(
                    "the recording is not signed by a key listed in " + "portcullis.recordings.trusted-keys");
        }
        return key;
    }
}
