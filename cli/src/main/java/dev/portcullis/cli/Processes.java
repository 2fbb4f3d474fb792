package dev.portcullis.cli;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/** Runs the stock tools (ssh-keygen, ssh, psql) the command hands over to. */
final class Processes {

    private Processes() {}

    /** Runs a helper to completion; its failure is one line. */
    static void run(List<String> command, String what) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String said = new String(p.getInputStream().readAllBytes()).trim();
            if (p.waitFor() != 0) {
                throw new CliException(ExitCodes.ERROR, "cannot " + what + ": " + said.replace('\n', ' '));
            }
        } catch (IOException e) {
            throw new CliException(
                    ExitCodes.ERROR,
                    "cannot " + what + ": " + command.get(0) + " is not installed (" + e.getMessage() + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(ExitCodes.ERROR, "interrupted");
        }
    }

    /**
     * Hands the terminal to {@code command} and returns its exit code, as exec would (the JVM cannot replace itself).
     * Ctrl-C goes to the tool: the command itself ignores it meanwhile.
     */
    static int handOver(List<String> command, Map<String, String> extraEnv) {
        ProcessBuilder pb = new ProcessBuilder(command).inheritIO();
        pb.environment().putAll(extraEnv);
        try {
            Interrupts.onCtrlC(() -> {});
            Process p = pb.start();
            return p.waitFor();
        } catch (IOException e) {
            throw new CliException(
                    ExitCodes.ERROR, command.get(0) + " is not installed or cannot start: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(ExitCodes.ERROR, "interrupted");
        } finally {
            Interrupts.reset();
        }
    }
}
