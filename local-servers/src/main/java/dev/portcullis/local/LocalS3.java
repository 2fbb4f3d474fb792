package dev.portcullis.local;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Properties;

/**
 * A real S3 server on a loopback port: S3Proxy ({@code org.gaul:s3proxy}, its jar-with-dependencies from Maven
 * Central) over a local directory, with SigV4 credentials made at run time. Buckets are directories of that
 * directory. S3Proxy ignores {@code If-None-Match: *} and overwrites, which is what the tests of write-once need: the
 * bastion must not rely on the server for it.
 *
 * <p>{@link #stop()} and {@link #restart()} end and start the server process on the same port and data, so tests
 * can take the store away mid-session and bring it back.
 */
public final class LocalS3 implements AutoCloseable {

    public static final String VERSION = "2.6.0";
    public static final String REGION = "us-east-1";
    private static LocalS3 shared;

    private final Path home;
    private final boolean temporary;
    private final int port;
    private final Properties secrets;
    private Process process;

    private LocalS3(Path home, boolean temporary, int port, Properties secrets) {
        this.home = home;
        this.temporary = temporary;
        this.port = port;
        this.secrets = secrets;
    }

    /** One S3 server per JVM, with a throwaway directory, stopped when the JVM exits. */
    public static synchronized LocalS3 shared() {
        if (shared == null) {
            shared = start(null, 0);
            LocalS3 instance = shared;
            Runtime.getRuntime().addShutdownHook(new Thread(instance::close, "local-s3-stop"));
        }
        return shared;
    }

    /**
     * Starts S3Proxy. {@code stateDir} null: a temporary directory removed on close; otherwise a directory that keeps
     * its objects and its credentials (0600) across restarts, as the quickstart needs. {@code port} 0 picks one.
     */
    public static LocalS3 start(Path stateDir, int port) {
        Path jar = jar();
        try {
            boolean temporary = stateDir == null;
            Path home = temporary ? Files.createTempDirectory("portcullis-s3-") : stateDir.toAbsolutePath();
            Files.createDirectories(home.resolve("data"));
            Properties secrets = loadOrMakeSecrets(home.resolve("secrets.properties"));
            int chosen = port > 0 ? port : Processes.freeLoopbackPort();
            LocalS3 s3 = new LocalS3(home, temporary, chosen, secrets);
            s3.writeConfig(jar);
            s3.restart();
            return s3;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare an S3Proxy home", e);
        }
    }

    /** Starts the server again on the same port and data (after {@link #stop()}); does nothing while it runs. */
    public synchronized void restart() {
        if (process != null && process.isAlive()) {
            return;
        }
        if (Processes.isListening(port)) {
            throw new IllegalStateException("port " + port + " on 127.0.0.1 is already in use; S3Proxy cannot start");
        }
        Path log = home.resolve("s3proxy.log");
        try {
            process = new ProcessBuilder(
                            Path.of(System.getProperty("java.home"), "bin", "java")
                                    .toString(),
                            "-Xmx256m",
                            "-XX:TieredStopAtLevel=1",
                            "-jar",
                            jar().toString(),
                            "--properties",
                            home.resolve("s3proxy.conf").toString())
                    .directory(home.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
            Files.writeString(home.resolve("s3proxy.pid"), String.valueOf(process.pid()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start S3Proxy", e);
        }
        if (temporary) {
            Processes.cleanUpWhenThisJvmDies("kill -TERM " + process.pid() + "; sleep 3; rm -rf " + home);
        }
        awaitListening(Duration.ofSeconds(60), log);
    }

    /** Ends the server process (the data stays), as an outage would; waits until the port is closed. */
    public synchronized void stop() {
        if (process == null) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process = null;
    }

    /** Makes a bucket: a directory of the data directory, which S3Proxy serves as one. */
    public String createBucket(String name) {
        try {
            Files.createDirectories(home.resolve("data").resolve(name));
            return name;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make bucket " + name, e);
        }
    }

    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    public String region() {
        return REGION;
    }

    public String accessKeyId() {
        return secrets.getProperty("access.key");
    }

    public String secretAccessKey() {
        return secrets.getProperty("secret.key");
    }

    /** The directory S3Proxy keeps the buckets in ({@code <bucket>/<key>}): what tests tamper with. */
    public Path dataDir() {
        return home.resolve("data");
    }

    public Path home() {
        return home;
    }

    public boolean running() {
        return process != null && process.isAlive();
    }

    @Override
    public synchronized void close() {
        stop();
        if (temporary) {
            Processes.deleteTree(home);
        }
    }

    private void writeConfig(Path jar) throws IOException {
        Path config = home.resolve("s3proxy.conf");
        String text = String.join(
                "\n",
                "s3proxy.endpoint=http://127.0.0.1:" + port,
                "s3proxy.authorization=aws-v2-or-v4",
                "s3proxy.identity=" + accessKeyId(),
                "s3proxy.credential=" + secretAccessKey(),
                "jclouds.provider=filesystem-nio2",
                "jclouds.identity=" + accessKeyId(),
                "jclouds.credential=" + secretAccessKey(),
                "jclouds.filesystem.basedir=" + home.resolve("data"),
                "");
        if (!Files.exists(config)) {
            Files.createFile(
                    config, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        Files.writeString(config, text);
    }

    private void awaitListening(Duration timeout, Path log) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("S3Proxy exited with code " + process.exitValue() + " during start:\n"
                        + Processes.tail(log, 30));
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException e) {
                sleep(100);
            }
        }
        stop();
        throw new IllegalStateException(
                "S3Proxy was not listening within " + timeout.toSeconds() + " s:\n" + Processes.tail(log, 30));
    }

    private static Properties loadOrMakeSecrets(Path file) throws IOException {
        Properties p = new Properties();
        if (Files.exists(file)) {
            try (InputStream in = Files.newInputStream(file)) {
                p.load(in);
            }
        }
        p.putIfAbsent("access.key", "portcullis-" + Processes.secret().substring(0, 8));
        p.putIfAbsent("secret.key", Processes.secret());
        if (!Files.exists(file)) {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        try (var out = Files.newOutputStream(file)) {
            p.store(out, "Portcullis S3Proxy credentials, made at run time; never commit this file");
        }
        return p;
    }

    /** The S3Proxy jar in the local Maven repository (the local-servers build fetches it). */
    static Path jar() {
        String repo = System.getProperty(
                "maven.repo.local",
                Path.of(System.getProperty("user.home"), ".m2", "repository").toString());
        Path jar =
                Path.of(repo, "org", "gaul", "s3proxy", VERSION, "s3proxy-" + VERSION + "-jar-with-dependencies.jar");
        if (!Files.exists(jar)) {
            throw new IllegalStateException("S3Proxy is not in the local Maven repository (" + jar
                    + "); fetch it with: "
                    + "mvn dependency:get -Dartifact=org.gaul:s3proxy:" + VERSION + ":jar:jar-with-dependencies "
                    + "-Dtransitive=false");
        }
        return jar;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for S3Proxy", e);
        }
    }
}
