package dev.portcullis.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's rsyslog (packages rsyslog and rsyslog-gnutls) as a syslog-over-TLS receiver (RFC 5425) on a loopback port,
 * with a configuration of its own and a throwaway certificate ({@link ThrowawayCa}) for 127.0.0.1. It writes each
 * message it takes as one line to {@link #receivedFile()}: the time rsyslog received it (RFC 3339), the structured data,
 * and the message. {@link #stop()} and {@link #start()} take it down and bring it back on the same port, keeping the
 * file, for outage tests.
 */
public final class LocalRsyslog implements AutoCloseable {

    private static final String RSYSLOGD = "/usr/sbin/rsyslogd";
    private static final long START_TIMEOUT_MILLIS = 30_000;

    private final Path base;
    private final ThrowawayCa ca;
    private final int port;
    private Process process;

    private LocalRsyslog(Path base, ThrowawayCa ca, int port) {
        this.base = base;
        this.ca = ca;
        this.port = port;
    }

    /** Makes a certificate and a configuration in a temporary directory and starts rsyslogd on a free port. */
    public static LocalRsyslog start(String name) {
        if (!Files.isExecutable(Path.of(RSYSLOGD))) {
            throw new IllegalStateException(RSYSLOGD + " is missing: install rsyslog and rsyslog-gnutls "
                    + "(deploy/bin/prerequisites.sh does)");
        }
        try {
            Path base = Files.createTempDirectory("portcullis-rsyslog-");
            ThrowawayCa ca = ThrowawayCa.create(base.resolve("tls"), name);
            LocalRsyslog rsyslog = new LocalRsyslog(base, ca, Processes.freeLoopbackPort());
            Files.createDirectories(base.resolve("work"));
            Files.writeString(base.resolve("rsyslog.conf"), rsyslog.config(), StandardCharsets.UTF_8);
            Files.createFile(rsyslog.receivedFile());
            Processes.cleanUpWhenThisJvmDies(
                    "kill $(cat " + base.resolve("rsyslogd.pid") + ") 2>/dev/null; rm -rf " + base);
            rsyslog.start();
            return rsyslog;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String config() {
        return "global(workDirectory=\"" + base.resolve("work") + "\" maxMessageSize=\"64k\"\n"
                + "  defaultNetstreamDriver=\"gtls\"\n"
                + "  defaultNetstreamDriverCAFile=\"" + ca.caCertificate() + "\"\n"
                + "  defaultNetstreamDriverCertFile=\"" + ca.serverCertificate() + "\"\n"
                + "  defaultNetstreamDriverKeyFile=\"" + ca.serverKey() + "\")\n"
                + "module(load=\"imtcp\" streamDriver.name=\"gtls\" streamDriver.mode=\"1\" streamDriver.authMode=\"anon\")\n"
                + "template(name=\"portcullisLine\" type=\"string\""
                + " string=\"%timegenerated:::date-rfc3339% %structured-data% %msg%\\n\")\n"
                + "ruleset(name=\"siem\") {\n"
                + "  action(type=\"omfile\" file=\"" + receivedFile()
                + "\" template=\"portcullisLine\" flushOnTXEnd=\"on\""
                + " asyncWriting=\"off\")\n"
                + "}\n"
                + "input(type=\"imtcp\" address=\"127.0.0.1\" port=\"" + port + "\" ruleset=\"siem\")\n";
    }

    /** Starts rsyslogd (again) on its port; returns once the port takes connections. */
    public synchronized void start() {
        if (process != null && process.isAlive()) {
            return;
        }
        try {
            ProcessBuilder pb = new ProcessBuilder(
                            RSYSLOGD,
                            "-n",
                            "-f",
                            base.resolve("rsyslog.conf").toString(),
                            "-i",
                            base.resolve("rsyslogd.pid").toString())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile().toFile()));
            process = pb.start();
            long deadline = System.currentTimeMillis() + START_TIMEOUT_MILLIS;
            while (!Processes.isListening(port)) {
                if (!process.isAlive() || System.currentTimeMillis() > deadline) {
                    process.destroyForcibly();
                    throw new IllegalStateException("rsyslogd did not start listening on 127.0.0.1:" + port + "\n"
                            + Processes.tail(logFile(), 30));
                }
                Thread.sleep(50);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting rsyslogd", e);
        }
    }

    /** Stops rsyslogd (SIGTERM, then SIGKILL); the port refuses connections until {@link #start()}. */
    public synchronized void stop() {
        if (process == null) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process = null;
    }

    public int port() {
        return port;
    }

    public String address() {
        return "127.0.0.1:" + port;
    }

    /** The CA certificate (PEM) that rsyslog's certificate verifies against. */
    public Path caCertificate() {
        return ca.caCertificate();
    }

    public Path receivedFile() {
        return base.resolve("received.log");
    }

    public Path logFile() {
        return base.resolve("rsyslogd.log");
    }

    /** Every line rsyslog wrote so far. */
    public List<String> received() {
        try {
            return Files.readAllLines(receivedFile(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public synchronized void close() {
        stop();
        Processes.deleteTree(base);
    }
}
