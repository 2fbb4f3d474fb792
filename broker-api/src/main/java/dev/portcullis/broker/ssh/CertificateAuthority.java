package dev.portcullis.broker.ssh;

import dev.portcullis.ssh.ed25519.JdkEd25519;
import java.security.KeyPair;
import org.apache.sshd.certificate.OpenSshCertificateBuilder;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.OpenSshCertificate;
import org.apache.sshd.common.config.keys.PublicKeyEntry;

/** One Ed25519 certificate authority: the user CA (signs people's keys) or the host CA (signs bastions' host keys). */
final class CertificateAuthority {

    static {
        // MINA's Ed25519 is the JDK's; it must be in place before MINA reads or makes a key
        JdkEd25519.install();
    }

    private final String name;
    private final KeyPair keys;

    CertificateAuthority(String name, KeyPair keys) {
        this.name = name;
        this.keys = keys;
    }

    /** {@code ssh-ed25519 AAAA...}, without a comment: what sshd's TrustedUserCAKeys and known_hosts take. */
    String publicKeyLine() {
        return PublicKeyEntry.toString(keys.getPublic());
    }

    String fingerprint() {
        return KeyUtils.getFingerPrint(keys.getPublic());
    }

    String name() {
        return name;
    }

    OpenSshCertificate sign(OpenSshCertificateBuilder certificate) {
        try {
            return certificate.sign(keys);
        } catch (Exception e) {
            throw new IllegalStateException("the " + name + " could not sign a certificate: " + e.getMessage(), e);
        }
    }
}
