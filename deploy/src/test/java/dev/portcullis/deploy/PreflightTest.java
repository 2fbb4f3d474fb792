package dev.portcullis.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.portcullis.deploy.Preflight.Port;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PreflightTest {

    @Test
    void aPortHeldByAnotherProgramIsOneClearLine() throws Exception {
        try (ServerSocket other = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            int port = other.getLocalPort();
            assertThat(Preflight.portProblem(new Port(port, "PORTCULLIS_HTTP_PORT", "the broker")))
                    .hasValueSatisfying(message -> assertThat(message)
                            .isEqualTo("port " + port
                                    + " (PORTCULLIS_HTTP_PORT, the broker) is in use by another program; stop it or choose another port, "
                                    + "e.g. PORTCULLIS_HTTP_PORT=" + (port + 1) + " ./quickstart.sh"));
            assertThatThrownBy(() -> Preflight.checkPort(port, "PORTCULLIS_BASTION_PORT", "the SSH bastion"))
                    .isInstanceOf(Quickstart.QuickstartException.class)
                    .hasMessageStartingWith("port " + port + " (PORTCULLIS_BASTION_PORT");
        }
    }

    @Test
    void aProgramOnEveryInterfaceAlsoHoldsTheLoopbackPort() throws Exception {
        try (ServerSocket other = new ServerSocket()) {
            other.bind(new InetSocketAddress(0));
            assertThat(Preflight.portProblem(new Port(other.getLocalPort(), "PORTCULLIS_KEYCLOAK_PORT", "Keycloak")))
                    .isPresent();
        }
    }

    @Test
    void aFreePortPasses() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        assertThat(Preflight.portProblem(new Port(port, "PORTCULLIS_HTTP_PORT", "the broker")))
                .isEmpty();
        Preflight.checkPort(port, "PORTCULLIS_HTTP_PORT", "the broker");
    }

    @Test
    void aPortcullisBrokerThatThisQuickstartDidNotStartIsNamed() throws Exception {
        HttpServer broker = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        broker.createContext("/api/v1/ssh/ca", exchange -> {
            byte[] body = "{\"userCaPublicKey\":\"ssh-ed25519 AAAA\",\"knownHostsLine\":\"@cert-authority ...\"}"
                    .getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        broker.start();
        try {
            int port = broker.getAddress().getPort();
            assertThat(Preflight.portProblem(new Port(port, "PORTCULLIS_HTTP_PORT", "the broker")))
                    .hasValueSatisfying(message -> assertThat(message)
                            .contains("is in use by a Portcullis broker that this quickstart "
                                    + "(PORTCULLIS_HOME) did not start; stop it or choose another port"));
        } finally {
            broker.stop(0);
        }
    }

    @Test
    void lowDiskIsRefusedWithWhatIsNeeded() {
        Path home = Path.of("/srv/portcullis");
        assertThat(Preflight.diskProblem(home, Preflight.MIN_FREE_BYTES, Preflight.MIN_FREE_BYTES))
                .isEmpty();
        assertThat(Preflight.diskProblem(home, 5L << 40, Preflight.MIN_FREE_BYTES))
                .isEmpty();
        assertThat(Preflight.diskProblem(home, Preflight.MIN_FREE_BYTES - 1, Preflight.MIN_FREE_BYTES))
                .isPresent();
        assertThat(Preflight.diskProblem(home, 300L << 20, Preflight.MIN_FREE_BYTES))
                .hasValue(
                        "only 300 MiB free on the disk of /srv/portcullis (PORTCULLIS_HOME); the quickstart needs 2 GiB "
                                + "(Keycloak, PostgreSQL, recordings, logs): free some space or set PORTCULLIS_HOME to another disk");
    }

    @Test
    void aHomeThatDoesNotExistYetIsMeasuredOnItsNearestParent(@TempDir Path dir) {
        // The real file system of the test machine: fine unless the machine itself is nearly full.
        Preflight.diskProblem(dir.resolve("not/yet/there"))
                .ifPresent(problem -> assertThat(problem).startsWith("only "));
    }

    @Test
    void anOldJavaIsNamed() {
        assertThat(Preflight.javaProblem(17)).isEmpty();
        assertThat(Preflight.javaProblem(21)).isEmpty();
        assertThat(Preflight.javaProblem(11))
                .hasValueSatisfying(
                        m -> assertThat(m).startsWith("Java 11 runs the quickstart; Portcullis needs Java 17"));
    }

    @Test
    void everyProblemIsReportedAtOnce(@TempDir Path home) throws Exception {
        try (ServerSocket a = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
                ServerSocket b = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            List<Port> ports = List.of(
                    new Port(a.getLocalPort(), "PORTCULLIS_HTTP_PORT", "the broker"),
                    new Port(b.getLocalPort(), "PORTCULLIS_KEYCLOAK_PORT", "Keycloak"),
                    new Port(freePort(), "PORTCULLIS_BASTION_PORT", "the SSH bastion"));
            assertThatThrownBy(() -> Preflight.check(ports, home))
                    .isInstanceOf(Quickstart.QuickstartException.class)
                    .hasMessageContaining("port " + a.getLocalPort() + " (PORTCULLIS_HTTP_PORT")
                    .hasMessageContaining("port " + b.getLocalPort() + " (PORTCULLIS_KEYCLOAK_PORT");
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
