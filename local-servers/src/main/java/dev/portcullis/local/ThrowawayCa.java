package dev.portcullis.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A certificate authority made at test time with Debian's openssl, and a server certificate it signs for 127.0.0.1 and
 * localhost: for local TLS servers of the tests (rsyslog's syslog over TLS). Throwaway keys, never committed.
 */
public final class ThrowawayCa {

    private final Path caCertificate;
    private final Path serverCertificate;
    private final Path serverKey;

    private ThrowawayCa(Path caCertificate, Path serverCertificate, Path serverKey) {
        this.caCertificate = caCertificate;
        this.serverCertificate = serverCertificate;
        this.serverKey = serverKey;
    }

    /** Makes {@code ca.pem}, {@code server.pem} and {@code server.key} in {@code dir}, named after {@code name}. */
    public static ThrowawayCa create(Path dir, String name) {
        try {
            Files.createDirectories(dir);
            Path log = dir.resolve(name + "-openssl.log");
            Path caKey = dir.resolve(name + "-ca.key");
            Path ca = dir.resolve(name + "-ca.pem");
            Path key = dir.resolve(name + "-server.key");
            Path csr = dir.resolve(name + "-server.csr");
            Path cert = dir.resolve(name + "-server.pem");
            Path ext = dir.resolve(name + "-server.ext");
            Files.writeString(
                    ext,
                    "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n"
                            + "basicConstraints=CA:FALSE\n");
            openssl(
                    log,
                    "req",
                    "-x509",
                    "-newkey",
                    "ec",
                    "-pkeyopt",
                    "ec_paramgen_curve:prime256v1",
                    "-nodes",
                    "-keyout",
                    caKey.toString(),
                    "-out",
                    ca.toString(),
                    "-days",
                    "2",
                    "-subj",
                    "/CN=" + name + " test CA");
            openssl(
                    log,
                    "req",
                    "-newkey",
                    "ec",
                    "-pkeyopt",
                    "ec_paramgen_curve:prime256v1",
                    "-nodes",
                    "-keyout",
                    key.toString(),
                    "-out",
                    csr.toString(),
                    "-subj",
                    "/CN=localhost");
            openssl(
                    log,
                    "x509",
                    "-req",
                    "-in",
                    csr.toString(),
                    "-CA",
                    ca.toString(),
                    "-CAkey",
                    caKey.toString(),
                    "-CAcreateserial",
                    "-out",
                    cert.toString(),
                    "-days",
                    "2",
                    "-extfile",
                    ext.toString());
            return new ThrowawayCa(ca, cert, key);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void openssl(Path log, String... args) {
        List<String> command = new java.util.ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        Processes.run(command, null, log, 60, Map.of());
    }

    /** The CA certificate (PEM) a client trusts. */
    public Path caCertificate() {
        return caCertificate;
    }

    public Path serverCertificate() {
        return serverCertificate;
    }

    public Path serverKey() {
        return serverKey;
    }
}
