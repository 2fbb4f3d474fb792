package dev.portcullis.recording;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Recordings as files: one directory per recording, {@code header.json}, {@code chunk-00000001.bin} ...,
 * {@code checkpoint-00000001.sig} ..., {@code manifest.json} and {@code manifest.sig}. Every object is written to a
 * temporary file, forced to disk and then linked into place, so a crash leaves either the whole object or none of
 * it, and an existing object is never replaced. The bytes bypass the page cache where the file system allows it.
 *
 * <p>Whoever can write into the store (every bastion) must not be able to make a reader (the broker) open anything
 * else: reads go through the directory handles of the root and of the recording ({@code openat} with
 * {@code O_NOFOLLOW}), so neither the recording's directory nor the object may be a symbolic link, and only regular
 * files of a bounded size are read. The root itself may be a link (a mount point an operator chose).
 */
public final class FileSystemRecordingStorage implements RecordingStorage {

    /** Larger than any object a recorder writes (chunks are cut at 64 KiB plus one line), small enough for memory. */
    static final long MAX_OBJECT_BYTES = 64L * 1024 * 1024;

    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    private static final Pattern CHUNK = Pattern.compile("chunk-(\\d{8})\\.bin");
    private static final Pattern CHECKPOINT = Pattern.compile("checkpoint-(\\d{8})\\.sig");

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
        putChunk(recordingId, index, chunk, chunk.length);
    }

    @Override
    public void putChunk(String recordingId, long index, byte[] chunk, int length) throws IOException {
        writeOnce(existing(recordingId).resolve(chunkName(index)), chunk, length);
    }

    @Override
    public void putCheckpoint(String recordingId, long chunks, byte[] checkpoint) throws IOException {
        writeOnce(existing(recordingId).resolve(checkpointName(chunks)), checkpoint);
    }

    @Override
    public void putManifest(String recordingId, byte[] manifest, byte[] signature) throws IOException {
        Path dir = existing(recordingId);
        writeOnce(dir.resolve("manifest.sig"), signature);
        writeOnce(dir.resolve("manifest.json"), manifest); // last: its presence means "closed"
    }

    @Override
    public byte[] header(String recordingId) throws IOException {
        return read(recordingId, "header.json");
    }

    @Override
    public List<Long> chunkIndexes(String recordingId) throws IOException {
        return numbered(recordingId, CHUNK);
    }

    @Override
    public byte[] chunk(String recordingId, long index) throws IOException {
        return read(recordingId, chunkName(index));
    }

    @Override
    public List<Long> checkpointIndexes(String recordingId) throws IOException {
        return numbered(recordingId, CHECKPOINT);
    }

    @Override
    public byte[] checkpoint(String recordingId, long chunks) throws IOException {
        return read(recordingId, checkpointName(chunks));
    }

    @Override
    public Optional<SignedManifest> manifest(String recordingId) throws IOException {
        byte[] manifest;
        try {
            manifest = read(recordingId, "manifest.json");
        } catch (NoSuchFileException e) {
            requireRecording(recordingId);
            return Optional.empty();
        }
        byte[] signature;
        try {
            signature = read(recordingId, "manifest.sig");
        } catch (NoSuchFileException e) {
            signature = new byte[0];
        }
        return Optional.of(new SignedManifest(manifest, signature));
    }

    @Override
    public List<String> recordings() throws IOException {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> dirs = Files.list(root)) {
            return dirs.filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS))
                    .map(p -> p.getFileName().toString())
                    .filter(n -> ID.matcher(n).matches())
                    .sorted()
                    .toList();
        }
    }

    /**
     * Unlinks each chunk file through the recording's directory handle (never following a link), then makes the
     * removals durable. Only names of the form {@code chunk-NNNNNNNN.bin} are touched.
     */
    @Override
    public void deleteChunks(String recordingId) throws IOException {
        List<Long> indexes = chunkIndexes(recordingId);
        try (DirectoryStream<Path> recording = openRecording(recordingId)) {
            for (long index : indexes) {
                Path name = Path.of(chunkName(index));
                try {
                    if (recording instanceof SecureDirectoryStream<Path> secure) {
                        secure.deleteFile(name);
                    } else {
                        Files.delete(dir(recordingId).resolve(name));
                    }
                } catch (NoSuchFileException gone) {
                    // deleted by an earlier, interrupted run: nothing to do
                }
            }
        }
        if (!indexes.isEmpty()) {
            forceDirectory(dir(recordingId));
        }
    }

    private static String chunkName(long index) {
        return String.format("chunk-%08d.bin", checkedIndex(index));
    }

    private static String checkpointName(long chunks) {
        if (chunks < 0 || chunks > 99_999_999) {
            throw new IllegalArgumentException("checkpoint index out of range: " + chunks);
        }
        return String.format("checkpoint-%08d.sig", chunks);
    }

    private static long checkedIndex(long index) {
        if (index < 1 || index > 99_999_999) {
            throw new IllegalArgumentException("chunk index out of range: " + index);
        }
        return index;
    }

    private Path dir(String recordingId) {
        if (recordingId == null || !ID.matcher(recordingId).matches()) {
            throw new IllegalArgumentException("not a recording id: " + recordingId);
        }
        return root.resolve(recordingId);
    }

    /** The recording's directory for writing: a real directory, not a link to one somewhere else. */
    private Path existing(String recordingId) throws IOException {
        requireRecording(recordingId);
        return dir(recordingId);
    }

    private void requireRecording(String recordingId) throws IOException {
        Path dir = dir(recordingId);
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(dir, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException("no recording " + recordingId);
        }
        if (!attributes.isDirectory()) {
            throw new UnsafeRecordingObjectException("recording " + recordingId
                    + " is not a directory of the store but "
                    + kind(attributes) + "; recordings never contain links");
        }
    }

    /** The numbers in the names of one kind of object, ascending. */
    private List<Long> numbered(String recordingId, Pattern names) throws IOException {
        List<Long> indexes = new ArrayList<>();
        try (DirectoryStream<Path> files = openRecording(recordingId)) {
            for (Path f : files) {
                Matcher m = names.matcher(f.getFileName().toString());
                if (m.matches()) {
                    indexes.add(Long.parseLong(m.group(1)));
                }
            }
        }
        indexes.sort(Long::compare);
        return indexes;
    }

    /** The recording's directory, opened without following a link (relative to the root's handle where possible). */
    private DirectoryStream<Path> openRecording(String recordingId) throws IOException {
        requireRecording(recordingId);
        Path name = Path.of(recordingId);
        DirectoryStream<Path> store = Files.newDirectoryStream(root);
        try {
            if (store instanceof SecureDirectoryStream<Path> secure) {
                try {
                    return secure.newDirectoryStream(name, LinkOption.NOFOLLOW_LINKS);
                } catch (NoSuchFileException e) {
                    throw new NoSuchFileException("no recording " + recordingId);
                } catch (FileSystemException e) {
                    // O_NOFOLLOW refused a link that replaced the directory after it was checked
                    throw new UnsafeRecordingObjectException("recording " + recordingId
                            + " changed into something else while "
                            + "being read (" + e.getReason() + "); recordings never contain links");
                }
            }
            return Files.newDirectoryStream(root.resolve(recordingId));
        } finally {
            store.close();
        }
    }

    /** One object's bytes: a regular file in the recording's directory, reached and opened without links. */
    private byte[] read(String recordingId, String object) throws IOException {
        Path name = Path.of(object);
        try (DirectoryStream<Path> recording = openRecording(recordingId)) {
            if (recording instanceof SecureDirectoryStream<Path> secure) {
                BasicFileAttributes attributes = secure.getFileAttributeView(
                                name, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                        .readAttributes();
                requireRegular(recordingId, object, attributes);
                try (SeekableByteChannel channel =
                        secure.newByteChannel(name, Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS))) {
                    return readBounded(channel, recordingId, object);
                } catch (NoSuchFileException e) {
                    throw e;
                } catch (FileSystemException e) {
                    throw new UnsafeRecordingObjectException(object + " of recording " + recordingId
                            + " changed into something else while being read (" + e.getReason() + ")");
                }
            }
        }
        // no directory handles on this platform: check the path, then open it refusing a link in its last part
        Path file = dir(recordingId).resolve(object);
        requireRegular(
                recordingId, object, Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS));
        try (SeekableByteChannel channel =
                Files.newByteChannel(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            return readBounded(channel, recordingId, object);
        }
    }

    private static void requireRegular(String recordingId, String object, BasicFileAttributes attributes)
            throws IOException {
        if (!attributes.isRegularFile()) {
            throw new UnsafeRecordingObjectException(object + " of recording " + recordingId + " is " + kind(attributes)
                    + ", not a file a recorder wrote; recordings never contain links");
        }
        if (attributes.size() > MAX_OBJECT_BYTES) {
            throw new UnsafeRecordingObjectException(object + " of recording " + recordingId + " has "
                    + attributes.size()
                    + " bytes, more than any recorder writes");
        }
    }

    private static String kind(BasicFileAttributes attributes) {
        return attributes.isSymbolicLink()
                ? "a symbolic link"
                : attributes.isDirectory() ? "a directory" : attributes.isRegularFile() ? "a file" : "a special file";
    }

    /** Reads to the end, never more than the bound (the file may have grown since its size was read). */
    private static byte[] readBounded(SeekableByteChannel channel, String recordingId, String object)
            throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(channel.size(), MAX_OBJECT_BYTES) + 1);
        ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
        long total = 0;
        while (channel.read(buffer) >= 0) {
            buffer.flip();
            total += buffer.remaining();
            if (total > MAX_OBJECT_BYTES) {
                throw new UnsafeRecordingObjectException(
                        object + " of recording " + recordingId + " has more bytes than any recorder writes");
            }
            out.write(buffer.array(), 0, buffer.remaining());
            buffer.clear();
        }
        return out.toByteArray();
    }

    /** Whether the latest object went to disk past the page cache (see {@link UnbufferedFileWriter}). */
    boolean lastWriteUnbuffered() {
        return writer.lastWriteDirect();
    }

    private void writeOnce(Path target, byte[] content) throws IOException {
        writeOnce(target, content, content.length);
    }

    private void writeOnce(Path target, byte[] content, int length) throws IOException {
        Path temp = Files.createTempFile(target.getParent(), ".incoming-", ".tmp");
        try {
            writer.writeAndForce(temp, content, length);
            // A hard link fails when the target exists: the write-once rule holds even against a racing writer.
            Files.createLink(target, temp);
            // the name is in the directory: make that durable too, or a crash could lose a chunk whose bytes were
            // synced
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
