package dev.portcullis.broker.recordings;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.portcullis.broker.persistence.IndexedSession;
import dev.portcullis.recording.ChunkChain;
import dev.portcullis.recording.FileSystemRecordingStorage;
import dev.portcullis.recording.RecordingKeys;
import dev.portcullis.recording.RecordingStorage;
import dev.portcullis.recording.RecordingTombstone;
import dev.portcullis.recording.RecordingVerifier;
import dev.portcullis.recording.event.TerminalEvent;
import dev.portcullis.recording.format.MalformedRecordingException;
import dev.portcullis.recording.read.RecordingReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A session's evidence bundle, built in a private temporary directory and then written as one tar archive: the
 * recording's objects exactly as stored, the signing bastion's public key, the exports derived from them, a player
 * that works offline, the session's audit rows, and {@code VERIFY.md} with {@code verify.sh}, which check it with
 * stock tools. Everything in it comes from one copy of the recording that verified (see
 * {@link RecordingArchive#copyVerified}); docs/evidence.md describes the layout.
 */
public final class EvidenceBundle implements AutoCloseable {

    private static final String RESOURCES = "evidence/";

    private final Path work;
    private final String root;
    private final Path dir;
    private final Instant at;
    private String sumsSha256;
    private RecordingVerifier.Verification verification;

    private EvidenceBundle(Path work, String root, Instant at) {
        this.work = work;
        this.root = root;
        this.dir = work.resolve(root);
        this.at = at;
    }

    /**
     * Builds the bundle of {@code session}; {@code auditRows} (oldest first) is left out when null.
     *
     * @throws java.nio.file.NoSuchFileException            when the store has no such recording
     * @throws RecordingArchive.TamperedRecordingException when it does not verify
     */
    public static EvidenceBundle build(
            RecordingArchive archive,
            IndexedSession session,
            Map<String, Object> sessionView,
            List<?> auditRows,
            ObjectMapper json,
            Instant at)
            throws IOException {
        EvidenceBundle bundle =
                new EvidenceBundle(Files.createTempDirectory("portcullis-evidence-"), "session-" + session.id(), at);
        try {
            bundle.fill(
                    archive, session, sessionView, auditRows, json.copy().enable(SerializationFeature.INDENT_OUTPUT));
            return bundle;
        } catch (IOException | RuntimeException e) {
            bundle.close();
            throw e;
        }
    }

    private void fill(
            RecordingArchive archive,
            IndexedSession session,
            Map<String, Object> sessionView,
            List<?> auditRows,
            ObjectMapper json)
            throws IOException {
        String id = session.recordingId();
        RecordingStorage copy = new FileSystemRecordingStorage(work.resolve("store"));
        RecordingArchive.CopiedRecording copied = archive.copyVerified(session, copy);
        verification = copied.checked().verification();

        Path recording = Files.createDirectories(dir.resolve("recording"));
        Files.write(recording.resolve("header.json"), copy.header(id));
        for (long index : copy.chunkIndexes(id)) {
            Files.write(recording.resolve(String.format("chunk-%08d.bin", index)), copy.chunk(id, index));
        }
        for (long covered : copy.checkpointIndexes(id)) {
            Files.write(recording.resolve(String.format("checkpoint-%08d.sig", covered)), copy.checkpoint(id, covered));
        }
        Optional<RecordingStorage.SignedManifest> manifest = copy.manifest(id);
        if (manifest.isPresent()) {
            Files.write(recording.resolve("manifest.json"), manifest.get().manifest());
            Files.write(recording.resolve("manifest.sig"), manifest.get().signature());
        }
        byte[] key = copied.key().getEncoded();
        Files.writeString(
                dir.resolve("bastion.pub.pem"), RecordingKeys.publicKeyPem(copied.key()), StandardCharsets.US_ASCII);
        if (verification.status() == RecordingVerifier.Status.DELETED_BY_POLICY) {
            fillDeleted(archive, session, sessionView, auditRows, json, key);
            return;
        }

        RecordingReader reader;
        try {
            reader = RecordingReader.openVerified(copy, id, copied.checked());
        } catch (MalformedRecordingException e) {
            throw new RecordingArchive.TamperedRecordingException(e.getMessage());
        }
        Path export = Files.createDirectories(dir.resolve("export"));
        exportTo(export.resolve("session.cast"), reader::exportCast);
        exportTo(export.resolve("events.jsonl"), reader::exportEvents);
        exportTo(export.resolve("output.bin"), out -> reader.exportBytes(out, TerminalEvent.Type.OUTPUT));
        if (reader.metadata().inputRecorded()) {
            exportTo(export.resolve("input.bin"), out -> reader.exportBytes(out, TerminalEvent.Type.INPUT));
        }
        Path error = export.resolve("error.bin");
        exportTo(error, out -> reader.exportBytes(out, TerminalEvent.Type.ERROR));
        if (Files.size(error) == 0) {
            Files.delete(error); // formats 1 and 2 and sessions without an exec's stderr have none
        }
        String title = "Session " + session.id() + ": " + session.username() + " as " + session.login() + " on "
                + session.target();
        StandalonePlayer.write(
                export.resolve("session.cast"),
                title,
                "Recorded " + session.startedAt()
                        + "; verification " + verification.status()
                        + (verification.problem() == null ? "" : " (" + verification.problem() + ")")
                        + ". The recording is inside this file; nothing is fetched.",
                dir.resolve("player.html"));

        writeFactsAndSteps("VERIFY.md", session, sessionView, auditRows, json, key);
    }

    /**
     * What is left of a recording whose payload retention deleted: its header, signed manifest (or checkpoints), any
     * chunk still waiting to be deleted, the bastion's key, and the broker's signed tombstone with the audit head key
     * it verifies with. No export and no player: there is nothing left to play. {@code VERIFY-deleted.md} and
     * {@code verify.sh} show with stock tools that the manifest is the bastion's and the deletion the policy's.
     */
    private void fillDeleted(
            RecordingArchive archive,
            IndexedSession session,
            Map<String, Object> sessionView,
            List<?> auditRows,
            ObjectMapper json,
            byte[] key)
            throws IOException {
        byte[] tombstone = archive.signedTombstone(session)
                .orElseThrow(() -> new RecordingArchive.TamperedRecordingException(
                        "the recording verified as deleted by policy but its tombstone is gone"));
        Files.write(dir.resolve(RecordingTombstone.FILE), tombstone);
        Files.writeString(dir.resolve("audit_head.pub.pem"), archive.tombstoneKeyPem(), StandardCharsets.US_ASCII);
        writeFactsAndSteps("VERIFY-deleted.md", session, sessionView, auditRows, json, key);
    }

    private void writeFactsAndSteps(
            String steps,
            IndexedSession session,
            Map<String, Object> sessionView,
            List<?> auditRows,
            ObjectMapper json,
            byte[] key)
            throws IOException {
        Map<String, Object> facts = new LinkedHashMap<>(sessionView);
        facts.put("recordingKeySha256", ChunkChain.sha256(key));
        facts.put("verification", verificationFacts());
        facts.put("bundledAt", at.toString());
        json.writeValue(dir.resolve("session.json").toFile(), facts);
        if (auditRows != null) {
            ObjectMapper compact = json.copy().disable(SerializationFeature.INDENT_OUTPUT);
            exportTo(dir.resolve("audit.jsonl"), out -> {
                for (Object row : auditRows) {
                    out.write(compact.writeValueAsBytes(row));
                    out.write('\n');
                }
            });
        }
        Files.writeString(
                dir.resolve("VERIFY.md"),
                resource(steps)
                        .replace("{{session}}", session.id().toString())
                        .replace("{{recording}}", session.recordingId())
                        .replace("{{status}}", verification.status().name())
                        .replace("{{problem}}", verification.problem() == null ? "none" : verification.problem())
                        .replace("{{keySha256}}", ChunkChain.sha256(key))
                        .replace(
                                "{{audit}}",
                                auditRows == null
                                        ? "This bundle holds no audit rows: they are for auditors and admins."
                                        : "`audit.jsonl` holds the " + auditRows.size()
                                                + " audit rows about this session and its grant."),
                StandardCharsets.UTF_8);
        Path verify = dir.resolve("verify.sh");
        Files.writeString(verify, resource("verify.sh"), StandardCharsets.UTF_8);
        writeSums();
    }

    private Map<String, Object> verificationFacts() {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("status", verification.status().name());
        v.put("problem", verification.problem());
        return v;
    }

    /** SHA256SUMS over every other file, in the format {@code sha256sum -c} reads; written last. */
    private void writeSums() throws IOException {
        StringBuilder sums = new StringBuilder();
        for (Path file : files()) {
            sums.append(sha256(file)).append("  ").append(name(file)).append('\n');
        }
        byte[] content = sums.toString().getBytes(StandardCharsets.US_ASCII);
        Files.write(dir.resolve("SHA256SUMS"), content);
        sumsSha256 = ChunkChain.sha256(content);
    }

    /** The files of the bundle, sorted by their names in it. */
    private List<Path> files() throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            return all.filter(Files::isRegularFile)
                    .sorted(Comparator.comparing(this::name))
                    .toList();
        }
    }

    private String name(Path file) {
        return dir.relativize(file).toString().replace('\\', '/');
    }

    /** The bundle as a tar archive whose one top directory is {@code session-ID/}. */
    public void writeTar(OutputStream out) throws IOException {
        try (TarWriter tar = new TarWriter(out, at)) {
            List<String> dirs = new ArrayList<>();
            try (Stream<Path> all = Files.walk(dir)) {
                all.filter(Files::isDirectory)
                        .map(d -> d.equals(dir) ? root : root + "/" + name(d))
                        .sorted()
                        .forEach(dirs::add);
            }
            for (String d : dirs) {
                tar.directory(d);
            }
            for (Path file : files()) {
                String name = name(file);
                tar.file(root + "/" + name, file, name.equals("verify.sh"));
            }
        }
    }

    /** The name of the archive's top directory, {@code session-ID}. */
    public String root() {
        return root;
    }

    /** SHA-256 of SHA256SUMS, which names every other file's SHA-256: the audit row of the download keeps it. */
    public String sumsSha256() {
        return sumsSha256;
    }

    public RecordingVerifier.Verification verification() {
        return verification;
    }

    @Override
    public void close() {
        try (Stream<Path> all = Files.walk(work)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException | UncheckedIOException e) {
            // a temporary directory left behind holds nothing the recording store does not; the OS cleans it
        }
    }

    private static String sha256(Path file) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = EvidenceBundle.class.getClassLoader().getResourceAsStream(RESOURCES + name)) {
            if (in == null) {
                throw new IOException("the resource " + RESOURCES + name + " is missing from the broker");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private interface Export {
        void to(OutputStream out) throws IOException;
    }

    private static void exportTo(Path file, Export export) throws IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            export.to(out);
        }
    }
}
