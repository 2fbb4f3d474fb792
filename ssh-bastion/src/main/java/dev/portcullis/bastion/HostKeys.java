package dev.portcullis.bastion;

import dev.portcullis.ssh.ed25519.JdkEd25519;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.Iterator;
import org.apache.sshd.common.config.keys.writer.openssh.OpenSSHKeyPairResourceWriter;
import org.apache.sshd.common.util.security.SecurityUtils;

/** The bastion's own SSH host key: Ed25519, OpenSSH format, made on first start and kept in the state directory. */
public final class HostKeys {

    static {
        // MINA's Ed25519 is the JDK's; it must be in place before MINA reads or makes a key
        JdkEd25519.install();
    }

    private HostKeys() {}

    public static KeyPair loadOrGenerate(Path file) throws IOException {
        if (Files.exists(file)) {
            try (InputStream in = Files.newInputStream(file)) {
                Iterable<KeyPair> pairs = SecurityUtils.loadKeyPairIdentities(null, () -> file.toString(), in, null);
                Iterator<KeyPair> it = pairs == null ? null : pairs.iterator();
                if (it == null || !it.hasNext()) {
                    throw new IOException(file + " holds no private key");
                }
                return it.next();
            } catch (GeneralSecurityException e) {
                throw new IOException(file + " cannot be read as an OpenSSH private key: " + e.getMessage(), e);
            }
        }
        try {
            KeyPairGenerator generator = SecurityUtils.getKeyPairGenerator(SecurityUtils.EDDSA);
            KeyPair pair = generator.generateKeyPair();
            Files.createDirectories(file.getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.deleteIfExists(tmp);
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try (OutputStream out = Files.newOutputStream(tmp, StandardOpenOption.WRITE)) {
                OpenSSHKeyPairResourceWriter.INSTANCE.writePrivateKey(pair, "portcullis-bastion", null, out);
            }
            Files.move(tmp, file);
            return pair;
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot make an Ed25519 host key: " + e.getMessage(), e);
        }
    }
}
