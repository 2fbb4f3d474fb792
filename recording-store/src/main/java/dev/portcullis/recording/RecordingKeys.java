package dev.portcullis.recording;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;

/**
 * The bastion's manifest-signing key on disk, as two PEM files like {@code openssl genpkey
 * -algorithm ed25519} writes them: "PRIVATE KEY" (PKCS#8, mode 0600) and "PUBLIC KEY" (X.509). Two
 * files because the JDK cannot derive an Ed25519 public key from the private one. Keys are never
 * overwritten: a replaced key would orphan every recording it signed.
 */
public final class RecordingKeys {

    private RecordingKeys() {}

    /** Loads the pair, or generates and saves one when neither file exists yet (a bastion's first start). */
    public static RecordingSigner loadOrGenerate(Path privateKeyPem, Path publicKeyPem) throws IOException {
        boolean privateExists = Files.exists(privateKeyPem);
        boolean publicExists = Files.exists(publicKeyPem);
        if (privateExists && publicExists) {
            return load(privateKeyPem, publicKeyPem);
        }
        if (privateExists || publicExists) {
            throw new IOException(
                    "only one of " + privateKeyPem + " and " + publicKeyPem + " exists; refusing to make a new pair");
        }
        KeyPair keys = generateKeyPair();
        save(keys, privateKeyPem, publicKeyPem);
        return new RecordingSigner(keys);
    }

    public static RecordingSigner load(Path privateKeyPem, Path publicKeyPem) throws IOException {
        PrivateKey privateKey;
        try {
            privateKey = KeyFactory.getInstance("Ed25519")
                    .generatePrivate(new PKCS8EncodedKeySpec(pem(privateKeyPem, "PRIVATE KEY")));
        } catch (GeneralSecurityException e) {
            throw new IOException(privateKeyPem + " does not hold an Ed25519 private key", e);
        }
        RecordingSigner signer = new RecordingSigner(new KeyPair(readPublicKey(publicKeyPem), privateKey));
        byte[] probe = "portcullis key pair check".getBytes(StandardCharsets.US_ASCII);
        if (!RecordingSigner.verify(signer.publicKey(), probe, signer.sign(probe))) {
            throw new IOException(publicKeyPem + " is not the public key of " + privateKeyPem);
        }
        return signer;
    }

    /** Writes both halves; fails if either file exists. The private key is readable by its owner only. */
    public static void save(KeyPair keys, Path privateKeyPem, Path publicKeyPem) throws IOException {
        if (Files.exists(privateKeyPem) || Files.exists(publicKeyPem)) {
            throw new FileAlreadyExistsException(
                    Files.exists(privateKeyPem) ? privateKeyPem.toString() : publicKeyPem.toString());
        }
        writeNew(privateKeyPem, pem("PRIVATE KEY", keys.getPrivate().getEncoded()), true);
        writeNew(publicKeyPem, pem("PUBLIC KEY", keys.getPublic().getEncoded()), false);
    }

    public static KeyPair generateKeyPair() {
        try {
            return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 is part of every JDK 15+", e);
        }
    }

    public static PublicKey readPublicKey(Path pem) throws IOException {
        try {
            return RecordingSigner.publicKey(pem(pem, "PUBLIC KEY"));
        } catch (IllegalArgumentException e) {
            throw new IOException(pem + " does not hold an Ed25519 public key", e);
        }
    }

    private static byte[] pem(Path file, String type) throws IOException {
        String text = Files.readString(file, StandardCharsets.US_ASCII);
        String begin = "-----BEGIN " + type + "-----";
        String end = "-----END " + type + "-----";
        int from = text.indexOf(begin);
        int to = text.indexOf(end);
        if (from < 0 || to < from) {
            throw new IOException(file + " is not a PEM " + type + " file");
        }
        try {
            return Base64.getMimeDecoder().decode(text.substring(from + begin.length(), to));
        } catch (IllegalArgumentException e) {
            throw new IOException(file + " has a damaged PEM body", e);
        }
    }

    /** A public key as PEM ({@code -----BEGIN PUBLIC KEY-----}), as {@code openssl pkey -pubin} reads it. */
    public static String publicKeyPem(java.security.PublicKey key) {
        return pem("PUBLIC KEY", key.getEncoded());
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static void writeNew(Path target, String content, boolean secret) throws IOException {
        Path parent = target.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        if (secret && Files.getFileStore(parent).supportsFileAttributeView("posix")) {
            // Created with its final mode, so the key is never readable by others, not even briefly.
            Files.createFile(
                    target, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } else {
            Files.createFile(target);
        }
        Files.writeString(target, content, StandardCharsets.US_ASCII, StandardOpenOption.WRITE);
    }
}
