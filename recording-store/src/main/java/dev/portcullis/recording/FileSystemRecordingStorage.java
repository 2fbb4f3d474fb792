package dev.portcullis.recording;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Recordings as files: one directory per recording, {@code header.json}, {@code chunk-00000001.bin} ...,
 * {@code manifest.json} and {@code manifest.sig}. Every object is written to a temporary file, forced to
 * disk and then linked into place, so a crash leaves either the whole object or none of it, and an
 * existing object is never replaced. The bytes bypass the page cache where the file system allows it.
 */
public final class FileSystemRecordingStorage implements RecordingStorage {

    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    private static final Pattern CHUNK = Pattern.compile("chunk-(\\d{8})\\.bin");

    private final Path root;
    private final UnbufferedFileWriter writer;

    public FileSystemRecordingStorage(Path root) {
        this(root, true);
    }

    /** @param unbuffered false to write through the page cache even where O_DIRECT works (tests of that path) */
    FileSystemRecordingStorage(Path root, boolean unbuffered) {
        this.root = root;
        this.writer = new UnbufferedFileWriter(unbuffered);
    }

    @Override
    public void create(String recordingId, byte[] header) throws IOException {
        Path dir = dir(recordingId);
        Files.createDirectories(root);
        try {
            Files.createDirectory(dir);
        } catch (FileAlreadyExistsException e) {
            throw new FileAlreadyExistsException("recording " + recordingId + " exists already");
        }
        forceDirectory(root); // the recording's directory survives a crash, or its session never started
        writeOnce(dir.resolve("header.json"), header);
    }

    @Override
    public void putChunk(String recordingId, long index, byte[] chunk) throws IOException {
        if (index < 1 || index > 99_999_999) {
            throw new IllegalArgumentException("chunk index out of range: " + index);
        }
        writeOnce(existing(recordingId).resolve(String.format("chunk-%08d.bin", index)), chunk);
    }

    @Override
    public void putManifest(String recordingId, byte[] manifest, byte[] signature) throws IOException {
        Path dir = existing(recordingId);
        writeOnce(dir.resolve("manifest.sig"), signature);
        writeOnce(dir.resolve("manifest.json"), manifest); // last: its presence means "closed"
    }

    @Override
    public byte[] header(String recordingId) throws IOException {
        return Files.readAllBytes(existing(recordingId).resolve("header.json"));
    }

    @Override
    public List<Long> chunkIndexes(String recordingId) throws IOException {
        List<Long> indexes = new ArrayList<>();
        try (Stream<Path> files = Files.list(existing(recordingId))) {
            files.forEach(f -> {
                Matcher m = CHUNK.matcher(f.getFileName().toString());
                if (m.matches()) {
                    indexes.add(Long.parseLong(m.group(1)));
                }
            });
        }
        indexes.sort(Long::compare);
        return indexes;
    }

    @Override
    public byte[] chunk(String recordingId, long index) throws IOException {
        return Files.readAllBytes(existing(recordingId).resolve(String.format("chunk-%08d.bin", index)));
    }

    @Override
    public Optional<SignedManifest> manifest(String recordingId) throws IOException {
        Path dir = existing(recordingId);
        Path manifest = dir.resolve("manifest.json");
        if (!Files.exists(manifest)) {
            return Optional.empty();
        }
        Path signature = dir.resolve("manifest.sig");
        return Optional.of(new SignedManifest(Files.readAllBytes(manifest),
                Files.exists(signature) ? Files.readAllBytes(signature) : new byte[0]));
    }

    @Override
    public List<String> recordings() throws IOException {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> dirs = Files.list(root)) {
            return dirs.filter(Files::isDirectory).map(p -> p.getFileName().toString()).filter(n -> ID.matcher(n).matches()).sorted().toList();
        }
    }

    private Path dir(String recordingId) {
        if (recordingId == null || !ID.matcher(recordingId).matches()) {
            throw new IllegalArgumentException("not a recording id: " + recordingId);
        }
        return root.resolve(recordingId);
    }

    private Path existing(String recordingId) throws IOException {
        Path dir = dir(recordingId);
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException("no recording " + recordingId);
        }
        return dir;
    }

    /** Whether the latest object went to disk past the page cache (see {@link UnbufferedFileWriter}). */
    boolean lastWriteUnbuffered() {
        return writer.lastWriteDirect();
    }

    private void writeOnce(Path target, byte[] content) throws IOException {
        Path temp = Files.createTempFile(target.getParent(), ".incoming-", ".tmp");
        try {
            writer.writeAndForce(temp, content);
            // A hard link fails when the target exists: the write-once rule holds even against a racing writer.
            Files.createLink(target, temp);
            // the name is in the directory: make that durable too, or a crash could lose a chunk whose bytes were synced
            // (a missing chunk in the middle of the chain would then read as tampering, not as an unfinished recording)
            forceDirectory(target.getParent());
        } catch (FileAlreadyExistsException e) {
            throw new FileAlreadyExistsException(target + " exists already; recordings are write-once");
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    private static void forceDirectory(Path directory) throws IOException {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }
}
