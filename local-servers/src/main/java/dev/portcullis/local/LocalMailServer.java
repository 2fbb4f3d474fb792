package dev.portcullis.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A mail server as a process of its own, for the quickstart: GreenMail's standalone jar (Maven Central, run straight
 * from the local repository like S3Proxy) with SMTP, IMAP and its REST API on loopback ports. It accepts mail for any
 * address and lets anyone read any mailbox (IMAP with any password, {@code GET /api/user/ADDRESS/messages/}): a demo
 * mailbox, never a relay. Mail lives in its memory, so a restart starts with empty mailboxes. Unlike {@link LocalSmtp}
 * (in the test's JVM) it outlives the launcher; {@code stop} ends it by its pid file.
 */
public final class LocalMailServer {

    public static final String VERSION = "2.1.3";

    private final Path home;
    private final Ports ports;
    private final long pid;

    /** SMTP, IMAP and REST API ports, all on 127.0.0.1. */
    public record Ports(int smtp, int imap, int api) {}

    private LocalMailServer(Path home, Ports ports, long pid) {
        this.home = home;
        this.ports = ports;
        this.pid = pid;
    }

    /** Starts GreenMail on these ports (0: a free one) with its log and pid file in {@code home}. */
    public static LocalMailServer start(Path home, Ports wanted) {
        Ports ports = new Ports(orFree(wanted.smtp()), orFree(wanted.imap()), orFree(wanted.api()));
        for (int port : List.of(ports.smtp(), ports.imap(), ports.api())) {
            if (Processes.isListening(port)) {
                throw new IllegalStateException(
                        "port " + port + " on 127.0.0.1 is already in use; the mail server" + " cannot start");
            }
        }
        Path log = home.resolve("greenmail.log");
        Process process;
        try {
            Files.createDirectories(home);
            process = new ProcessBuilder(
                            Path.of(System.getProperty("java.home"), "bin", "java")
                                    .toString(),
                            "-Xmx128m",
                            "-XX:TieredStopAtLevel=1",
                            "-Dgreenmail.smtp.hostname=127.0.0.1",
                            "-Dgreenmail.smtp.port=" + ports.smtp(),
                            "-Dgreenmail.imap.hostname=127.0.0.1",
                            "-Dgreenmail.imap.port=" + ports.imap(),
                            "-Dgreenmail.api.hostname=127.0.0.1",
                            "-Dgreenmail.api.port=" + ports.api(),
                            // any login reads its mailbox: the demo users read their mail without a password of its own
                            "-Dgreenmail.auth.disabled",
                            "-jar",
                            jar().toString())
                    .directory(home.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
            Files.writeString(home.resolve("greenmail.pid"), String.valueOf(process.pid()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the mail server (GreenMail)", e);
        }
        awaitListening(process, ports, Duration.ofSeconds(60), log);
        return new LocalMailServer(home, ports, process.pid());
    }

    public Ports ports() {
        return ports;
    }

    public long pid() {
        return pid;
    }

    public Path home() {
        return home;
    }

    /** Where a person (or curl) reads one address's inbox as JSON. */
    public String inboxUrl(String address) {
        return "http://127.0.0.1:" + ports.api() + "/api/user/" + address + "/messages/";
    }

    /** Whether a mail server answers SMTP on this port. */
    public static boolean up(int smtpPort) {
        return Processes.isListening(smtpPort);
    }

    /** The GreenMail standalone jar in the local Maven repository (the local-servers build fetches it). */
    static Path jar() {
        String repo = System.getProperty(
                "maven.repo.local",
                Path.of(System.getProperty("user.home"), ".m2", "repository").toString());
        Path jar = Path.of(
                repo, "com", "icegreen", "greenmail-standalone", VERSION, "greenmail-standalone-" + VERSION + ".jar");
        if (!Files.exists(jar)) {
            throw new IllegalStateException("GreenMail is not in the local Maven repository (" + jar + "); fetch it"
                    + " with: mvn dependency:get -Dartifact=com.icegreen:greenmail-standalone:" + VERSION
                    + " -Dtransitive=false");
        }
        return jar;
    }

    private static int orFree(int port) {
        return port > 0 ? port : Processes.freeLoopbackPort();
    }

    private static void awaitListening(Process process, Ports ports, Duration timeout, Path log) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the mail server (GreenMail) exited with code " + process.exitValue()
                        + " during start:\n" + Processes.tail(log, 30));
            }
            if (Processes.isListening(ports.smtp())
                    && Processes.isListening(ports.imap())
                    && Processes.isListening(ports.api())) {
                return;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the mail server", e);
            }
        }
        process.destroy();
        throw new IllegalStateException("the mail server (GreenMail) was not listening within " + timeout.toSeconds()
                + " s:\n" + Processes.tail(log, 30));
    }
}
