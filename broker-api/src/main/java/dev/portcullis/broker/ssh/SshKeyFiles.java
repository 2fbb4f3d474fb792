package dev.portcullis.broker.ssh;

import dev.portcullis.ssh.ed25519.JdkEd25519;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.util.Iterator;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.loader.openssh.OpenSSHKeyPairResourceParser;
import org.apache.sshd.common.config.keys.writer.openssh.OpenSSHKeyPairResourceWriter;
import org.apache.sshd.common.keyprovider.KeyPairProvider;

/**
 * A CA key on disk in the OpenSSH private key format, as {@code ssh-keygen -t ed25519} writes it, so operators
 * can inspect it ({@code ssh-keygen -y -f FILE}) and back it up with the tools they know. Several broker
 * replicas share one file: the first to start creates it, atomically, and every other one reads that key.
 */
final class SshKeyFiles {

    static {
        // MINA's Ed25519 is the JDK's; it must be in place before MINA reads or makes a key
        JdkEd25519.install();
    }

    private SshKeyFiles() {}

    /** @return the key in {@code file}, generated first (Ed25519, mode 0600, parent directories created) when the file does not exist */
    static Loaded loadOrGenerate(Path file, String comment) throws IOException {
        Path target = file.toAbsolutePath();
        if (Files.exists(target)) {
            return new Loaded(load(target), false);
        }
        KeyPair generated;
        try {
            generated = KeyUtils.generateKeyPair(KeyPairProvider.SSH_ED25519, 256);
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot generate an Ed25519 key: " + e.getMessage(), e);
        }
        Path dir = target.getParent();
        Files.createDirectories(dir);
        boolean posix = Files.getFileStore(dir).supportsFileAttributeView("posix");
        // Written in full under a temporary name, then linked into place: a replica starting at the same moment
        // either sees no file or the whole key, and the link fails for the one that comes second.
        Path temp = posix
                ? Files.createTempFile(
                        dir,
                        ".incoming-",
                        ".key",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))
                : Files.createTempFile(dir, ".incoming-", ".key");
        try {
            try (OutputStream out = Files.newOutputStream(temp)) {
                OpenSSHKeyPairResourceWriter.INSTANCE.writePrivateKey(generated, comment, null, out);
            }
            Files.createLink(target, temp);
        } catch (FileAlreadyExistsException lostTheRace) {
            return new Loaded(load(target), false);
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot write the OpenSSH private key " + target + ": " + e.getMessage(), e);
        } finally {
            Files.deleteIfExists(temp);
        }
        Path pub = target.resolveSibling(target.getFileName() + ".pub");
        if (!Files.exists(pub)) {
            // For operators (TrustedUserCAKeys, known_hosts); the broker itself always derives the public key from the
            // private one.
            Files.writeString(
                    pub,
                    PublicKeyEntry.toString(generated.getPublic()) + " " + comment + "\n",
                    StandardCharsets.US_ASCII);
        }
        return new Loaded(generated, true);
    }

    static KeyPair load(Path file) throws IOException {
        Iterable<KeyPair> pairs;
        try {
            pairs = OpenSSHKeyPairResourceParser.INSTANCE.loadKeyPairs(null, file, null);
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new IOException(file + " is not an unencrypted OpenSSH private key: " + e.getMessage(), e);
        }
        Iterator<KeyPair> it = pairs == null ? null : pairs.iterator();
        if (it == null || !it.hasNext()) {
            throw new IOException(file + " holds no OpenSSH private key");
        }
        KeyPair pair = it.next();
        String type = KeyUtils.getKeyType(pair.getPublic());
        if (!KeyPairProvider.SSH_ED25519.equals(type)) {
            throw new IOException(file + " holds a " + type + " key; the Portcullis CAs use Ed25519 keys");
        }
        return pair;
    }

    record Loaded(KeyPair keys, boolean generated) {}
}
