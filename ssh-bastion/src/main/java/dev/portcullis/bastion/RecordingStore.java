package dev.portcullis.bastion;

import dev.portcullis.bastion.health.Readiness;
import dev.portcullis.bastion.health.RecordingProbe;
import dev.portcullis.recording.FileSystemRecordingStorage;
import dev.portcullis.recording.RecordingStorage;
import dev.portcullis.recording.s3.S3Clients;
import dev.portcullis.recording.s3.S3RecordingStorage;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The store this bastion writes recordings to, as its settings choose: S3 when a bucket is set, under the prefix
 * named after this bastion's client id (one per segment: the broker finds a session's recording under the client id
 * the bastion authenticated with), else the filesystem directory. Owns the S3 client and its readiness probe.
 */
record RecordingStore(RecordingStorage storage, S3Client client, BastionSettings settings) implements AutoCloseable {

    static RecordingStore open(BastionSettings settings) {
        if (settings.recordingsS3() == null) {
            return new RecordingStore(new FileSystemRecordingStorage(settings.recordingsDir()), null, settings);
        }
        S3Client client = S3Clients.writer(settings.recordingsS3());
        return new RecordingStore(
                new S3RecordingStorage(
                        client, settings.recordingsS3(), settings.recordingsS3().segmentPrefix(settings.clientId())),
                client,
                settings);
    }

    /** The readiness check of the store: it must take a write (filesystem) or answer under our prefix (S3). */
    Readiness.Check probe() {
        return storage instanceof S3RecordingStorage s3
                ? RecordingProbe.reachable(s3)
                : RecordingProbe.writable(settings.recordingsDir());
    }

    @Override
    public void close() {
        if (client != null) {
            client.close();
        }
    }
}
