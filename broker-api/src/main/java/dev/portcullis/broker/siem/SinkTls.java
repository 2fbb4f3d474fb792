package dev.portcullis.broker.siem;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * The TLS trust of one sink: the CA certificates of a PEM file when one is set, otherwise the JDK's default trust
 * store. Never a trust-all: a sink whose certificate does not verify, or does not name the host, gets nothing.
 */
final class SinkTls {

    private SinkTls() {}

    /** @throws IllegalArgumentException with a one-line reason when the file is missing or holds no certificate */
    static SSLContext context(Optional<Path> caFile, String setting) {
        try {
            if (caFile.isEmpty()) {
                return SSLContext.getDefault();
            }
            Path file = caFile.get();
            if (!Files.isReadable(file)) {
                throw new IllegalArgumentException(setting + " names " + file + ", which cannot be read");
            }
            Collection<? extends Certificate> certificates;
            try (InputStream in = Files.newInputStream(file)) {
                certificates = CertificateFactory.getInstance("X.509").generateCertificates(in);
            }
            if (certificates.isEmpty()) {
                throw new IllegalArgumentException(setting + " names " + file + ", which holds no PEM certificate");
            }
            KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
            trust.load(null, null);
            int i = 0;
            for (Certificate certificate : certificates) {
                trust.setCertificateEntry("ca-" + i++, certificate);
            }
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(trust);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, factory.getTrustManagers(), null);
            return context;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException(setting + ": cannot read the CA certificates (" + e.getMessage() + ")");
        }
    }
}
