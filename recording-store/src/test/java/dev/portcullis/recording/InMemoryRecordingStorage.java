package dev.portcullis.recording;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * An object store in a map ("id/header", "id/chunk/N", "id/manifest", "id/signature") with the
 * port's write-once rules. Lets tests tamper with bytes quickly, and shows that the port needs
 * nothing a file system has and an S3 bucket lacks.
 */
public final class InMemoryRecordingStorage implements RecordingStorage {

    private final Map<String, byte[]> objects = new ConcurrentSkipListMap<>();

    /** A copy of one recording from any storage. */
    public static InMemoryRecordingStorage copyOf(RecordingStorage source, String id) throws IOException {
        InMemoryRecordingStorage copy = new InMemoryRecordingStorage();
        copy.create(id, source.header(id));
        for (long index : source.chunkIndexes(id)) {
            copy.putChunk(id, index, source.chunk(id, index));
        }
        for (long covered : source.checkpointIndexes(id)) {
            copy.putCheckpoint(id, covered, source.checkpoint(id, covered));
        }
        Optional<SignedManifest> manifest = source.manifest(id);
        if (manifest.isPresent()) {
            copy.putManifest(id, manifest.get().manifest(), manifest.get().signature());
        }
        return copy;
    }

    public static String headerKey(String id) {
        return id + "/header";
    }

    public static String chunkKey(String id, long index) {
        return id + "/chunk/" + index;
    }

    public static String checkpointKey(String id, long chunks) {
        return id + "/checkpoint/" + chunks;
    }

    /** Tampering: removes an object, which the port itself never allows. */
    public void remove(String key) {
        objects.remove(key);
    }

    public static String manifestKey(String id) {
        return id + "/manifest";
    }

    public static String signatureKey(String id) {
        return id + "/signature";
    }

    /** Tampering: replaces an object's bytes, which the port itself never allows. */
    public void overwrite(String key, byte[] bytes) {
        objects.put(key, bytes.clone());
    }

    public byte[] object(String key) {
        return objects.get(key).clone();
    }

    @Override
    public void create(String id, byte[] header) throws IOException {
        putOnce(headerKey(id), header);
    }

    @Override
    public void putChunk(String id, long index, byte[] chunk) throws IOException {
        requireExists(id);
        putOnce(chunkKey(id, index), chunk);
    }

    @Override
    public void putCheckpoint(String id, long chunks, byte[] checkpoint) throws IOException {
        requireExists(id);
        putOnce(checkpointKey(id, chunks), checkpoint);
    }

    @Override
    public List<Long> checkpointIndexes(String id) throws IOException {
        requireExists(id);
        String prefix = id + "/checkpoint/";
        return objects.keySet().stream()
                .filter(key -> key.startsWith(prefix))
                .map(key -> Long.parseLong(key.substring(prefix.length())))
                .sorted()
                .toList();
    }

    @Override
    public byte[] checkpoint(String id, long chunks) throws IOException {
        return get(checkpointKey(id, chunks));
    }

    @Override
    public void putManifest(String id, byte[] manifest, byte[] signature) throws IOException {
        requireExists(id);
        putOnce(signatureKey(id), signature);
        putOnce(manifestKey(id), manifest);
    }

    @Override
    public byte[] header(String id) throws IOException {
        return get(headerKey(id));
    }

    @Override
    public List<Long> chunkIndexes(String id) throws IOException {
        requireExists(id);
        String prefix = id + "/chunk/";
        return objects.keySet().stream()
                .filter(key -> key.startsWith(prefix))
                .map(key -> Long.parseLong(key.substring(prefix.length())))
                .sorted()
                .toList();
    }

    @Override
    public byte[] chunk(String id, long index) throws IOException {
        return get(chunkKey(id, index));
    }

    @Override
    public Optional<SignedManifest> manifest(String id) throws IOException {
        requireExists(id);
        byte[] manifest = objects.get(manifestKey(id));
        if (manifest == null) {
            return Optional.empty();
        }
        byte[] signature = objects.get(signatureKey(id));
        return Optional.of(new SignedManifest(manifest.clone(), signature == null ? new byte[0] : signature.clone()));
    }

    @Override
    public void deleteChunks(String id) throws IOException {
        header(id); // NoSuchFileException for a recording that is not there, as the file store
        objects.keySet().removeIf(key -> key.startsWith(id + "/chunk/"));
    }

    @Override
    public List<String> recordings() {
        return objects.keySet().stream()
                .filter(key -> key.endsWith("/header"))
                .map(key -> key.substring(0, key.indexOf('/')))
                .sorted()
                .toList();
    }

    private void putOnce(String key, byte[] bytes) throws IOException {
        if (objects.putIfAbsent(key, bytes.clone()) != null) {
            throw new FileAlreadyExistsException(key);
        }
    }

    private byte[] get(String key) throws IOException {
        byte[] bytes = objects.get(key);
        if (bytes == null) {
            throw new NoSuchFileException(key);
        }
        return bytes.clone();
    }

    private void requireExists(String id) throws IOException {
        if (!objects.containsKey(headerKey(id))) {
            throw new NoSuchFileException("no recording " + id);
        }
    }
}
