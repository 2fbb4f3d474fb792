package dev.portcullis.broker.ssh;

import dev.portcullis.broker.persistence.CertificateSerials;
import dev.portcullis.ssh.ed25519.JdkEd25519;
import dev.portcullis.workflow.policy.Target;
import dev.portcullis.workflow.policy.TargetKind;
import dev.portcullis.workflow.port.AuditEvent;
import dev.portcullis.workflow.port.AuditSink;
import dev.portcullis.workflow.port.GrantAuthority;
import dev.portcullis.workflow.port.PolicySource;
import dev.portcullis.workflow.request.Refusal;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.sshd.certificate.OpenSshCertificateBuilder;
import org.apache.sshd.common.config.keys.OpenSshCertificate;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * The broker's two SSH certificate authorities. The user CA turns a person's public key into a short-lived
 * certificate whose only principal is their Keycloak username; the bastions trust it instead of any
 * authorized_keys. The host CA certifies the bastions' host keys for the names users connect to, so one
 * {@code @cert-authority} line in known_hosts replaces trust-on-first-use. Certificates say who someone is,
 * not what they may do: every session is still checked against a live grant by the bastion.
 */
@ApplicationScoped
@Startup
public class SshCertificateIssuer {

    static {
        // MINA's Ed25519 is the JDK's; it must be in place before MINA reads or makes a key
        JdkEd25519.install();
    }

    private static final Logger LOG = Logger.getLogger(SshCertificateIssuer.class);
    static final Duration MAX_USER_VALIDITY = Duration.ofHours(24);
    static final Duration MAX_HOST_VALIDITY = Duration.ofDays(30);
    /** Certificates start a minute in the past, so a client or bastion whose clock is a little behind accepts them. */
    static final Duration CLOCK_SKEW = Duration.ofMinutes(1);

    private final CertificateAuthority userCa;
    private final CertificateAuthority hostCa;
    private final Duration userValidity;
    private final Duration hostValidity;
    private final List<String> bastionNames;
    private final PolicySource policies;
    private final AuditSink audit;
    private final CertificateSerials serials;
    private final Clock clock;

    public SshCertificateIssuer(
            @ConfigProperty(name = "portcullis.ssh.user-ca-key-file") String userCaKeyFile,
            @ConfigProperty(name = "portcullis.ssh.host-ca-key-file") String hostCaKeyFile,
            @ConfigProperty(name = "portcullis.ssh.user-cert-validity", defaultValue = "4h") Duration userValidity,
            @ConfigProperty(name = "portcullis.ssh.host-cert-validity", defaultValue = "24h") Duration hostValidity,
            @ConfigProperty(name = "portcullis.ssh.bastion-names", defaultValue = "localhost,127.0.0.1")
                    List<String> bastionNames,
            PolicySource policies,
            AuditSink audit,
            CertificateSerials serials,
            Clock clock) {
        this.userValidity = checked("portcullis.ssh.user-cert-validity", userValidity, MAX_USER_VALIDITY);
        this.hostValidity = checked("portcullis.ssh.host-cert-validity", hostValidity, MAX_HOST_VALIDITY);
        this.bastionNames = bastionNames.stream()
                .map(String::strip)
                .filter(n -> !n.isEmpty())
                .distinct()
                .toList();
        this.userCa = open("user CA", userCaKeyFile, "portcullis-user-ca", "portcullis.ssh.user-ca-key-file");
        this.hostCa = open("host CA", hostCaKeyFile, "portcullis-host-ca", "portcullis.ssh.host-ca-key-file");
        if (userCa.fingerprint().equals(hostCa.fingerprint())) {
            throw new IllegalStateException(
                    "portcullis.ssh.user-ca-key-file and portcullis.ssh.host-ca-key-file hold the same key; "
                            + "the user CA and the host CA must be different keys");
        }
        this.policies = policies;
        this.audit = audit;
        this.serials = serials;
        this.clock = clock;
    }

    private static Duration checked(String name, Duration value, Duration max) {
        if (value.compareTo(Duration.ofMinutes(1)) < 0 || value.compareTo(max) > 0) {
            throw new IllegalStateException(
                    name + " is " + value + "; it must be between 1 minute and " + max.toHours() + " hours");
        }
        return value;
    }

    private static CertificateAuthority open(String name, String file, String comment, String setting) {
        Path path = Path.of(file).toAbsolutePath();
        try {
            SshKeyFiles.Loaded loaded = SshKeyFiles.loadOrGenerate(path, comment);
            CertificateAuthority ca = new CertificateAuthority(name, loaded.keys());
            LOG.infof("SSH %s %s %s", name, loaded.generated() ? "generated in" : "loaded from", path);
            LOG.infof("SSH %s key fingerprint %s", name, ca.fingerprint());
            return ca;
        } catch (IOException e) {
            throw new IllegalStateException(
                    "cannot open the SSH " + name + " key " + path + " (set " + setting + "): " + e.getMessage(), e);
        }
    }

    /**
     * Certifies a person's key for themselves only: the principal is their username, nothing the caller chose, and the
     * {@link GrantAuthority#ACCOUNT_EXTENSION} names their Keycloak account, whose grants alone it opens.
     */
    public UserCertificate issueUserCertificate(String username, String account, String publicKeyLine) {
        if (account == null || account.isBlank()) {
            throw new IllegalArgumentException("a user certificate names the person's account id");
        }
        SubmittedPublicKey key = SubmittedPublicKey.parse(publicKeyLine);
        long serial = serials.next();
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        Instant validAfter = now.minus(CLOCK_SKEW);
        Instant validBefore = now.plus(userValidity);
        String keyId = "portcullis:" + username + ":" + serial;
        List<String> principals = List.of(username);
        // The bastion decides per session whether a grant allows forwarding; the certificate must not rule it out.
        // No permit-X11-forwarding and no permit-user-rc: the bastion never offers them.
        OpenSshCertificate certificate = userCa.sign(OpenSshCertificateBuilder.userCertificate()
                .publicKey(key.key())
                .serial(serial)
                .id(keyId)
                .principals(principals)
                .validAfter(validAfter)
                .validBefore(validBefore)
                .extension("permit-pty", "")
                .extension("permit-port-forwarding", "")
                .extension("permit-agent-forwarding", "")
                .extension(GrantAuthority.ACCOUNT_EXTENSION, account));
        audit.append(new AuditEvent(
                clock.instant(),
                username,
                "ssh.certificate.issued",
                "ssh_certificate",
                String.valueOf(serial),
                Map.of(
                        "serial",
                        String.valueOf(serial),
                        "keyId",
                        keyId,
                        "principals",
                        username,
                        "keyType",
                        key.type(),
                        "fingerprint",
                        key.fingerprint(),
                        "validBefore",
                        validBefore.toString(),
                        "account",
                        account)));
        return new UserCertificate(
                PublicKeyEntry.toString(certificate), principals, keyId, serial, validAfter, validBefore);
    }

    /**
     * Certifies a bastion's host key for names users connect to: SSH targets of the current policy and the bastions'
     * own names, and of those only the ones of the asking bastion's segment ({@code segment}; empty: one segment,
     * every name). A name of another segment is refused and audited: it is what a stolen bastion token is for.
     */
    public HostCertificate issueHostCertificate(
            String bastion, Set<String> segment, String publicKeyLine, List<String> requested) {
        SubmittedPublicKey key = SubmittedPublicKey.parse(publicKeyLine);
        Set<String> principals = new LinkedHashSet<>();
        for (String principal : requested == null ? List.<String>of() : requested) {
            if (principal == null || principal.isBlank()) {
                throw new SshRequestRefused(
                        Refusal.invalid("blank_principal", "principals", "principals must not contain blank names"));
            }
            principals.add(principal.strip());
        }
        if (principals.isEmpty()) {
            throw new SshRequestRefused(Refusal.invalid(
                    "principals_required",
                    "principals",
                    "name at least one host the certificate is for (an SSH target of the policy, or a bastion name)"));
        }
        List<String> foreign = segment.isEmpty()
                ? List.of()
                : principals.stream().filter(p -> !segment.contains(p)).toList();
        if (!foreign.isEmpty()) {
            audit.append(new AuditEvent(
                    clock.instant(),
                    bastion,
                    "ssh.host-certificate.refused",
                    "ssh_certificate",
                    key.fingerprint(),
                    Map.of(
                            "code",
                            "outside_segment",
                            "principals",
                            String.join(",", principals),
                            "outside",
                            String.join(",", foreign),
                            "fingerprint",
                            key.fingerprint())));
            throw new SshRequestRefused(Refusal.forbidden(
                    "outside_segment",
                    "the bastion client " + bastion
                            + " may not get host certificates for " + String.join(", ", foreign)
                            + ": not names of its segment (portcullis.bastion.segments)"));
        }
        Set<String> allowed = hostNames();
        List<String> unknown =
                principals.stream().filter(p -> !allowed.contains(p)).toList();
        if (!unknown.isEmpty()) {
            throw new SshRequestRefused(
                    Refusal.invalid(
                            "unknown_principal",
                            "principals",
                            "the host CA does not certify " + String.join(", ", unknown)
                                    + ": principals must be SSH targets of the policy or names in portcullis.ssh.bastion-names"));
        }
        long serial = serials.next();
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        Instant validBefore = now.plus(hostValidity);
        List<String> names = List.copyOf(principals);
        OpenSshCertificate certificate = hostCa.sign(OpenSshCertificateBuilder.hostCertificate()
                .publicKey(key.key())
                .serial(serial)
                .id("portcullis-host:" + bastion + ":" + serial)
                .principals(names)
                .validAfter(now.minus(CLOCK_SKEW))
                .validBefore(validBefore));
        audit.append(new AuditEvent(
                clock.instant(),
                bastion,
                "ssh.host-certificate.issued",
                "ssh_certificate",
                String.valueOf(serial),
                Map.of(
                        "serial",
                        String.valueOf(serial),
                        "principals",
                        String.join(",", names),
                        "keyType",
                        key.type(),
                        "fingerprint",
                        key.fingerprint(),
                        "validBefore",
                        validBefore.toString())));
        return new HostCertificate(PublicKeyEntry.toString(certificate), names, validBefore);
    }

    /** The public halves, and the known_hosts line that makes a client trust every host the host CA certifies. */
    public CaKeys caKeys() {
        return caKeys(true);
    }

    /**
     * The same; without {@code withTargets} the known_hosts line names the bastions only, which everyone reaching them
     * knows anyway: the policy's target names are the inventory of production, not for anonymous callers.
     */
    public CaKeys caKeys(boolean withTargets) {
        String patterns = String.join(",", withTargets ? hostNames() : bastionNames);
        return new CaKeys(
                userCa.publicKeyLine(),
                hostCa.publicKeyLine(),
                "@cert-authority " + patterns + " " + hostCa.publicKeyLine());
    }

    /** SSH targets of the current policy, then the bastions' own names. */
    Set<String> hostNames() {
        Set<String> names = new LinkedHashSet<>();
        for (Target target : policies.current().targets()) {
            if (target.kind() == TargetKind.SSH) {
                names.add(target.name());
            }
        }
        names.addAll(bastionNames);
        return names;
    }

    public record UserCertificate(
            String certificate,
            List<String> principals,
            String keyId,
            long serial,
            Instant validAfter,
            Instant validBefore) {}

    public record HostCertificate(String certificate, List<String> principals, Instant validBefore) {}

    public record CaKeys(String userCaPublicKey, String hostCaPublicKey, String knownHostsLine) {}
}
