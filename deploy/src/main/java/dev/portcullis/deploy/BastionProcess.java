package dev.portcullis.deploy;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** The SSH bastion ({@code dev.portcullis.bastion.BastionMain}) as a process of its own, configured by environment. */
final class BastionProcess {

    private final Process process;
    private final Path log;

    private BastionProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** Runs the bastion from deploy/target/lib (the bastion and its dependencies, copied there by the build). */
    static BastionProcess start(Path repo, Path log, Map<String, String> env) {
        Path lib = repo.resolve("deploy/target/lib");
        if (!Files.isDirectory(lib)) {
            throw new IllegalStateException(
                    "the bastion is not built (" + lib + " is missing); run: mvn -DskipTests install");
        }
        ProcessBuilder pb = new ProcessBuilder(List.of(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-Xmx512m",
                        "-cp",
                        lib + "/*",
                        "dev.portcullis.bastion.BastionMain"))
                .directory(repo.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().putAll(env);
        try {
            return new BastionProcess(pb.start(), log);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the bastion: " + e.getMessage(), e);
        }
    }

    long pid() {
        return process.pid();
    }

    /** Stops the bastion (its sessions end) and waits for it. */
    void stop() {
        process.destroy();
        try {
            if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    /** kill -9: no shutdown hook, no goodbye to the broker; its sessions are left for the broker to find. */
    void kill() {
        process.destroyForcibly();
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Waits for the bastion to exit on its own (a refused start); its exit code, or -1 if it is still running. */
    int awaitExit(Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
                    ? process.exitValue()
                    : -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    BastionProcess awaitListening(int port, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the bastion exited; its log " + log + " ends with:\n" + tail());
            }
            if (listening(port)) {
                return this;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the bastion did not listen on " + port + " within " + timeout
                        + "; its log ends with:\n" + tail());
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
    }

    static boolean listening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private String tail() {
        return BrokerProcess.tail(log);
    }
}
