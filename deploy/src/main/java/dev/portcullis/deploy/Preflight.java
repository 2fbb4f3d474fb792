package dev.portcullis.deploy;

import dev.portcullis.deploy.Quickstart.QuickstartException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What the quickstart checks before it starts anything, so that a busy port, an old Java or a full disk is one
 * clear line instead of a server's stack trace half-way through. Runs only when nothing of ours is up: a running
 * stack is reported by {@link Quickstart#start()} before it gets here, and a half-up one is stopped first.
 * (The JDK and Maven themselves are checked by deploy/bin/prerequisites.sh before the build.)
 */
final class Preflight {

    /** Keycloak, PostgreSQL, recordings and logs of a quickstart that runs for a while. */
    static final long MIN_FREE_BYTES = 2L << 30;

    static final int MIN_JAVA = 17;

    /** A port the quickstart will listen on, and the setting that moves it. */
    record Port(int port, String variable, String what) {}

    private Preflight() {}

    /** Every check; throws one {@link QuickstartException} naming every problem found. */
    static void check(Settings settings) {
        List<Port> ports = new ArrayList<>(List.of(
                new Port(settings.httpPort(), "PORTCULLIS_HTTP_PORT", "the broker"),
                new Port(settings.keycloakPort(), "PORTCULLIS_KEYCLOAK_PORT", "Keycloak"),
                new Port(settings.bastionPort(), "PORTCULLIS_BASTION_PORT", "the SSH bastion"),
                new Port(settings.demoSshPort(), "PORTCULLIS_DEMO_SSH_PORT", "the demo SSH target"),
                new Port(settings.databaseProxyPort(), "PORTCULLIS_DB_PORT", "the bastion's PostgreSQL proxy"),
                new Port(settings.mailPorts().smtp(), "PORTCULLIS_MAIL_SMTP_PORT", "the demo mail server's SMTP"),
                new Port(settings.mailPorts().imap(), "PORTCULLIS_MAIL_IMAP_PORT", "the demo mail server's IMAP"),
                new Port(settings.mailPorts().api(), "PORTCULLIS_MAIL_API_PORT", "the demo mail server's web API")));
        ports.removeIf(port -> port.port() == 0); // 0: any free port, chosen at start
        check(ports, settings.home());
    }

    static void check(List<Port> ports, Path home) {
        List<String> problems = new ArrayList<>();
        javaProblem(Runtime.version().feature()).ifPresent(problems::add);
        for (Port port : ports) {
            portProblem(port).ifPresent(problems::add);
        }
        diskProblem(home).ifPresent(problems::add);
        if (!problems.isEmpty()) {
            throw new QuickstartException(String.join("\n       ", problems));
        }
    }

    /** One port on its own, for components added later. */
    static void checkPort(int port, String variable, String what) {
        portProblem(new Port(port, variable, what)).ifPresent(p -> {
            throw new QuickstartException(p);
        });
    }

    static Optional<String> javaProblem(int feature) {
        return feature >= MIN_JAVA
                ? Optional.empty()
                : Optional.of("Java " + feature + " runs the quickstart; Portcullis needs Java " + MIN_JAVA
                        + " or newer (apt-get install openjdk-17-jdk-headless, or set JAVA_HOME)");
    }

    /**
     * Empty when the quickstart can listen on the port on loopback. Binding (rather than connecting) is what the
     * server will do, so it also catches a program listening on every interface, and a port we may not use.
     */
    static Optional<String> portProblem(Port p) {
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), p.port()));
            return Optional.empty();
        } catch (IOException busy) {
            String who = portcullisAt(p.port())
                    .map(w -> "is in use by " + w + " that this quickstart (PORTCULLIS_HOME) did not start")
                    .orElse(
                            p.port() < 1024
                                            && busy.getMessage() != null
                                            && busy.getMessage().contains("ermission")
                                    ? "needs root rights"
                                    : "is in use by another program");
            return Optional.of("port " + p.port() + " (" + p.variable() + ", " + p.what() + ") " + who
                    + "; stop it or choose another port, e.g. " + p.variable() + "=" + alternative(p.port())
                    + " ./quickstart.sh");
        }
    }

    /** A Portcullis broker or a Keycloak with the Portcullis realm answering on the port, if that is what holds it. */
    private static Optional<String> portcullisAt(int port) {
        HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();
        if (answers(http, port, "/api/v1/ssh/ca", "knownHostsLine")) {
            return Optional.of("a Portcullis broker");
        }
        if (answers(http, port, "/realms/portcullis", "\"realm\"")) {
            return Optional.of("a Keycloak with the portcullis realm");
        }
        return Optional.empty();
    }

    private static boolean answers(HttpClient http, int port, String path, String marker) {
        try {
            HttpResponse<String> r = http.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                            .timeout(Duration.ofSeconds(1))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 && r.body().contains(marker);
        } catch (IOException | RuntimeException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static int alternative(int port) {
        return port >= 65535 ? port - 1 : port + 1;
    }

    /** Free space on the file system that holds (or will hold) {@code home}. */
    static Optional<String> diskProblem(Path home) {
        Path probe = home.toAbsolutePath();
        while (probe != null && !Files.exists(probe)) {
            probe = probe.getParent();
        }
        if (probe == null) {
            return Optional.of("cannot tell the free disk space for " + home + ": none of its parents exists");
        }
        try {
            return diskProblem(home, Files.getFileStore(probe).getUsableSpace(), MIN_FREE_BYTES);
        } catch (IOException e) {
            return Optional.of("cannot tell the free disk space under " + probe + ": " + e.getMessage());
        }
    }

    static Optional<String> diskProblem(Path home, long usableBytes, long neededBytes) {
        if (usableBytes >= neededBytes) {
            return Optional.empty();
        }
        return Optional.of("only " + mib(usableBytes) + " free on the disk of " + home
                + " (PORTCULLIS_HOME); the quickstart needs " + mib(neededBytes)
                + " (Keycloak, PostgreSQL, recordings, logs): free some space or set PORTCULLIS_HOME to another disk");
    }

    private static String mib(long bytes) {
        long mib = bytes >> 20;
        return mib >= 1024 && mib % 1024 == 0 ? (mib >> 10) + " GiB" : mib + " MiB";
    }
}
