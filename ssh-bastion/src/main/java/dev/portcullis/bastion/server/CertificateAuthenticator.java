package dev.portcullis.bastion.server;

import dev.portcullis.ssh.ed25519.JdkEd25519;
import dev.portcullis.workflow.port.GrantAuthority;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.security.PublicKey;
import java.time.Clock;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.logging.Logger;
import org.apache.sshd.common.AttributeRepository.AttributeKey;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.OpenSshCertificate;
import org.apache.sshd.server.auth.pubkey.PublickeyAuthenticator;
import org.apache.sshd.server.auth.pubkey.UserAuthPublicKey;
import org.apache.sshd.server.session.ServerSession;

/**
 * Lets in people holding a short-lived certificate from the broker's user CA. MINA has already checked the
 * certificate's type, validity window, CA signature and that the client holds the key; it does not check WHICH CA
 * signed it nor the principals, which is what this class is for. Plain keys only when an operator lists them.
 *
 * <p>The person is the certificate's principal. For {@code login+target} names the certificate must name exactly
 * one person; for any other name (a jump connection) the name must be one of the principals; for the inner
 * connection of a jump it must be the person of the outer connection.
 */
final class CertificateAuthenticator implements PublickeyAuthenticator {

    static {
        // MINA's Ed25519 is the JDK's; it must be in place before MINA reads or makes a key
        JdkEd25519.install();
    }

    private static final Logger LOG = Logger.getLogger(CertificateAuthenticator.class.getName());

    private final Supplier<PublicKey> userCa;
    private final Map<String, PublicKey> plainKeys;
    private final JumpRegistry jumps;
    private final Clock clock;

    /**
     * @param userCa    the broker's user CA key, or null while it is not known (then nobody gets in)
     * @param plainKeys person to key, when an operator allows plain keys; empty otherwise
     */
    CertificateAuthenticator(
            Supplier<PublicKey> userCa, Map<String, PublicKey> plainKeys, JumpRegistry jumps, Clock clock) {
        this.userCa = userCa;
        this.plainKeys = Map.copyOf(plainKeys);
        this.jumps = jumps;
        this.clock = clock;
    }

    @Override
    public boolean authenticate(String username, PublicKey key, ServerSession session) {
        session.removeAttribute(PENDING);
        String person = personFor(username, key, session);
        if (person == null) {
            return false;
        }
        JumpRegistry.Jump jump = jumps.lookup(session.getClientAddress());
        Destination destination;
        if (jump != null) {
            if (!jump.person().equals(person)) {
                return refuse(
                        username,
                        session,
                        "the inner connection of a jump is by " + person + ", the outer by " + jump.person());
            }
            if (!Destination.validLogin(username)) {
                return refuse(username, session, "'" + username + "' is not a valid login");
            }
            destination = new Destination(username, jump.target());
        } else {
            destination = Destination.parse(username).orElse(null);
        }
        // MINA calls this for a key offered without a signature too, and before it checks the signature: the
        // connection is only the session's once MINA says the login succeeded (see #authenticated)
        session.setAttribute(
                PENDING,
                new Pending(
                        key,
                        new Connection(
                                person,
                                account(key),
                                destination,
                                jump != null ? jump.clientAddress() : address(session.getClientAddress()))));
        return true;
    }

    /**
     * The login succeeded: the connection of the key whose signature MINA has just verified becomes the session's.
     * MINA calls the authenticator for that key right before it checks the signature, so the last candidate is it;
     * the key is compared with the one MINA recorded as authenticated all the same.
     */
    static void authenticated(ServerSession session) {
        Pending pending = session.removeAttribute(PENDING);
        List<PublicKey> verified = session.getAttribute(UserAuthPublicKey.AUTHENTICATED_KEYS);
        // MINA lists a certificate's own key, whose signature it verified
        PublicKey signer = pending == null
                ? null
                : pending.key() instanceof OpenSshCertificate cert ? cert.getCertPubKey() : pending.key();
        if (signer == null || verified == null || verified.stream().noneMatch(k -> KeyUtils.compareKeys(k, signer))) {
            LOG.warning("login from " + address(session.getClientAddress())
                    + " succeeded without a matching certificate; closing it");
            session.close(true);
            return;
        }
        Connection connection = pending.connection();
        session.setAttribute(Connection.KEY, connection);
        LOG.info(() -> "authenticated " + connection.person() + " from " + address(session.getClientAddress()) + " for "
                + (connection.destination() == null
                        ? "jumps"
                        : connection.destination().toString()) + " with "
                + describe(pending.key()));
    }

    /** What a key offered in this login would be, should its signature verify. */
    private record Pending(PublicKey key, Connection connection) {}

    private static final AttributeKey<Pending> PENDING = new AttributeKey<>();

    private String personFor(String username, PublicKey key, ServerSession session) {
        if (key instanceof OpenSshCertificate cert) {
            PublicKey ca = userCa.get();
            if (ca == null) {
                refuse(username, session, "the broker's user CA is not known yet");
                return null;
            }
            if (cert.getType() != OpenSshCertificate.Type.USER) {
                refuse(username, session, "a host certificate was offered as a user certificate");
                return null;
            }
            if (!KeyUtils.compareKeys(ca, cert.getCaPubKey())) {
                refuse(
                        username,
                        session,
                        "certificate signed by another CA (" + KeyUtils.getFingerPrint(cert.getCaPubKey()) + ")");
                return null;
            }
            if (!OpenSshCertificate.isValidAt(cert, clock.instant())) {
                refuse(username, session, "certificate " + cert.getId() + " is outside its validity window");
                return null;
            }
            if (!cert.getCriticalOptions().isEmpty()) {
                // OpenSSH semantics: a critical option the server does not enforce means the certificate is refused
                refuse(username, session, "certificate carries critical options this bastion does not enforce");
                return null;
            }
            Collection<String> principals = cert.getPrincipals();
            if (principals == null || principals.isEmpty()) {
                refuse(username, session, "certificate names no principal");
                return null;
            }
            if (username.contains("+") || jumps.lookup(session.getClientAddress()) != null) {
                if (principals.size() != 1) {
                    refuse(username, session, "certificate names more than one person");
                    return null;
                }
                return principals.iterator().next();
            }
            if (!principals.contains(username)) {
                refuse(username, session, "certificate is not for " + username);
                return null;
            }
            return username;
        }
        for (Map.Entry<String, PublicKey> e : plainKeys.entrySet()) {
            if (KeyUtils.compareKeys(e.getValue(), key)) {
                String person = e.getKey();
                if (!username.contains("+")
                        && jumps.lookup(session.getClientAddress()) == null
                        && !username.equals(person)) {
                    refuse(username, session, "key belongs to " + person);
                    return null;
                }
                return person;
            }
        }
        refuse(
                username,
                session,
                "plain key " + KeyUtils.getFingerPrint(key) + " offered; get a certificate from the broker");
        return null;
    }

    /**
     * The account the broker certified the key for; null for plain keys. A certificate without it (from a broker
     * before accounts were certified) is asked about by username alone until it expires.
     */
    private static String account(PublicKey key) {
        if (key instanceof OpenSshCertificate cert) {
            String account = cert.getExtensionsMap().get(GrantAuthority.ACCOUNT_EXTENSION);
            return account == null || account.isBlank() ? null : account;
        }
        return null;
    }

    private static boolean refuse(String username, ServerSession session, String why) {
        LOG.info(() -> "refused '" + username + "' from " + address(session.getClientAddress()) + ": " + why);
        return false;
    }

    private static String describe(PublicKey key) {
        if (key instanceof OpenSshCertificate cert) {
            return "certificate " + cert.getId() + " serial " + cert.getSerial();
        }
        return "key " + KeyUtils.getFingerPrint(key);
    }

    static String address(SocketAddress address) {
        if (address instanceof InetSocketAddress inet) {
            return inet.getAddress().getHostAddress() + ":" + inet.getPort();
        }
        return String.valueOf(address);
    }
}
