package dev.portcullis.broker;

import dev.portcullis.recording.ChunkChain;
import dev.portcullis.recording.FileSystemRecordingStorage;
import dev.portcullis.recording.RecordingClock;
import dev.portcullis.recording.RecordingFailureListener;
import dev.portcullis.recording.RecordingKeys;
import dev.portcullis.recording.RecordingSigner;
import dev.portcullis.recording.RecordingStorage;
import dev.portcullis.recording.Recordings;
import dev.portcullis.recording.SessionRecording;
import dev.portcullis.recording.WriterOptions;
import dev.portcullis.recording.s3.S3Clients;
import dev.portcullis.recording.s3.S3RecordingStorage;
import dev.portcullis.recording.s3.S3Settings;
import io.restassured.response.Response;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * What a bastion does around a session, with one of the key pairs the test broker trusts (or another): it records into
 * the broker's recording store with the header attributes the real bastion writes, and registers the session over the
 * internal API naming its key.
 */
public final class TestBastion {

    final RecordingSigner signer;
    final Recordings recordings;
    final Path store;

    private TestBastion(RecordingSigner signer) {
        this(signer, RecordingClock.system());
    }

    private TestBastion(RecordingSigner signer, RecordingClock clock) {
        this.signer = signer;
        this.store = Path.of(ConfigProvider.getConfig().getValue("portcullis.recordings.dir", String.class));
        this.recordings = new Recordings(storage(store), signer, WriterOptions.defaults(), clock);
    }

    /**
     * The broker's recording store as a bastion writes it: the directory, or with S3 settings the prefix of the test
     * bastion's client, the one the broker reads a session's recording under.
     */
    static RecordingStorage storage(Path store) {
        var config = ConfigProvider.getConfig();
        S3Settings s3 = S3Settings.read(
                name -> config.getOptionalValue(name, String.class).orElse(null), S3Settings.propertyNames());
        if (s3 == null) {
            return new FileSystemRecordingStorage(store);
        }
        return new S3RecordingStorage(
                S3Clients.writer(s3),
                s3,
                s3.segmentPrefix(dev.portcullis.local.LocalKeycloak.shared().bastionClientId()));
    }

    /** The same bastion, recording event times from {@code clock} (to place events at chosen times). */
    public TestBastion withClock(RecordingClock clock) {
        return new TestBastion(signer, clock);
    }

    /** The bastion whose key is first in portcullis.recordings.trusted-keys. */
    public static TestBastion trusted() {
        return withKeyPair(BrokerTestEnvironment.RECORDING_PRIVATE_KEY, BrokerTestEnvironment.RECORDING_PUBLIC_KEY);
    }

    /** Another bastion, whose key the broker trusts as well. */
    static TestBastion otherTrusted() {
        return withKeyPair(
                BrokerTestEnvironment.OTHER_RECORDING_PRIVATE_KEY, BrokerTestEnvironment.OTHER_RECORDING_PUBLIC_KEY);
    }

    static TestBastion untrusted() {
        return new TestBastion(RecordingSigner.generate());
    }

    private static TestBastion withKeyPair(String privateKey, String publicKey) {
        String first = ConfigProvider.getConfig()
                .getValue("portcullis.recordings.trusted-keys", String.class)
                .split(",")[0]
                .strip();
        Path state = Path.of(first).getParent().getParent(); // <state>/bastion/recording-key.pub.pem
        try {
            return new TestBastion(RecordingKeys.load(state.resolve(privateKey), state.resolve(publicKey)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String keyId() {
        return ChunkChain.sha256(signer.publicKey().getEncoded());
    }

    /** Starts a recording whose header names the session as the bastion's does. */
    public SessionRecording start(UUID session, String user, String grant) throws IOException {
        return recordings.start(
                recordings
                        .newMetadata()
                        .terminalSize(80, 24)
                        .title(user + " as ubuntu@prod-web-1")
                        .recordInput(true)
                        .attribute("user", user)
                        .attribute("login", "ubuntu")
                        .attribute("target", "prod-web-1")
                        .attribute("grant", grant)
                        .attribute("session", session.toString())
                        .attribute("bastion", "bastion-a")
                        .attribute("channel", "shell")
                        .build(),
                RecordingFailureListener.none());
    }

    /** Registers the session with this bastion's key. */
    public Response register(UUID session, String user, String grant, String recordingId) {
        Map<String, Object> body = SessionIndexTest.opened(session, grant, user, recordingId, Instant.now());
        body.put("recordingKey", recordingId == null ? null : keyId());
        return Api.asBastion().body(body).post("/internal/v1/sessions");
    }

    public static void end(UUID session, String status) {
        Api.asBastion()
                .body(SessionIndexTest.ended(Instant.now(), 5, 60, status, null))
                .post("/internal/v1/sessions/" + session + "/end")
                .then()
                .statusCode(200);
    }
}
