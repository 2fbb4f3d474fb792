package dev.portcullis.bastion.broker;

import java.io.IOException;
import java.security.PublicKey;
import java.util.List;
import java.util.Map;

import org.apache.sshd.common.config.keys.OpenSshCertificate;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.PublicKeyEntryResolver;

import com.fasterxml.jackson.databind.JsonNode;

/** The broker's SSH certificate authorities, as the bastion needs them. */
public final class CertificateAuthorityClient {

    private final BrokerClient broker;

    public CertificateAuthorityClient(BrokerClient broker) {
        this.broker = broker;
    }

    /** The key whose certificates the bastion accepts from people. */
    public PublicKey userCa() throws IOException {
        JsonNode ca = broker.get("/api/v1/ssh/ca", false);
        return parse(ca.path("userCaPublicKey").asText(""));
    }

    /** A host certificate for the bastion's key, naming the targets it serves (for ProxyJump) and its own names. */
    public OpenSshCertificate hostCertificate(PublicKey hostKey, List<String> principals) throws IOException {
        JsonNode answer = broker.post("/internal/v1/ssh/host-certificates",
                Map.of("publicKey", PublicKeyEntry.toString(hostKey), "principals", principals));
        PublicKey key = parse(answer.path("certificate").asText(""));
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
