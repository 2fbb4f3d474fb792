package dev.portcullis.bastion;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.local.Commands;
import dev.portcullis.local.Commands.Result;
import dev.portcullis.local.LocalS3;
import dev.portcullis.recording.RecordingVerifier;
import dev.portcullis.recording.s3.S3Clients;
import dev.portcullis.recording.s3.S3RecordingStorage;
import dev.portcullis.recording.s3.S3Settings;
import dev.portcullis.workflow.port.SessionIndex;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Fail closed on S3: the S3 server process is stopped while a session streams output through the bastion, then
 * started again. The live session is cut, new sessions are refused with one line, and once the store is back new
 * sessions are recorded again without restarting the bastion.
 */
class S3RecordingOutageTest {

    @Test
    void anS3OutageCutsTheLiveSessionRefusesNewOnesAndRecoversWithoutARestart(@TempDir Path dir) throws Exception {
        try (LocalS3 s3 = LocalS3.start(null, 0)) {
            S3Settings settings = new S3Settings(
                    s3.createBucket("recordings"),
                    URI.create(s3.endpoint()),
                    s3.region(),
                    "",
                    true,
                    s3.accessKeyId(),
                    s3.secretAccessKey(),
                    null,
                    null);
            try (S3Client client = S3Clients.writer(settings);
                    BastionFixture f = new BastionFixture(
                            dir, new S3RecordingStorage(client, settings, settings.segmentPrefix("bastion-test")))) {
                Path alice = f.person("alice");
                f.grants.grant("alice", BastionFixture.TARGET, f.sshd.login(), Duration.ofMinutes(10));

                Result before = Commands.run(f.ssh(alice, f.destination(), "echo recorded-on-s3"));
                assertThat(before.out()).contains("recorded-on-s3");
                String first = f.index.opened.get(0).recordingId();
                assertThat(awaitClosed(f, f.index.opened.get(0))).isNotNull();
                assertThat(RecordingVerifier.verify(f.storage, first, f.signer.publicKey())
                                .status())
                        .isEqualTo(RecordingVerifier.Status.VALID);

                Process p = BastionFixture.startProcess(
                        f.ssh(alice, f.destination(), "for i in $(seq 1 600); do echo line-$i; sleep 0.1; done"));
                var out = Commands.drain(p.getInputStream());
                var err = Commands.drain(p.getErrorStream());
                Thread.sleep(1500);
                s3.stop();
                assertThat(p.waitFor(60, TimeUnit.SECONDS))
                        .as("the live session is cut")
                        .isTrue();
                assertThat(err.get(10, TimeUnit.SECONDS))
                        .contains("portcullis: the session recording could not be stored, so the session is closed");
                assertThat(out.get(10, TimeUnit.SECONDS)).doesNotContain("line-600");
                SessionIndex.Opened cut = f.index.opened.get(f.index.opened.size() - 1);
                assertThat(awaitClosed(f, cut).status()).isEqualTo("RECORDING_FAILED");

                Result refused = Commands.run(f.ssh(alice, f.destination(), "echo should-not-run"));
                assertThat(refused.exit()).isEqualTo(1);
                assertThat(refused.out()).doesNotContain("should-not-run");
                assertThat(refused.err()).contains("session recordings cannot be stored right now");

                s3.restart();
                // the store is back: new sessions work again once the refusal pause is over, with no restart
                Result after = null;
                for (int i = 0; i < 30 && (after == null || !after.out().contains("recorded-again")); i++) {
                    Thread.sleep(2000);
                    after = Commands.run(f.ssh(alice, f.destination(), "echo recorded-again"));
                }
                assertThat(after.out()).contains("recorded-again");
                SessionIndex.Opened again = f.index.opened.get(f.index.opened.size() - 1);
                assertThat(awaitClosed(f, again)).isNotNull();
                assertThat(RecordingVerifier.verify(f.storage, again.recordingId(), f.signer.publicKey())
                                .status())
                        .isEqualTo(RecordingVerifier.Status.VALID);
                // what was stored of the cut session is still an intact, signed prefix
                assertThat(RecordingVerifier.verify(f.storage, cut.recordingId(), f.signer.publicKey())
                                .status())
                        .isEqualTo(RecordingVerifier.Status.INCOMPLETE);
            }
        }
    }

    private static SessionIndex.Closed awaitClosed(BastionFixture f, SessionIndex.Opened opened)
            throws InterruptedException {
        SessionIndex.Closed closed = null;
        for (int i = 0; i < 400 && closed == null; i++) {
            closed = f.index.closed.get(opened.sessionId());
            Thread.sleep(50);
        }
        return closed;
    }
}
