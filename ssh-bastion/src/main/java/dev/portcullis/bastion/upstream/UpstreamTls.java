package dev.portcullis.bastion.upstream;

import dev.portcullis.bastion.PemTrust;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import javax.net.ssl.SSLContext;

/**
 * Whether the database proxy speaks TLS to a PostgreSQL target, and whom it trusts there. Only what libpq calls
 * {@code sslmode=verify-full} is offered: the server's certificate must chain to the given CA (or to the JDK's
 * trust store when none is given) and name the host the proxy dialled. Encryption without that check would let
 * anyone on the path read every query, so there is no such mode.
 *
 * @param context null when TLS is off
 */
public record UpstreamTls(SSLContext context, String describe) {

    public static final UpstreamTls OFF = new UpstreamTls(null, "off");

    public boolean enabled() {
        return context != null;
    }

    /** verify-full against the certificates in this PEM file (one CA or several). */
    public static UpstreamTls verifyFull(Path caPem) throws IOException {
        return new UpstreamTls(PemTrust.trustingOnly(caPem), "verify-full against " + caPem);
    }

    /** verify-full against the JDK's trust store (public CAs). */
    public static UpstreamTls verifyFullWithSystemTrust() throws IOException {
        try {
            return new UpstreamTls(SSLContext.getDefault(), "verify-full against the JDK's trust store");
        } catch (GeneralSecurityException e) {
            throw new IOException("the JDK has no default TLS context: " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return describe;
    }
}
