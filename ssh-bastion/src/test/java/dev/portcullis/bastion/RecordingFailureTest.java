package dev.portcullis.bastion;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.local.Commands;
import dev.portcullis.local.Commands.Result;
import dev.portcullis.recording.FileSystemRecordingStorage;
import dev.portcullis.recording.RecordingStorage;
import dev.portcullis.recording.RecordingVerifier;
import dev.portcullis.workflow.port.SessionIndex;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Fail closed: when recordings cannot be stored, sessions stop and new ones are refused, with a clear message. */
class RecordingFailureTest {

    @Test
    void aFullDiskCutsTheLiveSessionAndRefusesNewOnes(@TempDir Path dir) throws Exception {
        DiskWithQuota disk = new DiskWithQuota(new FileSystemRecordingStorage(dir.resolve("recordings")), 64 * 1024);
        try (BastionFixture f = new BastionFixture(dir, disk)) {
            Path alice = f.person("alice");
            f.grants.grant("alice", BastionFixture.TARGET, f.sshd.login(), Duration.ofMinutes(10));
            // a steady stream of output, far more than the disk holds
            Process p = BastionFixture.startProcess(f.ssh(
                    alice,
                    f.destination(),
                    "for i in $(seq 1 100000); do echo line-$i-of-output-that-fills-the-disk; sleep 0.001; done"));
            var out = Commands.drain(p.getInputStream());
            var err = Commands.drain(p.getErrorStream());
            assertThat(p.waitFor(120, TimeUnit.SECONDS))
                    .as("the session is cut, not left running")
                    .isTrue();
            assertThat(err.get(10, TimeUnit.SECONDS))
                    .contains("portcullis: the session recording could not be stored, so the session is closed");
            assertThat(out.get(10, TimeUnit.SECONDS)).doesNotContain("line-100000-");

            SessionIndex.Opened opened = f.index.opened.get(f.index.opened.size() - 1);
            SessionIndex.Closed closed = null;
            for (int i = 0; i < 200 && closed == null; i++) {
                closed = f.index.closed.get(opened.sessionId());
                Thread.sleep(50);
            }
            assertThat(closed).isNotNull();
            assertThat(closed.status()).isEqualTo("RECORDING_FAILED");
            // keystrokes are stored before they are forwarded; output may trail storage by one flush interval (1 s),
            // after which a failed write cuts the session: the stored prefix is intact and verifies as incomplete
            assertThat(RecordingVerifier.verify(disk, opened.recordingId(), f.signer.publicKey())
                            .status())
                    .isEqualTo(RecordingVerifier.Status.INCOMPLETE);

            // while the disk stays full, new sessions are refused before reaching the target
            Result refused = Commands.run(f.ssh(alice, f.destination(), "echo should-not-run"));
            assertThat(refused.exit()).isEqualTo(1);
            assertThat(refused.out()).doesNotContain("should-not-run");
            assertThat(refused.err())
                    .contains("portcullis: session recordings cannot be stored right now, so sessions are refused");
        }
    }

    @Test
    void anUnwritableStoreRefusesSessions(@TempDir Path dir) throws Exception {
        Path notADirectory = dir.resolve("recordings-is-a-file");
        Files.writeString(notADirectory, "not a directory");
        try (BastionFixture f = new BastionFixture(dir, new FileSystemRecordingStorage(notADirectory))) {
            Path alice = f.person("alice");
            f.grants.grant("alice", BastionFixture.TARGET, f.sshd.login(), Duration.ofMinutes(10));
            Result r = Commands.run(f.ssh(alice, f.destination(), "echo should-not-run"));
            assertThat(r.exit()).isEqualTo(1);
            assertThat(r.out()).isEmpty();
            assertThat(r.err()).contains("session recordings cannot be stored right now");
            assertThat(f.index.opened)
                    .as("nothing reached the target, nothing was indexed")
                    .isEmpty();
        }
    }

    @Test
    void aForwardIsRefusedWhileRecordingsAreFailing(@TempDir Path dir) throws Exception {
        DiskWithQuota disk = new DiskWithQuota(new FileSystemRecordingStorage(dir.resolve("recordings")), 0);
        try (BastionFixture f = new BastionFixture(dir, disk)) {
            Path alice = f.person("alice");
            f.grants.grant("alice", BastionFixture.TARGET, f.sshd.login(), Duration.ofMinutes(10));
            f.grants.grant("alice", BastionFixture.TARGET + "-fwd", f.sshd.login(), Duration.ofMinutes(10));
            Result refused = Commands.run(f.ssh(alice, f.destination(), "echo should-not-run"));
            assertThat(refused.err()).contains("session recordings cannot be stored right now");
            // the disk has room again, but the store failed moments ago: sessions stay paused, forwards too
            disk.quota = Long.MAX_VALUE;
            BastionFixture.Forward forward =
                    f.forwardAndRead(alice, f.sshd.login() + "+" + BastionFixture.TARGET + "-fwd");
            assertThat(forward.line()).as("nothing reached the target").isEmpty();
            assertThat(forward.errors()).contains("administratively prohibited: session recordings cannot be stored");
            assertThat(f.index.opened).as("nothing was indexed").isEmpty();
        }
    }

    /** A disk that fills up: the filesystem store until {@code quota} bytes, then "No space left on device". */
    static final class DiskWithQuota implements RecordingStorage {
        private final RecordingStorage inner;
        /** An operator may free space while the bastion runs. */
        volatile long quota;

        final AtomicLong stored = new AtomicLong();

        DiskWithQuota(RecordingStorage inner, long quota) {
            this.inner = inner;
            this.quota = quota;
        }

        private void take(long n) throws IOException {
            if (stored.get() + n > quota) {
                throw new IOException("No space left on device");
            }
            stored.addAndGet(n);
        }

        @Override
        public void create(String id, byte[] header) throws IOException {
            take(header.length);
            inner.create(id, header);
        }

        @Override
        public void putChunk(String id, long index, byte[] chunk) throws IOException {
            take(chunk.length);
            inner.putChunk(id, index, chunk);
        }

        @Override
        public void putCheckpoint(String id, long chunks, byte[] checkpoint) throws IOException {
            take(checkpoint.length);
            inner.putCheckpoint(id, chunks, checkpoint);
        }

        @Override
        public List<Long> checkpointIndexes(String id) throws IOException {
            return inner.checkpointIndexes(id);
        }

        @Override
        public byte[] checkpoint(String id, long chunks) throws IOException {
            return inner.checkpoint(id, chunks);
        }

        @Override
        public void putManifest(String id, byte[] manifest, byte[] signature) throws IOException {
            take(manifest.length + signature.length);
            inner.putManifest(id, manifest, signature);
        }

        @Override
        public byte[] header(String id) throws IOException {
            return inner.header(id);
        }

        @Override
        public List<Long> chunkIndexes(String id) throws IOException {
            return inner.chunkIndexes(id);
        }

        @Override
        public void deleteChunks(String id) throws IOException {
            inner.deleteChunks(id);
        }

        @Override
        public byte[] chunk(String id, long index) throws IOException {
            return inner.chunk(id, index);
        }

        @Override
        public Optional<SignedManifest> manifest(String id) throws IOException {
            return inner.manifest(id);
        }

        @Override
        public List<String> recordings() throws IOException {
            return inner.recordings();
        }
    }
}
