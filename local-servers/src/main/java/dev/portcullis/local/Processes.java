package dev.portcullis.local;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** Small helpers shared by the local servers: ports, secrets, running commands, tidying up. */
final class Processes {

    private static final SecureRandom RANDOM = new SecureRandom();

    private Processes() {}

    static int freeLoopbackPort() {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(false);
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("cannot find a free loopback port", e);
        }
    }

    static boolean isListening(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** A random secret made at run time; never a fixed password. */
    static String secret() {
        byte[] bytes = new byte[18];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    static boolean runningAsRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /**
     * Runs a command to completion (bounded), output to {@code log}; throws with the log's tail on failure.
     * When {@code asUser} is not null and we are root, runs it as that user with runuser.
     */
    static void run(
            List<String> command, String asUser, Path log, long timeoutSeconds, java.util.Map<String, String> env) {
        List<String> full = new ArrayList<>();
        if (asUser != null && runningAsRoot()) {
            full.addAll(List.of("runuser", "-u", asUser, "--"));
        }
        full.addAll(command);
        ProcessBuilder pb = new ProcessBuilder(full)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().putAll(env);
        try {
            Process p = pb.start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " did not finish within " + timeoutSeconds
                        + " s\n" + tail(log, 30));
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException(
                        String.join(" ", command) + " failed with exit code " + p.exitValue() + "\n" + tail(log, 30));
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + full.get(0) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + command.get(0), e);
        }
    }

    /**
     * Runs {@code cleanup} (a shell command) once this JVM is gone, however it ended, so a test run that is
     * killed leaves no server behind. The watcher is a detached shell that polls for our pid.
     */
    static void cleanUpWhenThisJvmDies(String cleanup) {
        long me = ProcessHandle.current().pid();
        String script = "while kill -0 " + me + " 2>/dev/null; do sleep 2; done; " + cleanup;
        try {
            new ProcessBuilder("setsid", "sh", "-c", script)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
        } catch (IOException e) {
            System.err.println("cannot start the clean-up watcher: " + e.getMessage());
        }
    }

    static String tail(Path log, int lines) {
        try {
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log at " + log + ")";
        }
    }

    static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort: a leftover temp dir is not worth failing a test run for
        }
    }

    static void chown(Path path, String user) {
        if (runningAsRoot()) {
            Path log = path.resolveSibling(path.getFileName() + ".chown.log");
            try {
                run(List.of("chown", "-R", user + ":", path.toString()), null, log, 60, java.util.Map.of());
            } finally {
                try {
                    Files.deleteIfExists(log);
                } catch (IOException ignored) {
                    // harmless
                }
            }
        }
    }

    /**
     * Whether {@code user} can pass through {@code dir} (or its nearest existing parent) and every parent of it:
     * always true when this JVM is not root, since then every server runs as this JVM's user.
     */
    static boolean userCanEnter(Path dir, String user) {
        if (!runningAsRoot()) {
            return true;
        }
        Path existing = dir.toAbsolutePath();
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            return false;
        }
        Path log = null;
        try {
            log = Files.createTempFile("portcullis-access-check", ".log");
            run(java.util.List.of("test", "-x", existing.toString()), user, log, 10, java.util.Map.of());
            return true;
        } catch (IllegalStateException | IOException e) {
            return false;
        } finally {
            if (log != null) {
                try {
                    Files.deleteIfExists(log);
                } catch (IOException ignored) {
                    // harmless
                }
            }
        }
    }
}
