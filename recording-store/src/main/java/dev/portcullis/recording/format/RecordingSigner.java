package dev.portcullis.recording.format;

import dev.portcullis.recording.storage.AtomicFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.Objects;

/**
 * The bastion's Ed25519 key for signing recording manifests. Kept as two PEM files (private, 0600,
 * and public) because the JDK cannot derive an Ed25519 public key from the private one.
 */
public final class RecordingSigner {

    private final PrivateKey privateKey;
    private final PublicKey publicKey;

    private RecordingSigner(PrivateKey privateKey, PublicKey publicKey) {
        this.privateKey = Objects.requireNonNull(privateKey, "privateKey");
        this.publicKey = Objects.requireNonNull(publicKey, "publicKey");
    }

    public static RecordingSigner generate() {
        KeyPair pair = Ed25519Keys.generate();
        return new RecordingSigner(pair.getPrivate(), pair.getPublic());
    }

    public static RecordingSigner of(KeyPair pair) {
        return checked(pair.getPrivate(), pair.getPublic(), "key pair");
    }

    public static RecordingSigner load(Path privateKeyPem, Path publicKeyPem) throws IOException {
        return checked(Ed25519Keys.readPrivateKey(privateKeyPem), Ed25519Keys.readPublicKey(publicKeyPem),
                privateKeyPem + " and " + publicKeyPem);
    }

    /** Loads the pair, or creates and saves a new one when neither file exists yet (first start). */
    public static RecordingSigner loadOrGenerate(Path privateKeyPem, Path publicKeyPem) throws IOException {
        boolean privateExists = Files.exists(privateKeyPem);
        boolean publicExists = Files.exists(publicKeyPem);
        if (privateExists && publicExists) {
            return load(privateKeyPem, publicKeyPem);
        }
        if (privateExists || publicExists) {
            // Regenerating here would silently orphan every recording signed with the surviving half.
            throw new IOException("only one of " + privateKeyPem + " and " + publicKeyPem + " exists");
        }
        RecordingSigner signer = generate();
        signer.save(privateKeyPem, publicKeyPem);
        return signer;
    }

    public void save(Path privateKeyPem, Path publicKeyPem) throws IOException {
        writeNew(privateKeyPem, Ed25519Keys.pem(privateKey), true);
        writeNew(publicKeyPem, Ed25519Keys.pem(publicKey), false);
    }

    public PublicKey publicKey() {
        return publicKey;
    }

    public String keyId() {
        return Ed25519Keys.keyId(publicKey);
    }

    public byte[] sign(byte[] message) {
        return Ed25519Keys.sign(privateKey, message);
    }

    private static RecordingSigner checked(PrivateKey privateKey, PublicKey publicKey, String source) {
        byte[] probe = "portcullis key pair check".getBytes(StandardCharsets.US_ASCII);
        if (!Ed25519Keys.verify(publicKey, probe, Ed25519Keys.sign(privateKey, probe))) {
            throw new IllegalArgumentException(source + ": the public key does not belong to the private key");
        }
        return new RecordingSigner(privateKey, publicKey);
    }

    private static void writeNew(Path target, String content, boolean secret) throws IOException {
        Files.createDirectories(target.toAbsolutePath().getParent());
        // Never overwrite: a replaced key would orphan every recording it signed.
        AtomicFiles.writeOnce(target, content.getBytes(StandardCharsets.US_ASCII),
                secret ? PosixFilePermissions.fromString("rw-------") : null);
    }

    @Override
    public String toString() {
        return "RecordingSigner[" + keyId() + "]";
    }
}
