package dev.portcullis.recording.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.local.LocalS3;
import dev.portcullis.recording.RecordingClock;
import dev.portcullis.recording.RecordingFailureListener;
import dev.portcullis.recording.RecordingSigner;
import dev.portcullis.recording.RecordingVerifier;
import dev.portcullis.recording.Recordings;
import dev.portcullis.recording.SessionRecording;
import dev.portcullis.recording.WriterOptions;
import dev.portcullis.recording.event.TerminalEvent;
import dev.portcullis.recording.read.RecordingReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/** The S3 backend on a real S3 server (S3Proxy on loopback), through the recorder and reader that use it. */
class S3RecordingStorageTest {

    private static final RecordingSigner SIGNER = RecordingSigner.generate();
    private static LocalS3 server;
    private static S3Settings settings;
    private static S3Client writer;
    private static S3Client reader;

    @BeforeAll
    static void startServer() {
        server = LocalS3.start(null, 0);
        String bucket = server.createBucket("recordings");
        settings = new S3Settings(
                bucket,
                java.net.URI.create(server.endpoint()),
                server.region(),
                "portcullis/",
                true,
                server.accessKeyId(),
                server.secretAccessKey(),
                null,
                null);
        writer = S3Clients.writer(settings);
        reader = S3Clients.reader(settings);
    }

    @AfterAll
    static void stopServer() {
        writer.close();
        reader.close();
        server.close();
    }

    private static S3RecordingStorage segment(String name) {
        return new S3RecordingStorage(writer, settings, settings.segmentPrefix(name));
    }

    private static String recordSession(S3RecordingStorage storage, String marker) throws IOException {
        Recordings recordings = new Recordings(
                storage, SIGNER, WriterOptions.defaults().withMaxChunkBytes(200), RecordingClock.system());
        SessionRecording recording = recordings.start(
                recordings
                        .newMetadata()
                        .terminalSize(80, 24)
                        .attribute("user", "alice")
                        .build(),
                RecordingFailureListener.none());
        for (int i = 0; i < 40; i++) {
            recording.terminal().output(("line " + i + " " + marker + " ünïcödé\r\n").getBytes(StandardCharsets.UTF_8));
            recording.terminal().input(("key " + i).getBytes(StandardCharsets.UTF_8));
        }
        recording.close("client disconnected", 0);
        return recording.id();
    }

    @Test
    void aSessionIsWrittenChunkByChunkThenReplayedSeekedAndVerified() throws Exception {
        S3RecordingStorage storage = segment("segment-a");
        String id = recordSession(storage, "hello");

        List<Long> chunks = storage.chunkIndexes(id);
        assertThat(chunks).hasSizeGreaterThan(3);
        assertThat(storage.checkpointIndexes(id)).isNotEmpty();
        assertThat(storage.recordings()).contains(id);
        assertThat(Files.exists(server.dataDir().resolve("recordings/portcullis/segment-a/" + id + "/manifest.json")))
                .isTrue();

        S3RecordingStorage broker = new S3RecordingStorage(reader, settings, settings.segmentPrefix("segment-a"));
        assertThat(RecordingVerifier.verify(broker, id, SIGNER.publicKey()).status())
                .isEqualTo(RecordingVerifier.Status.VALID);
        RecordingReader ranged = RecordingReader.openVerified(
                broker, id, SIGNER.publicKey(), new RecordingVerifier.Expected(true, true, Map.of("user", "alice")));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ranged.exportBytes(out, TerminalEvent.Type.OUTPUT);
        assertThat(out.toString(StandardCharsets.UTF_8))
                .startsWith("line 0 hello ünïcödé\r\n")
                .endsWith("line 39 hello ünïcödé\r\n");
        try (var from = ranged.terminalEventsFrom(0.0)) {
            assertThat(from.map(TerminalEvent::data).toList()).last().asString().isEqualTo("key 39");
        }
    }

    @Test
    void anObjectReplacedBehindTheBastionsBackIsTampered() throws Exception {
        S3RecordingStorage storage = segment("segment-a");
        String id = recordSession(storage, "original");
        String key = storage.key(id, S3RecordingStorage.chunkName(2));
        byte[] chunk = storage.chunk(id, 2);
        byte[] forged = new String(chunk, StandardCharsets.ISO_8859_1)
                .replace("original", "innocent")
                .getBytes(StandardCharsets.ISO_8859_1);
        // S3Proxy ignores If-None-Match and replaces the object: write-once cannot rest on the server
        writer.putObject(b -> b.bucket(settings.bucket()).key(key).ifNoneMatch("*"), RequestBody.fromBytes(forged));
        byte[] stored = storage.chunk(id, 2);
        assertThat(stored).isNotEqualTo(chunk);

        RecordingVerifier.Verification v = RecordingVerifier.verify(storage, id, SIGNER.publicKey());
        assertThat(v.status()).isEqualTo(RecordingVerifier.Status.TAMPERED);
        RecordingReader ranged = RecordingReader.openVerified(
                storage, id, SIGNER.publicKey(), new RecordingVerifier.Expected(true, true, Map.of("user", "alice")));
        assertThatThrownBy(() -> ranged.exportBytes(new ByteArrayOutputStream(), TerminalEvent.Type.OUTPUT))
                .isInstanceOf(IOException.class);
    }

    @Test
    void theBastionNeverWritesAKeyTwice() throws Exception {
        S3RecordingStorage storage = segment("segment-a");
        String id = "rec-" + UUID.randomUUID();
        storage.create(id, "{\"header\":1}".getBytes(StandardCharsets.UTF_8));
        storage.putChunk(id, 1, "first".getBytes(StandardCharsets.UTF_8));

        assertThatThrownBy(() -> storage.putChunk(id, 1, "second".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(FileAlreadyExistsException.class)
                .hasMessageContaining("write-once");
        assertThatThrownBy(() -> storage.create(id, "{}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(FileAlreadyExistsException.class);
        // another bastion process on the same prefix never writes into a recording it did not create
        S3RecordingStorage other = segment("segment-a");
        assertThatThrownBy(() -> other.putChunk(id, 2, "x".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(FileAlreadyExistsException.class);
        assertThatThrownBy(() -> other.putManifest(id, new byte[1], new byte[1]))
                .isInstanceOf(FileAlreadyExistsException.class);
        assertThat(storage.chunk(id, 1)).asString(StandardCharsets.UTF_8).isEqualTo("first");
    }

    @Test
    void eachSegmentSeesOnlyItsOwnPrefix() throws Exception {
        String id = recordSession(segment("segment-b"), "b");
        assertThat(segment("segment-b").recordings()).contains(id);
        assertThat(segment("segment-c").recordings()).doesNotContain(id);
        assertThatThrownBy(() -> segment("segment-c").header(id)).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> settings.segmentPrefix("../segment-b")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void deletingChunksKeepsHeaderCheckpointsManifestAndSignature() throws Exception {
        S3RecordingStorage storage = segment("segment-a");
        String id = recordSession(storage, "expiring");
        storage.deleteChunks(id);
        storage.deleteChunks(id); // already gone: nothing to do
        assertThat(storage.chunkIndexes(id)).isEmpty();
        assertThat(storage.header(id)).isNotEmpty();
        assertThat(storage.checkpointIndexes(id)).isNotEmpty();
        assertThat(storage.manifest(id)).isPresent();
    }

    @Test
    void anUnreachableStoreFailsAtOnceWithOneLine() {
        S3Settings nowhere = new S3Settings(
                "recordings",
                java.net.URI.create("http://127.0.0.1:1"),
                "us-east-1",
                "",
                true,
                "id",
                "secret",
                null,
                null);
        try (S3Client client = S3Clients.writer(nowhere)) {
            S3RecordingStorage storage = new S3RecordingStorage(client, nowhere, "");
            assertThatThrownBy(() -> storage.create("r1", new byte[] {1}))
                    .isInstanceOf(IOException.class)
                    .hasMessageStartingWith("S3 head of s3://recordings/r1/header.json failed: ")
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        }
    }

    @Test
    void badSettingsAreRefusedInOneLine() {
        Map<String, String> env = Map.of("PORTCULLIS_RECORDINGS_S3_BUCKET", "Bad_Bucket");
        assertThatThrownBy(() -> S3Settings.read(env::get, S3Settings.environmentNames()))
                .hasMessageStartingWith("PORTCULLIS_RECORDINGS_S3_*: the recordings bucket must be");
        Map<String, String> half =
                Map.of("portcullis.recordings.s3.bucket", "recordings", "portcullis.recordings.s3.access-key-id", "id");
        assertThatThrownBy(() -> S3Settings.read(half::get, S3Settings.propertyNames()))
                .hasMessageContaining("access key id and secret access key go together");
        assertThat(S3Settings.read(Map.<String, String>of()::get, S3Settings.environmentNames()))
                .isNull();
    }
}
