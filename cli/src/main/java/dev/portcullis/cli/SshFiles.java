package dev.portcullis.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What {@code portcullis ssh} keeps under {@code ~/.config/portcullis/ssh/}: a key of its own, the broker's certificate
 * for it, a known_hosts file with the host CA's {@code @cert-authority} line, and an ssh config of {@code Host}
 * blocks, one per SSH grant, that point stock ssh at the bastion with all of that.
 */
final class SshFiles {

    /** A certificate is renewed when it has less than this left, so a session never starts on one about to end. */
    static final Duration RENEW_BEFORE = Duration.ofMinutes(10);

    final Path dir;
    final Path key;
    final Path certificate;
    final Path knownHosts;
    final Path config;
    private final Path certificateEnds;

    SshFiles(ConfigDir root) {
        this.dir = root.directory("ssh");
        this.key = dir.resolve("id_ed25519");
        this.certificate = dir.resolve("id_ed25519-cert.pub");
        this.certificateEnds = dir.resolve("id_ed25519-cert.json");
        this.knownHosts = dir.resolve("known_hosts");
        this.config = dir.resolve("config");
    }

    /** The key pair, made with the stock ssh-keygen the first time (no passphrase: it is worthless without a fresh certificate). */
    void ensureKey() {
        if (Files.exists(key) && Files.exists(Path.of(key + ".pub"))) {
            return;
        }
        Processes.run(
                List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "portcullis", "-f", key.toString()),
                "make an SSH key with ssh-keygen");
    }

    /** Whether the certificate on disk is missing or ends within {@link #RENEW_BEFORE}. */
    boolean certificateDue(Instant now) {
        if (!Files.exists(certificate) || !Files.exists(certificateEnds)) {
            return true;
        }
        try {
            String ends = Json.str(Json.object(Files.readString(certificateEnds)), "validBefore");
            return ends == null || Instant.parse(ends).isBefore(now.plus(RENEW_BEFORE));
        } catch (IOException | RuntimeException e) {
            return true;
        }
    }

    String publicKey() {
        try {
            return Files.readString(Path.of(key + ".pub")).trim();
        } catch (IOException e) {
            throw new CliException(ExitCodes.ERROR, "cannot read " + key + ".pub: " + e.getMessage());
        }
    }

    void storeCertificate(Map<String, Object> issued) {
        ConfigDir.writePrivate(certificate, Json.str(issued, "certificate") + "\n");
        ConfigDir.writePrivate(
                certificateEnds, Json.write(Map.of("validBefore", Json.str(issued, "validBefore"))) + "\n");
    }

    void storeKnownHosts(String line) {
        ConfigDir.writePrivate(
                knownHosts,
                "# Written by portcullis: the broker's host CA, which certifies the bastion.\n" + line + "\n");
    }

    /** One SSH grant's Host block. */
    record Grant(String target, String login) {}

    void storeConfig(String bastionHost, int bastionPort, List<Grant> grants) {
        StringBuilder text = new StringBuilder(
                "# Written by portcullis ssh, rewritten each time: one Host per SSH grant you hold.\n");
        for (Grant g : grants) {
            text.append("Host ")
                    .append(g.target())
                    .append('\n')
                    .append("  HostName ")
                    .append(bastionHost)
                    .append('\n')
                    .append("  Port ")
                    .append(bastionPort)
                    .append('\n')
                    .append("  User ")
                    .append(g.login())
                    .append('+')
                    .append(g.target())
                    .append('\n')
                    // the bastion's host certificate names every target it serves
                    .append("  HostKeyAlias ")
                    .append(g.target())
                    .append('\n')
                    .append("  IdentityFile \"")
                    .append(key)
                    .append("\"\n")
                    .append("  CertificateFile \"")
                    .append(certificate)
                    .append("\"\n")
                    .append("  IdentitiesOnly yes\n")
                    .append("  UserKnownHostsFile \"")
                    .append(knownHosts)
                    .append("\"\n")
                    .append("  StrictHostKeyChecking yes\n");
        }
        ConfigDir.writePrivate(config, text.toString());
    }

    /** The line that makes ~/.ssh/config read ours. */
    String includeLine() {
        return "Include \"" + config + "\"";
    }

    /** Whether ~/.ssh/config already reads our config. */
    boolean included(Path userConfig) {
        try {
            return Files.exists(userConfig)
                    && Files.readAllLines(userConfig).stream()
                            .map(String::trim)
                            .anyMatch(l -> l.equals(includeLine()) || l.equals("Include " + config));
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Puts the Include line first in ~/.ssh/config (an Include after a Host line would only apply to that host),
     * keeping everything else as it was.
     */
    void include(Path userConfig) {
        try {
            Path sshDir = userConfig.getParent();
            if (!Files.isDirectory(sshDir)) {
                Files.createDirectories(
                        sshDir,
                        java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                                java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
            }
            String old = Files.exists(userConfig) ? Files.readString(userConfig) : "";
            ConfigDir.writePrivate(
                    userConfig,
                    "# Added by portcullis: the Host blocks of your grants\n" + includeLine() + "\n\n" + old);
        } catch (IOException e) {
            throw new CliException(ExitCodes.ERROR, "cannot change " + userConfig + ": " + e.getMessage());
        }
    }
}
