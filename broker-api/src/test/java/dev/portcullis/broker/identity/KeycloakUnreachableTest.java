package dev.portcullis.broker.identity;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.broker.BrokerTestEnvironment;
import dev.portcullis.workflow.port.IdentityDirectory.DirectoryUnavailableException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * When Keycloak cannot answer, a decision that needs it fails with a clear error (the API turns it into 503 and
 * refuses), never with an approval, and never by hanging: a Keycloak that accepts connections and then says nothing
 * is given up on after the directory's timeout.
 */
@QuarkusTest
@QuarkusTestResource(BrokerTestEnvironment.class)
class KeycloakUnreachableTest {

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aKeycloakThatRefusesConnectionsFailsEveryKindOfLookup() throws IOException {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        KeycloakDirectory directory = new KeycloakDirectory(
                "http://127.0.0.1:" + closed, "portcullis", "portcullis-broker", "not-the-secret", 2, Duration.ZERO);
        try {
            assertThatThrownBy(() -> directory.lookup("bob"))
                    .isInstanceOf(DirectoryUnavailableException.class)
                    .hasMessageContaining("bob");
            assertThatThrownBy(() -> directory.lookup("bob", Set.of("/sre-approvers")))
                    .isInstanceOf(DirectoryUnavailableException.class)
                    .hasMessageContaining("sre-approvers");
        } finally {
            directory.close();
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aKeycloakThatAcceptsButNeverAnswersIsGivenUpOn() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            List<Socket> held = new ArrayList<>();
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        held.add(silent.accept()); // read nothing, answer nothing
                    }
                } catch (IOException closedAtEnd) {
                    // the test is over
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            KeycloakDirectory directory = new KeycloakDirectory(
                    "http://127.0.0.1:" + silent.getLocalPort(),
                    "portcullis",
                    "portcullis-broker",
                    "not-the-secret",
                    2,
                    Duration.ZERO);
            try {
                assertThatThrownBy(() -> directory.lookup("bob", Set.of("/sre-approvers")))
                        .isInstanceOf(DirectoryUnavailableException.class);
                assertThatThrownBy(() -> directory.lookup("carol")).isInstanceOf(DirectoryUnavailableException.class);
            } finally {
                directory.close();
                for (Socket s : held) {
                    s.close();
                }
            }
        }
    }
}
