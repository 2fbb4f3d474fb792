package dev.portcullis.broker.ssh;

import dev.portcullis.ssh.ed25519.JdkEd25519;
import dev.portcullis.workflow.request.Refusal;
import java.security.PublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.Collections;
import java.util.Set;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.OpenSshCertificate;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.PublicKeyEntryResolver;
import org.apache.sshd.common.keyprovider.KeyPairProvider;

/**
 * A public key someone pasted, checked before any CA signs it: one OpenSSH public key line of a type and
 * size worth certifying. Each refusal is one line saying what to send instead, and never repeats the input
 * (people paste private keys by mistake).
 */
record SubmittedPublicKey(PublicKey key, String type, String fingerprint) {

    static {
        // MINA's Ed25519 is the JDK's; it must be in place before MINA reads or makes a key
        JdkEd25519.install();
    }

    static final int MIN_RSA_BITS = 2048;
    /** Comfortably more than the line of a 16384-bit RSA key (about 2.8 KB). */
    static final int MAX_LENGTH = 16 * 1024;

    private static final Set<String> ACCEPTED = Set.of(
            KeyPairProvider.SSH_ED25519,
            KeyPairProvider.ECDSA_SHA2_NISTP256,
            KeyPairProvider.ECDSA_SHA2_NISTP384,
            KeyPairProvider.ECDSA_SHA2_NISTP521,
            KeyPairProvider.SSH_RSA);
    private static final String WHAT_TO_SEND =
            "send the one line of your .pub file, for example the content of ~/.ssh/id_ed25519.pub";

    static SubmittedPublicKey parse(String line) {
        if (line == null || line.isBlank()) {
            throw rejected("public_key_required", "publicKey is required: " + WHAT_TO_SEND);
        }
        if (line.contains("PRIVATE KEY") || line.contains("PuTTY-User-Key-File") || line.contains("Private-Lines:")) {
            throw rejected(
                    "private_key_sent",
                    "this is a private key: never send it anywhere, and " + WHAT_TO_SEND
                            + " (if it left your machine, make a new key)");
        }
        if (line.length() > MAX_LENGTH) {
            throw rejected("not_a_public_key", "this is too long for an OpenSSH public key: " + WHAT_TO_SEND);
        }
        String trimmed = line.strip();
        if (trimmed.contains("\n") || trimmed.contains("\r")) {
            throw rejected("not_a_public_key", "publicKey must be a single line: " + WHAT_TO_SEND);
        }
        String type = trimmed.split("\\s+", 2)[0];
        if (type.endsWith("-cert-v01@openssh.com")) {
            throw rejected("certificate_sent", "this is a certificate, not a public key: " + WHAT_TO_SEND);
        }
        if (type.equals(KeyPairProvider.SSH_DSS)) {
            throw rejected(
                    "unsupported_key_type",
                    "DSA keys are not accepted; make an Ed25519 key with 'ssh-keygen -t ed25519' and send its .pub");
        }
        if (!ACCEPTED.contains(type)) {
            if (type.matches("(ssh|ecdsa|sk)-[A-Za-z0-9@._-]{1,60}")) {
                throw rejected(
                        "unsupported_key_type",
                        type + " keys are not accepted; accepted are ssh-ed25519, "
                                + "ecdsa-sha2-nistp256/384/521 and ssh-rsa of at least " + MIN_RSA_BITS + " bits");
            }
            throw rejected("not_a_public_key", "this is not an OpenSSH public key: " + WHAT_TO_SEND);
        }
        PublicKey key;
        try {
            PublicKeyEntry entry = PublicKeyEntry.parsePublicKeyEntry(trimmed);
            key = entry == null
                    ? null
                    : entry.resolvePublicKey(null, Collections.emptyMap(), PublicKeyEntryResolver.FAILING);
        } catch (Exception | AssertionError e) {
            key = null;
        }
        if (key == null || key instanceof OpenSshCertificate || !type.equals(KeyUtils.getKeyType(key))) {
            throw rejected(
                    "not_a_public_key",
                    "this is not a readable OpenSSH public key (is the line complete?): " + WHAT_TO_SEND);
        }
        if (key instanceof RSAPublicKey rsa && rsa.getModulus().bitLength() < MIN_RSA_BITS) {
            throw rejected(
                    "key_too_short",
                    "this RSA key has " + rsa.getModulus().bitLength() + " bits; at least " + MIN_RSA_BITS
                            + " are required (better: 'ssh-keygen -t ed25519')");
        }
        return new SubmittedPublicKey(key, type, KeyUtils.getFingerPrint(key));
    }

    private static SshRequestRefused rejected(String code, String message) {
        return new SshRequestRefused(Refusal.invalid(code, "publicKey", message));
    }
}
