package dev.portcullis.bastion.broker;

import dev.portcullis.bastion.PemTrust;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Locale;
import javax.net.ssl.SSLContext;

/**
 * The rules for the bastion's link to the broker and to Keycloak. The broker is reached over TLS and trusted only
 * through one configured CA (PEM), never the JDK's public CAs: whoever can present any publicly trusted certificate
 * for the broker's name, or sits between a bastion and a broker on plain HTTP, could otherwise read the bastion's
 * token, answer its grant questions and hand it a user CA of their own. Plain {@code http} is allowed only to a
 * loopback address (the quickstart and tests, where nothing crosses a network). Keycloak's token endpoint carries the
 * client secret, so it too must be {@code https} unless it is on loopback; it is verified with the JDK's trust store.
 */
public final class BrokerChannel {

    private BrokerChannel() {}

    /** Throws an {@link IllegalArgumentException} with one line when the URLs and the CA file do not go together. */
    public static void check(URI broker, URI token, Path brokerCaFile) {
        check(broker, token, brokerCaFile != null);
    }

    /** The same, for a client that has (or has not) a pinned CA for the broker. */
    static void check(URI broker, URI token, boolean pinnedCa) {
        if (broker != null) {
            String scheme = scheme(broker);
            if ("https".equals(scheme)) {
                if (!pinnedCa) {
                    throw new IllegalArgumentException(
                            "PORTCULLIS_BROKER_CA_FILE is required with an https "
                                    + "PORTCULLIS_BROKER_URL: the CA (PEM) that signed the broker's certificate, the only one the bastion will trust");
                }
            } else if (!"http".equals(scheme) || !isLoopback(broker)) {
                throw new IllegalArgumentException("PORTCULLIS_BROKER_URL must be https:// "
                        + "(plain http only to a loopback broker), not " + broker);
            }
        }
        if (token != null && !"https".equals(scheme(token)) && !("http".equals(scheme(token)) && isLoopback(token))) {
            throw new IllegalArgumentException(
                    "PORTCULLIS_BASTION_TOKEN_URL must be https:// " + "(plain http only on loopback), not " + token);
        }
    }

    /** 127.0.0.0/8, ::1 or localhost, by its text alone (nothing is looked up). */
    static boolean isLoopback(URI uri) {
        String host = uri.getHost();
        if (host == null) {
            return false;
        }
        host = host.toLowerCase(Locale.ROOT);
        return host.equals("localhost")
                || host.equals("[::1]")
                || host.equals("::1")
                || host.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
    }

    private static String scheme(URI uri) {
        return uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    }

    /** A TLS context that trusts the certificates in this PEM file and nothing else. */
    public static SSLContext pinned(Path caPem) throws IOException {
        try {
            return PemTrust.trustingOnly(caPem);
        } catch (IOException e) {
            throw new IOException("PORTCULLIS_BROKER_CA_FILE " + e.getMessage(), e);
        }
    }
}
