package dev.portcullis.recording.s3;

import dev.portcullis.recording.RecordingStorage;
import dev.portcullis.recording.UnsafeRecordingObjectException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.ObjectLockMode;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Recordings as S3 objects: {@code PREFIX<id>/header.json}, {@code chunk-00000001.bin} ...,
 * {@code checkpoint-00000001.sig} ..., {@code manifest.sig}, then {@code manifest.json} (its presence means
 * "closed"), the same names as on the filesystem. One object per chunk, put as the writer closes it, so nothing is
 * buffered beyond the chunk at hand, and a reader fetches only the chunks it needs.
 *
 * <p>Write-once does not rest on the server alone. Every object is put with {@code If-None-Match: *} (AWS S3 and MinIO
 * refuse to replace a key; some servers ignore the header); this instance never writes a key twice (each recording's
 * chunks and checkpoints only go forward, and only recordings it created); the writing client does not retry a put
 * (see {@link S3Clients}); and the hash chain and signatures catch an object replaced behind the bastion's back. With
 * {@link S3Settings#objectLock()} every object also carries an Object Lock retention the bucket enforces.
 */
public final class S3RecordingStorage implements RecordingStorage {

    /** Larger than any object a recorder writes, small enough for memory (as on the filesystem). */
    static final long MAX_OBJECT_BYTES = 64L * 1024 * 1024;

    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    private static final Pattern CHUNK = Pattern.compile("chunk-(\\d{8})\\.bin");
    private static final Pattern CHECKPOINT = Pattern.compile("checkpoint-(\\d{8})\\.sig");

    private final S3Client s3;
    private final S3Settings settings;
    private final String prefix;
    /** What this instance has written of each recording it created and has not closed yet. */
    private final Map<String, Written> open = new ConcurrentHashMap<>();

    /** How far one open recording has been written: objects only go forward, so no key is ever put twice. */
    private static final class Written {
        long chunks;
        long checkpoint = -1;
    }

    /**
     * @param s3     the client (see {@link S3Clients}); closed by its owner, not here
     * @param prefix the key prefix of this store: {@code settings.prefix()} or one segment's
     *               ({@link S3Settings#segmentPrefix(String)})
     */
    public S3RecordingStorage(S3Client s3, S3Settings settings, String prefix) {
        this.s3 = s3;
        this.settings = settings;
        if (!prefix.startsWith(settings.prefix())) {
            throw new IllegalArgumentException("prefix " + prefix + " is outside " + settings.prefix());
        }
        this.prefix = prefix;
    }

    public String describe() {
        return "s3://" + settings.bucket() + "/" + prefix;
    }

    /** Lists at most one key under this store's prefix: the bucket answers and the credentials are accepted. */
    public void probe() throws IOException {
        call(
                "list",
                prefix,
                () -> s3.listObjectsV2(
                        b -> b.bucket(settings.bucket()).prefix(prefix).maxKeys(1)));
    }

    @Override
    public void create(String recordingId, byte[] header) throws IOException {
        String key = key(recordingId, "header.json");
        if (exists(key)) {
            throw new FileAlreadyExistsException("recording " + recordingId + " exists already in " + describe());
        }
        if (open.putIfAbsent(recordingId, new Written()) != null) {
            throw new FileAlreadyExistsException("recording " + recordingId + " exists already");
        }
        try {
            putOnce(key, header);
        } catch (IOException | RuntimeException e) {
            open.remove(recordingId);
            throw e;
        }
    }

    @Override
    public void putChunk(String recordingId, long index, byte[] chunk) throws IOException {
        Written written = ownOpen(recordingId);
        synchronized (written) {
            if (index != written.chunks + 1) {
                throw new FileAlreadyExistsException("chunk " + index + " of recording " + recordingId
                        + " is not the next one (" + (written.chunks + 1) + "); recordings are write-once");
            }
            putOnce(key(recordingId, chunkName(index)), chunk);
            written.chunks = index;
        }
    }

    @Override
    public void putCheckpoint(String recordingId, long chunks, byte[] checkpoint) throws IOException {
        Written written = ownOpen(recordingId);
        synchronized (written) {
            if (chunks <= written.checkpoint || chunks > written.chunks) {
                throw new FileAlreadyExistsException("a checkpoint of recording " + recordingId + " over " + chunks
                        + " chunks is out of order; recordings are write-once");
            }
            putOnce(key(recordingId, checkpointName(chunks)), checkpoint);
            written.checkpoint = chunks;
        }
    }

    @Override
    public void putManifest(String recordingId, byte[] manifest, byte[] signature) throws IOException {
        Written written = ownOpen(recordingId);
        synchronized (written) {
            putOnce(key(recordingId, "manifest.sig"), signature);
            putOnce(key(recordingId, "manifest.json"), manifest); // last: its presence means "closed"
            open.remove(recordingId);
        }
    }

    @Override
    public byte[] header(String recordingId) throws IOException {
        try {
            return get(key(recordingId, "header.json"));
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException("no recording " + recordingId + " in " + describe());
        }
    }

    @Override
    public List<Long> chunkIndexes(String recordingId) throws IOException {
        return numbered(recordingId, "chunk-", CHUNK);
    }

    @Override
    public byte[] chunk(String recordingId, long index) throws IOException {
        return get(key(recordingId, chunkName(index)));
    }

    @Override
    public List<Long> checkpointIndexes(String recordingId) throws IOException {
        return numbered(recordingId, "checkpoint-", CHECKPOINT);
    }

    @Override
    public byte[] checkpoint(String recordingId, long chunks) throws IOException {
        return get(key(recordingId, checkpointName(chunks)));
    }

    @Override
    public Optional<SignedManifest> manifest(String recordingId) throws IOException {
        byte[] manifest;
        try {
            manifest = get(key(recordingId, "manifest.json"));
        } catch (NoSuchFileException e) {
            if (!exists(key(recordingId, "header.json"))) {
                throw new NoSuchFileException("no recording " + recordingId + " in " + describe());
            }
            return Optional.empty();
        }
        byte[] signature;
        try {
            signature = get(key(recordingId, "manifest.sig"));
        } catch (NoSuchFileException e) {
            signature = new byte[0];
        }
        return Optional.of(new SignedManifest(manifest, signature));
    }

    @Override
    public List<String> recordings() throws IOException {
        List<String> ids = new ArrayList<>();
        String token = null;
        do {
            ListObjectsV2Request.Builder request = ListObjectsV2Request.builder()
                    .bucket(settings.bucket())
                    .prefix(prefix)
                    .delimiter("/");
            if (token != null) {
                request.continuationToken(token);
            }
            ListObjectsV2Response page = call("list", prefix, () -> s3.listObjectsV2(request.build()));
            for (CommonPrefix p : page.commonPrefixes()) {
                String name = p.prefix().substring(prefix.length(), p.prefix().length() - 1);
                if (ID.matcher(name).matches()) {
                    ids.add(name);
                }
            }
            token = Boolean.TRUE.equals(page.isTruncated()) ? page.nextContinuationToken() : null;
        } while (token != null);
        ids.sort(null);
        return ids;
    }

    @Override
    public void deleteChunks(String recordingId) throws IOException {
        for (long index : chunkIndexes(recordingId)) {
            String key = key(recordingId, chunkName(index));
            call(
                    "delete",
                    key,
                    () -> s3.deleteObject(b -> b.bucket(settings.bucket()).key(key)));
        }
    }

    /** The object keys of one recording, for tests and tools that inspect the bucket. */
    public String key(String recordingId, String object) {
        if (recordingId == null || !ID.matcher(recordingId).matches()) {
            throw new IllegalArgumentException("not a recording id: " + recordingId);
        }
        return prefix + recordingId + "/" + object;
    }

    public static String chunkName(long index) {
        if (index < 1 || index > 99_999_999) {
            throw new IllegalArgumentException("chunk index out of range: " + index);
        }
        return String.format("chunk-%08d.bin", index);
    }

    private static String checkpointName(long chunks) {
        if (chunks < 0 || chunks > 99_999_999) {
            throw new IllegalArgumentException("checkpoint index out of range: " + chunks);
        }
        return String.format("checkpoint-%08d.sig", chunks);
    }

    private Written ownOpen(String recordingId) throws IOException {
        Written written = open.get(recordingId);
        if (written == null) {
            throw new FileAlreadyExistsException("recording " + recordingId + " is not one this bastion has open; "
                    + "it writes only recordings it created, once");
        }
        return written;
    }

    /**
     * Puts a new object, refusing to replace one. A server that answers 412 (the key exists) is asked for the
     * object: the same bytes mean an earlier attempt of this very put arrived, anything else is refused.
     */
    private void putOnce(String key, byte[] content) throws IOException {
        PutObjectRequest.Builder request = PutObjectRequest.builder()
                .bucket(settings.bucket())
                .key(key)
                .ifNoneMatch("*")
                .contentLength((long) content.length);
        if (settings.objectLock() != null) {
            request.objectLockMode(ObjectLockMode.fromValue(settings.objectLock()))
                    .objectLockRetainUntilDate(Instant.now().plus(settings.lockFor()));
        }
        try {
            s3.putObject(request.build(), RequestBody.fromBytes(content));
        } catch (S3Exception e) {
            if (e.statusCode() == 412 || e.statusCode() == 409) {
                byte[] stored;
                try {
                    stored = get(key);
                } catch (IOException again) {
                    stored = null;
                }
                if (stored != null && Arrays.equals(stored, content)) {
                    return;
                }
                throw new FileAlreadyExistsException(
                        "s3://" + settings.bucket() + "/" + key + " exists already; recordings are write-once");
            }
            throw failure("put", key, e);
        } catch (SdkException e) {
            throw failure("put", key, e);
        }
    }

    private boolean exists(String key) throws IOException {
        try {
            s3.headObject(HeadObjectRequest.builder()
                    .bucket(settings.bucket())
                    .key(key)
                    .build());
            return true;
        } catch (NoSuchKeyException e) {
            return false;
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return false;
            }
            throw failure("head", key, e);
        } catch (SdkException e) {
            throw failure("head", key, e);
        }
    }

    /** One object whole: a chunk is one object of at most a few MiB, so a seek fetches only what it reads. */
    private byte[] get(String key) throws IOException {
        GetObjectRequest request =
                GetObjectRequest.builder().bucket(settings.bucket()).key(key).build();
        try (ResponseInputStream<GetObjectResponse> in = s3.getObject(request)) {
            Long length = in.response().contentLength();
            if (length != null && length > MAX_OBJECT_BYTES) {
                throw new UnsafeRecordingObjectException(
                        key + " has " + length + " bytes, more than any recorder writes");
            }
            return readBounded(in, key);
        } catch (NoSuchKeyException e) {
            throw new NoSuchFileException("s3://" + settings.bucket() + "/" + key);
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                throw new NoSuchFileException("s3://" + settings.bucket() + "/" + key);
            }
            throw failure("get", key, e);
        } catch (SdkException e) {
            throw failure("get", key, e);
        }
    }

    private static byte[] readBounded(InputStream in, String key) throws IOException {
        byte[] bytes = in.readNBytes((int) MAX_OBJECT_BYTES + 1);
        if (bytes.length > MAX_OBJECT_BYTES) {
            throw new UnsafeRecordingObjectException(key + " has more bytes than any recorder writes");
        }
        return bytes;
    }

    /** The numbers in the names of one kind of object, ascending. */
    private List<Long> numbered(String recordingId, String kind, Pattern names) throws IOException {
        String base = key(recordingId, "");
        List<Long> indexes = new ArrayList<>();
        String token = null;
        do {
            ListObjectsV2Request.Builder request =
                    ListObjectsV2Request.builder().bucket(settings.bucket()).prefix(base + kind);
            if (token != null) {
                request.continuationToken(token);
            }
            ListObjectsV2Response page = call("list", base + kind, () -> s3.listObjectsV2(request.build()));
            for (S3Object object : page.contents()) {
                Matcher m = names.matcher(object.key().substring(base.length()));
                if (m.matches()) {
                    indexes.add(Long.parseLong(m.group(1)));
                }
            }
            token = Boolean.TRUE.equals(page.isTruncated()) ? page.nextContinuationToken() : null;
        } while (token != null);
        if (indexes.isEmpty() && !exists(key(recordingId, "header.json"))) {
            throw new NoSuchFileException("no recording " + recordingId + " in " + describe());
        }
        indexes.sort(Long::compare);
        return indexes;
    }

    private interface Call<T> {
        T run();
    }

    private <T> T call(String what, String key, Call<T> call) throws IOException {
        try {
            return call.run();
        } catch (SdkException e) {
            throw failure(what, key, e);
        }
    }

    /** One line for the operator: what failed on which object, and the server's or client's reason. */
    private IOException failure(String what, String key, SdkException e) {
        String reason = e instanceof S3Exception s && s.awsErrorDetails() != null
                ? s.statusCode() + " " + s.awsErrorDetails().errorCode() + " "
                        + s.awsErrorDetails().errorMessage()
                : String.valueOf(e.getMessage());
        return new IOException(
                "S3 " + what + " of s3://" + settings.bucket() + "/" + key + " failed: "
                        + reason.lines().findFirst().orElse(""),
                e);
    }
}
