package dev.portcullis.bastion;

import dev.portcullis.local.LocalS3;
import dev.portcullis.recording.RecordingStorage;
import dev.portcullis.recording.s3.S3Clients;
import dev.portcullis.recording.s3.S3RecordingStorage;
import dev.portcullis.recording.s3.S3Settings;
import java.net.URI;

/**
 * The S3 store for benchmarks run with {@code -Dbench.recordings=s3} (deploy/bench/s3.sh): this JVM's S3Proxy, one
 * bucket, the bastion's S3 client. The same harnesses then measure the bastion recording to S3.
 */
final class BenchS3 {

    static final boolean ON = "s3".equals(System.getProperty("bench.recordings"));

    private BenchS3() {}

    static RecordingStorage storage(String segment) {
        LocalS3 server = LocalS3.shared();
        S3Settings settings = new S3Settings(
                server.createBucket("recordings"),
                URI.create(server.endpoint()),
                server.region(),
                "",
                true,
                server.accessKeyId(),
                server.secretAccessKey(),
                null,
                null);
        return new S3RecordingStorage(S3Clients.writer(settings), settings, settings.segmentPrefix(segment));
    }

    /** What a recording holds in the store: its header and chunks, in bytes (as the file store's size on disk). */
    static long storedBytes(RecordingStorage storage, String id) throws java.io.IOException {
        long bytes = storage.header(id).length;
        for (long index : storage.chunkIndexes(id)) {
            bytes += storage.chunk(id, index).length;
        }
        return bytes;
    }
}
