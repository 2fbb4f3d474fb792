package dev.portcullis.broker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The stock OpenSSH {@code ssh-keygen}, to make keys and read certificates the way users and operators do. */
final class SshKeygen {

    private static final String SSH_KEYGEN = "/usr/bin/ssh-keygen";

    private SshKeygen() {}

    /** A new key pair without a passphrase; returns the private key file ({@code .pub} next to it). */
    static Path generate(Path dir, String type, Integer bits) {
        Path key = dir.resolve(type + (bits == null ? "" : "-" + bits));
        List<String> command = new ArrayList<>(
                List.of(SSH_KEYGEN, "-q", "-t", type, "-N", "", "-C", "test@example", "-f", key.toString()));
        if (bits != null) {
            command.addAll(List.of("-b", String.valueOf(bits)));
        }
        run(command);
        return key;
    }

    static String publicKey(Path privateKey) {
        try {
            return Files.readString(Path.of(privateKey + ".pub")).strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code ssh-keygen -L -f FILE}, with times in UTC. */
    static String describe(Path certificate) {
        return run(List.of(SSH_KEYGEN, "-L", "-f", certificate.toString()));
    }

    /** {@code ssh-keygen -l -f FILE}: "256 SHA256:... comment (ED25519)". */
    static String fingerprint(Path publicKey) {
        return run(List.of(SSH_KEYGEN, "-l", "-f", publicKey.toString())).split("\\s+")[1];
    }

    /** {@code ssh-keygen -y -f FILE}: the public key of a private key file, if OpenSSH can read it. */
    static String publicHalf(Path privateKey) {
        return run(List.of(SSH_KEYGEN, "-y", "-f", privateKey.toString())).strip();
    }

    static Path write(Path dir, String name, String content) {
        try {
            return Files.writeString(dir.resolve(name), content + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String run(List<String> command) {
        try {
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
            pb.environment().put("TZ", "UTC");
            Process p = pb.start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(command + " did not finish");
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException(command + " failed (" + p.exitValue() + "): " + out);
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
