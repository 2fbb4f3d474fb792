package dev.portcullis.bastion;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.bastion.server.ChannelLimits;
import dev.portcullis.local.Commands;
import dev.portcullis.local.LocalSshd;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A session ended while the bastion is still reaching its target: the target sits behind a relay that holds its
 * answers until the test has ended the grant, so the end deterministically comes before the target's channel opens.
 */
class SessionEndedWhileOpeningTest {

    @TempDir
    static Path dir;

    static HeldTarget target;
    static BastionFixture f;
    static Path alice;

    @BeforeAll
    static void start() throws IOException {
        target = new HeldTarget(LocalSshd.shared().port());
        f = new BastionFixture(dir, null, ChannelLimits.Settings.defaults(), target.port());
        alice = f.person("alice");
    }

    @AfterAll
    static void stop() throws IOException {
        if (f != null) {
            f.close();
        }
        if (target != null) {
            target.close();
        }
    }

    @Test
    void aGrantEndedBeforeTheTargetAnswersEndsTheSessionWithTheMessageAndRelaysNothingOfIt() throws Exception {
        UUID grant = f.grants.grant("alice", BastionFixture.TARGET, f.sshd.login(), Duration.ofMinutes(10));
        Process p = BastionFixture.startProcess(f.ssh(alice, f.destination(), "echo started; sleep 120"));
        var out = Commands.drain(p.getInputStream());
        var err = Commands.drain(p.getErrorStream());
        for (int i = 0; i < 200 && f.bastion.liveSessions().sessionsOf(grant).isEmpty(); i++) {
            Thread.sleep(50);
        }
        assertThat(f.bastion.liveSessions().sessionsOf(grant)).isNotEmpty();

        f.bastion.liveSessions().grantEnded(grant, "your grant for x was revoked: incident closed");
        target.release(); // the target's channel now opens, after the end

        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(err.get(10, TimeUnit.SECONDS)).contains("portcullis: your grant for x was revoked: incident closed");
        assertThat(out.get(10, TimeUnit.SECONDS))
                .as("nothing of a session that was ended reaches the user")
                .doesNotContain("started");
        assertThat(f.index.awaitClosed(f.index.lastOpened().sessionId()).status())
                .isEqualTo("GRANT_ENDED");
    }

    /** A loopback relay to sshd that passes the bastion's bytes on at once and sshd's only once released. */
    static final class HeldTarget implements AutoCloseable {
        private final ServerSocket server = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
        private final int sshdPort;
        private final CountDownLatch released = new CountDownLatch(1);
        private final List<Socket> sockets = new CopyOnWriteArrayList<>();

        HeldTarget(int sshdPort) throws IOException {
            this.sshdPort = sshdPort;
            Thread accept = new Thread(this::accept, "held-target");
            accept.setDaemon(true);
            accept.start();
        }

        int port() {
            return server.getLocalPort();
        }

        void release() {
            released.countDown();
        }

        private void accept() {
            while (!server.isClosed()) {
                try {
                    Socket bastion = server.accept();
                    Socket sshd = new Socket(InetAddress.getLoopbackAddress(), sshdPort);
                    sockets.add(bastion);
                    sockets.add(sshd);
                    pump(bastion.getInputStream(), sshd.getOutputStream(), false);
                    pump(sshd.getInputStream(), bastion.getOutputStream(), true);
                } catch (IOException e) {
                    return; // closed
                }
            }
        }

        private void pump(InputStream in, OutputStream out, boolean held) {
            Thread t = new Thread(
                    () -> {
                        try (in;
                                out) {
                            if (held && !released.await(30, TimeUnit.SECONDS)) {
                                return;
                            }
                            in.transferTo(out);
                        } catch (IOException e) {
                            // one side closed
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    },
                    "held-target-pump");
            t.setDaemon(true);
            t.start();
        }

        @Override
        public void close() throws IOException {
            released.countDown();
            server.close();
            for (Socket s : sockets) {
                s.close();
            }
        }
    }
}
