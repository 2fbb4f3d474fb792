package dev.portcullis.bastion.db;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * The database proxy's TLS server identity. An operator gives a certificate chain and its private key as PEM files
 * (PKCS#8 key, EC or RSA); without them the bastion makes a self-signed EC certificate for its host names once, with the
 * JDK's own {@code keytool}, keeps it in its state directory and writes the certificate as {@code db-tls.crt}, which
 * clients can pin ({@code sslrootcert=db-tls.crt sslmode=verify-full}).
 */
public final class DbTls {

    private static final Logger LOG = Logger.getLogger(DbTls.class.getName());
    private static final String ALIAS = "portcullis-db";

    private DbTls() {}

    public static SSLContext fromPem(Path certificateChain, Path privateKey) throws IOException {
        try {
            List<Certificate> chain = new ArrayList<>();
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            try (InputStream in = Files.newInputStream(certificateChain)) {
                chain.addAll(cf.generateCertificates(in));
            }
            if (chain.isEmpty()) {
                throw new IOException(certificateChain + " holds no certificate");
            }
            PrivateKey key = readPkcs8(privateKey, chain.get(0).getPublicKey().getAlgorithm());
            char[] pass = new char[0];
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry(ALIAS, key, pass, chain.toArray(Certificate[]::new));
            return context(store, pass);
        } catch (GeneralSecurityException e) {
            throw new IOException(
                    "cannot use " + certificateChain + " / " + privateKey + " for TLS: " + e.getMessage(), e);
        }
    }

    /** The bastion's own self-signed certificate, made on first use. */
    public static SSLContext selfSigned(Path stateDir, List<String> hostNames) throws IOException {
        Path store = stateDir.resolve("db-tls.p12");
        Path passFile = stateDir.resolve("db-tls.p12.pass");
        Path pem = stateDir.resolve("db-tls.crt");
        if (!Files.exists(store) || !Files.exists(passFile)) {
            generate(store, passFile, pem, hostNames);
        }
        char[] pass = Files.readString(passFile).strip().toCharArray();
        try (InputStream in = Files.newInputStream(store)) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(in, pass);
            return context(ks, pass);
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot read " + store + ": " + e.getMessage(), e);
        }
    }

    /**
     * Makes the key pair in a directory of its own that only this account can enter (keytool creates the keystore at the
     * umask), makes both files 0600 there, and only then moves them into place: neither the key nor its password is
     * ever readable by others, not even briefly.
     */
    private static void generate(Path store, Path passFile, Path pem, List<String> hostNames) throws IOException {
        Files.createDirectories(store.getParent());
        Path work = Files.createTempDirectory(
                store.getParent(),
                ".db-tls-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        try {
            generateIn(work, hostNames);
            Files.deleteIfExists(store);
            Files.move(
                    work.resolve("db-tls.p12.pass"),
                    passFile,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            Files.move(work.resolve("db-tls.p12"), store, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            Files.move(
                    work.resolve("db-tls.crt"),
                    pem,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            LOG.info("the database proxy's certificate, for clients to pin: " + pem);
        } finally {
            for (String name : List.of("db-tls.p12", "db-tls.p12.pass", "db-tls.crt")) {
                Files.deleteIfExists(work.resolve(name));
            }
            Files.deleteIfExists(work);
        }
    }

    private static void generateIn(Path work, List<String> hostNames) throws IOException {
        Path store = work.resolve("db-tls.p12");
        Path passFile = work.resolve("db-tls.p12.pass");
        Path pem = work.resolve("db-tls.crt");
        byte[] random = new byte[24];
        new SecureRandom().nextBytes(random);
        String pass = HexFormat.of().formatHex(random);
        Files.createFile(passFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(passFile, pass + "\n");
        List<String> san = new ArrayList<>();
        for (String name : hostNames) {
            String n = name.strip();
            if (!n.isEmpty()) {
                san.add((n.matches("[0-9.]+") || n.contains(":") ? "ip:" : "dns:") + n);
            }
        }
        List<String> gen = new ArrayList<>(List.of(
                "-genkeypair",
                "-alias",
                ALIAS,
                "-keyalg",
                "EC",
                "-groupname",
                "secp256r1",
                "-sigalg",
                "SHA256withECDSA",
                "-dname",
                "CN=portcullis-bastion",
                "-validity",
                "825",
                "-keypass:env",
                "PORTCULLIS_KEYSTORE_PASS"));
        if (!san.isEmpty()) {
            gen.add("-ext");
            gen.add("SAN=" + String.join(",", san));
        }
        keytool(store, pass, gen);
        keytool(store, pass, List.of("-exportcert", "-rfc", "-alias", ALIAS, "-file", pem.toString()));
        Files.setPosixFilePermissions(store, PosixFilePermissions.fromString("rw-------"));
        Files.setPosixFilePermissions(pem, PosixFilePermissions.fromString("rw-r--r--"));
        LOG.info("made a self-signed TLS certificate for the database proxy (" + String.join(", ", san) + ")");
    }

    /** Runs the JDK's keytool on {@code store}, its password passed in the environment, never on the command line. */
    private static void keytool(Path store, String pass, List<String> args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(args);
        command.addAll(List.of(
                "-keystore", store.toString(), "-storetype", "PKCS12", "-storepass:env", "PORTCULLIS_KEYSTORE_PASS"));
        run(command, pass);
    }

    private static void run(List<String> command, String pass) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("PORTCULLIS_KEYSTORE_PASS", pass);
        Process p = pb.start();
        try {
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException("keytool failed: " + output.strip());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while making the TLS certificate", e);
        } finally {
            p.destroy();
        }
    }

    private static PrivateKey readPkcs8(Path file, String algorithm) throws IOException, GeneralSecurityException {
        String text = Files.readString(file);
        int begin = text.indexOf("-----BEGIN PRIVATE KEY-----");
        int end = text.indexOf("-----END PRIVATE KEY-----");
        if (begin < 0 || end < begin) {
            throw new IOException(file + " is not a PKCS#8 PEM private key (-----BEGIN PRIVATE KEY-----); "
                    + "convert it with: openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8");
        }
        byte[] der =
                Base64.getMimeDecoder().decode(text.substring(begin + 27, end).getBytes(StandardCharsets.US_ASCII));
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
    }

    private static SSLContext context(KeyStore store, char[] pass) throws GeneralSecurityException {
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(store, pass);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, new SecureRandom());
        return ctx;
    }
}
