package dev.portcullis.deploy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portcullis.bastion.HostKeys;
import dev.portcullis.local.LocalKeycloak;
import dev.portcullis.local.LocalSshd;
import dev.portcullis.recording.RecordingKeys;
import dev.portcullis.ssh.ed25519.JdkEd25519;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PublicKey;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.PublicKeyEntryResolver;
import org.apache.sshd.common.digest.BuiltinDigests;

/**
 * The quickstart's SSH side: an OpenSSH sshd standing in for {@code prod-web-1}, the bastion's keys and inventory,
 * and the broker settings that tie them together (CA keys, shared recording store, trusted recording key).
 */
final class DemoTarget {

    static {
        // MINA's Ed25519 is the JDK's; it must be in place before MINA reads or makes a key
        JdkEd25519.install();
    }

    private final Settings settings;
    private final LocalSshd target;
    private final Path bastionDir;
    private final Path policy;

    private DemoTarget(Settings settings, LocalSshd target, Path bastionDir, Path policy) {
        this.settings = settings;
        this.target = target;
        this.bastionDir = bastionDir;
        this.policy = policy;
    }

    static DemoTarget start(Settings settings) {
        Path dir = settings.home().resolve("demo-target");
        if (!LocalSshd.canHost(dir)) {
            dir = Path.of(
                    "/var/tmp",
                    "portcullis-demo-target-"
                            + Integer.toHexString(settings.home().toString().hashCode()));
            System.out.println(
                    "the demo target's login cannot reach " + settings.home() + "; keeping the demo target in " + dir);
        }
        System.out.println(
                "starting the demo SSH target (OpenSSH sshd on 127.0.0.1:" + settings.demoSshPort() + ") ...");
        LocalSshd target = LocalSshd.start(dir, settings.demoSshPort());
        Path bastionDir = settings.home().resolve("bastion");
        try {
            Files.createDirectories(bastionDir);
            // the bastion's key at the target: people never see it
            Path upstreamKey = bastionDir.resolve("upstream_key");
            String upstreamPublic = Files.exists(upstreamKey)
                    ? Files.readString(Path.of(upstreamKey + ".pub")).trim()
                    : LocalSshd.generateClientKey(upstreamKey);
            target.authorize(upstreamPublic);
            // made here rather than by the bastion, so the broker can trust the recording key from its first start
            RecordingKeys.loadOrGenerate(
                    bastionDir.resolve("recording-signing-key.pem"),
                    bastionDir.resolve("recording-signing-key.pub.pem"));
            HostKeys.loadOrGenerate(bastionDir.resolve("ssh_host_ed25519_key"));
            Files.writeString(bastionDir.resolve("targets.yaml"), """
                    # The demo target, as the bastion reaches it. Written by the quickstart.
                    targets:
                      prod-web-1:
                        hostKey: %s
                        identityFile: %s
                        address: 127.0.0.1:%d
                    """.formatted(
                            target.hostPublicKey(), upstreamKey, settings.demoSshPort()));
            return new DemoTarget(settings, target, bastionDir, policy(settings, target.login()));
        } catch (IOException e) {
            throw new Quickstart.QuickstartException(
                    "cannot prepare the bastion's files in " + bastionDir + ": " + e.getMessage());
        }
    }

    /** The example policy, with the demo target's local account added to the logins of prod-web-1. */
    private static Path policy(Settings settings, String login) throws IOException {
        if (!settings.examplePolicy()) {
            return settings.policyFile();
        }
        String example = Files.readString(settings.policyFile());
        String marker = "logins: [ubuntu, deploy]";
        if (!example.contains(marker)) {
            throw new Quickstart.QuickstartException(settings.policyFile() + " no longer contains '" + marker
                    + "'; the quickstart cannot add the demo login to it");
        }
        Path demo = settings.home().resolve("policies.yaml");
        Files.writeString(
                demo,
                "# Written by the quickstart from " + settings.policyFile() + ", with the demo target's login " + login
                        + ".\n" + example.replace(marker, "logins: [ubuntu, deploy, " + login + "]"));
        return demo;
    }

    Path policy() {
        return policy;
    }

    String login() {
        return target.login();
    }

    Path targetDirectory() {
        return target.directory();
    }

    Map<String, String> brokerEnvironment() {
        Map<String, String> env = new HashMap<>();
        env.put(
                "PORTCULLIS_SSH_USER_CA_KEY_FILE",
                settings.home().resolve("ssh/user_ca").toString());
        env.put(
                "PORTCULLIS_SSH_HOST_CA_KEY_FILE",
                settings.home().resolve("ssh/host_ca").toString());
        env.put(
                "PORTCULLIS_RECORDINGS_DIR",
                settings.home().resolve("recordings").toString());
        env.put(
                "PORTCULLIS_RECORDINGS_TRUSTED_KEYS",
                bastionDir.resolve("recording-signing-key.pub.pem").toString());
        // the web UI's "how to connect" command names this bastion
        env.put("PORTCULLIS_WEB_BASTION_HOST", "127.0.0.1");
        env.put("PORTCULLIS_WEB_BASTION_SSH_PORT", String.valueOf(settings.bastionPort()));
        return env;
    }

    Map<String, String> bastionEnvironment(LocalKeycloak keycloak) {
        Map<String, String> env = new HashMap<>();
        env.put("PORTCULLIS_BROKER_URL", settings.brokerUrl());
        env.put("PORTCULLIS_BASTION_TOKEN_URL", keycloak.issuerUrl() + "/protocol/openid-connect/token");
        env.put("PORTCULLIS_BASTION_CLIENT_SECRET", keycloak.bastionClientSecret());
        env.put("PORTCULLIS_BASTION_TARGETS", bastionDir.resolve("targets.yaml").toString());
        env.put("PORTCULLIS_BASTION_STATE_DIR", bastionDir.toString());
        env.put(
                "PORTCULLIS_RECORDINGS_DIR",
                settings.home().resolve("recordings").toString());
        env.put("PORTCULLIS_BASTION_HOST", "127.0.0.1");
        env.put("PORTCULLIS_BASTION_PORT", String.valueOf(settings.bastionPort()));
        env.put("PORTCULLIS_PORTAL_URL", settings.brokerUrl());
        env.put("PORTCULLIS_BASTION_HEALTH_PORT", String.valueOf(settings.bastionHealthPort()));
        // The quickstart's broker is on loopback, so plain http (the bastion refuses it anywhere else); the user CA
        // the broker made at its first start is pinned all the same.
        env.put(
                "PORTCULLIS_USER_CA_FINGERPRINT",
                userCaFingerprint(settings.home().resolve("ssh/user_ca.pub")));
        return env;
    }

    /** The fingerprint of the broker's user CA, read from the public half it wrote next to the key. */
    static String userCaFingerprint(Path publicKeyFile) {
        try {
            PublicKey key = PublicKeyEntry.parsePublicKeyEntry(
                            Files.readString(publicKeyFile).trim())
                    .resolvePublicKey(null, Map.of(), PublicKeyEntryResolver.FAILING);
            return KeyUtils.getFingerPrint(BuiltinDigests.sha256, key);
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException(
                    "cannot read the broker's user CA " + publicKeyFile + ": " + e.getMessage(), e);
        }
    }

    /**
     * The known_hosts file users of the quickstart point ssh at: the bastion's own key for {@code login+target@}
     * connections and the broker's host CA for ProxyJump (asked with a demo user's token: anonymous callers get a line
     * that names only the bastions).
     */
    static void writeKnownHosts(Settings settings, String token) {
        Path file = settings.home().resolve("known_hosts");
        try {
            KeyPair hostKey = HostKeys.loadOrGenerate(settings.home().resolve("bastion/ssh_host_ed25519_key"));
            HttpResponse<String> ca = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create(settings.brokerUrl() + "/api/v1/ssh/ca"))
                                    .header("Authorization", "Bearer " + token)
                                    .timeout(Duration.ofSeconds(10))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            String caLine = ca.statusCode() == 200
                    ? new ObjectMapper()
                            .readTree(ca.body())
                            .path("knownHostsLine")
                            .asText("")
                    : "";
            Files.writeString(
                    file,
                    "[127.0.0.1]:" + settings.bastionPort() + " " + PublicKeyEntry.toString(hostKey.getPublic()) + "\n"
                            + (caLine.isBlank() ? "" : caLine + "\n"));
        } catch (IOException e) {
            throw new Quickstart.QuickstartException("cannot write " + file + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Quickstart.QuickstartException("interrupted");
        }
    }
}
