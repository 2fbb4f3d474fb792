package dev.portcullis.bastion.broker;

import com.fasterxml.jackson.databind.JsonNode;
import dev.portcullis.contract.BastionApi.HostCertificate;
import dev.portcullis.contract.BastionApi.HostCertificateRequest;
import dev.portcullis.ssh.ed25519.JdkEd25519;
import java.io.IOException;
import java.security.PublicKey;
import java.util.List;
import java.util.Map;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.OpenSshCertificate;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.PublicKeyEntryResolver;
import org.apache.sshd.common.digest.BuiltinDigests;

/**
 * The broker's SSH certificate authorities, as the bastion needs them. The user CA decides who gets in, so the bastion
 * takes it from the broker only when its SHA-256 fingerprint is the one pinned in the bastion's settings: a broker (or
 * anyone answering in its name) that hands out another key is refused, whatever the transport said.
 */
public final class CertificateAuthorityClient {

    static {
        // MINA's Ed25519 is the JDK's; it must be in place before MINA reads or makes a key
        JdkEd25519.install();
    }

    private final BrokerClient broker;
    private final String userCaFingerprint;

    /** @param userCaFingerprint {@code SHA256:...}, as ssh-keygen -l prints it */
    public CertificateAuthorityClient(BrokerClient broker, String userCaFingerprint) {
        this.broker = broker;
        this.userCaFingerprint = userCaFingerprint;
    }

    /** The broker's user CA is not the pinned one. */
    public static final class PinMismatchException extends IOException {
        PinMismatchException(String message) {
            super(message);
        }
    }

    /** The key whose certificates the bastion accepts from people, if it is the pinned one. */
    public PublicKey userCa() throws IOException {
        JsonNode ca = broker.get("/api/v1/ssh/ca", false);
        PublicKey key = parse(ca.path("userCaPublicKey").asText(""));
        String fingerprint = KeyUtils.getFingerPrint(BuiltinDigests.sha256, key);
        if (!userCaFingerprint.equals(fingerprint)) {
            throw new PinMismatchException("the broker's user CA is " + fingerprint + ", not " + userCaFingerprint
                    + " (PORTCULLIS_USER_CA_FINGERPRINT); refusing it");
        }
        return key;
    }

    /** A host certificate for the bastion's key, naming the targets it serves (for ProxyJump) and its own names. */
    public OpenSshCertificate hostCertificate(PublicKey hostKey, List<String> principals) throws IOException {
        HostCertificate answer = broker.post(
                "/internal/v1/ssh/host-certificates",
                new HostCertificateRequest(PublicKeyEntry.toString(hostKey), principals),
                HostCertificate.class);
        PublicKey key = parse(answer == null || answer.certificate() == null ? "" : answer.certificate());
        if (!(key instanceof OpenSshCertificate cert) || cert.getType() != OpenSshCertificate.Type.HOST) {
            throw new IOException("the broker's answer is not a host certificate");
        }
        return cert;
    }

    static PublicKey parse(String line) throws IOException {
        try {
            PublicKeyEntry entry = PublicKeyEntry.parsePublicKeyEntry(line.trim());
            if (entry == null) {
                throw new IOException("the broker sent no key");
            }
            return entry.resolvePublicKey(null, Map.of(), PublicKeyEntryResolver.FAILING);
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("the broker sent a key that cannot be read: " + e.getMessage(), e);
        }
    }
}
