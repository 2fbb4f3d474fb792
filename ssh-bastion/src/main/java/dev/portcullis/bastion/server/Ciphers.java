package dev.portcullis.bastion.server;

import java.util.List;
import org.apache.sshd.common.NamedFactory;
import org.apache.sshd.common.cipher.BuiltinCiphers;
import org.apache.sshd.common.cipher.Cipher;

/**
 * The ciphers of the bastion's two SSH connections. A bastion decrypts and re-encrypts every byte, so this choice
 * sets its throughput. The JVM runs AES-GCM on the CPU's AES and carry-less multiply instructions; ChaCha20-Poly1305
 * is plain Java in MINA and several times slower, and AES-CTR needs a separate HMAC that costs more than GCM's own
 * authentication (measured faster than CTR with a MAC for bulk transfers: docs/measurements.md).
 * No CBC, no RC4, no 3DES.
 *
 * <p>In SSH the client's first choice among the server's offers wins, and OpenSSH lists ChaCha20 and then AES-CTR
 * before AES-GCM: so towards users the bastion offers AES-GCM only (OpenSSH has it since 6.2, PuTTY since 0.76; a
 * client without it is told "no matching cipher found"). Towards targets the bastion is the client and asks for
 * AES-GCM first, with AES-CTR for older servers.
 */
public final class Ciphers {

    /** What the bastion's server offers to users' clients. */
    public static final List<NamedFactory<Cipher>> OFFERED =
            List.of(BuiltinCiphers.aes128gcm, BuiltinCiphers.aes256gcm);

    /** What the bastion asks targets for, best first. */
    public static final List<NamedFactory<Cipher>> ASKED = List.of(
            BuiltinCiphers.aes128gcm,
            BuiltinCiphers.aes256gcm,
            BuiltinCiphers.aes128ctr,
            BuiltinCiphers.aes192ctr,
            BuiltinCiphers.aes256ctr);

    private Ciphers() {}
}
