package dev.portcullis.bastion.server;

import java.util.List;

import org.apache.sshd.common.NamedFactory;
import org.apache.sshd.common.cipher.BuiltinCiphers;
import org.apache.sshd.common.cipher.Cipher;

/**
 * The ciphers the bastion offers and asks for: AES-GCM and AES-CTR only. The JVM runs AES on the CPU's AES
 * instructions, while ChaCha20-Poly1305 is plain Java in MINA and several times slower; as the client's first
 * choice among the server's offers wins, and OpenSSH puts ChaCha20 first, the bastion must not offer it at all.
 * A bastion decrypts and re-encrypts every byte, so this choice sets its throughput. No CBC, no RC4, no 3DES.
 */
public final class Ciphers {

    public static final List<NamedFactory<Cipher>> PREFERRED = List.of(BuiltinCiphers.aes128gcm, BuiltinCiphers.aes256gcm,
            BuiltinCiphers.aes128ctr, BuiltinCiphers.aes192ctr, BuiltinCiphers.aes256ctr);

    private Ciphers() {
    }
}
