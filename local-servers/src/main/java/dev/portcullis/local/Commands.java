package dev.portcullis.local;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs the real command-line tools a test drives as a user would ({@code ssh}, {@code sftp}, {@code ssh-keygen},
 * {@code asciinema}): output and errors captured whole, every wait bounded.
 */
public final class Commands {

    /** What a finished command said and how it ended. */
    public record Result(int exit, String out, String err) {}

    private Commands() {}

    public static Result run(List<String> command) throws IOException {
        return run(command, null, Duration.ofSeconds(60));
    }

    /** @param stdin written to the command, then closed; null for none */
    public static Result run(List<String> command, String stdin, Duration timeout) throws IOException {
        return run(command, stdin, timeout, Map.of());
    }

    /** @param env added to this process's environment (a password for psql, say: never on the command line) */
    public static Result run(List<String> command, String stdin, Duration timeout, Map<String, String> env)
            throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().putAll(env);
        Process p = pb.start();
        CompletableFuture<String> out = drain(p.getInputStream());
        CompletableFuture<String> err = drain(p.getErrorStream());
        try (OutputStream in = p.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException ignored) {
            // the process may have exited already
        }
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new IOException("timed out after " + timeout + ": " + command);
            }
            return new Result(p.exitValue(), out.get(10, TimeUnit.SECONDS), err.get(10, TimeUnit.SECONDS));
        } catch (Exception e) {
            p.destroyForcibly();
            throw e instanceof IOException io ? io : new IOException(e);
        }
    }

    /** Reads a stream to its end on a thread of its own. */
    public static CompletableFuture<String> drain(InputStream stream) {
        return CompletableFuture.supplyAsync(() -> {
            try (stream) {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "";
            }
        });
    }

    /**
     * The first line a process writes to its standard output (null when it ends first); what follows is read and
     * dropped, so the process never blocks on a full pipe.
     */
    public static String firstLine(Process process) throws IOException {
        java.io.BufferedReader out = new java.io.BufferedReader(
                new java.io.InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String first = out.readLine();
        drain(process.getInputStream());
        return first;
    }
}
