package dev.portcullis.bastion.upstream;

import dev.portcullis.ssh.ed25519.JdkEd25519;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.apache.sshd.common.config.keys.AuthorizedKeyEntry;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntryResolver;
import org.apache.sshd.common.util.security.SecurityUtils;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * What the bastion alone knows about each target: the key it logs in with and the host key it expects.
 * People never see any of it; the broker's policy says who may reach a target, this file says how.
 *
 * <pre>
 * targets:
 *   prod-web-1:
 *     hostKey: ssh-ed25519 AAAA...          # pinned; any other key is refused and the session audited
 *     identityFile: /etc/portcullis/keys/prod-web-1
 *     identityFiles: {deploy: /etc/portcullis/keys/prod-web-1-deploy}   # optional, per login
 *     address: 10.0.0.5:22                  # optional; otherwise the address in the broker's policy
 * </pre>
 */
public final class TargetInventory {

    static {
        // MINA's Ed25519 is the JDK's; it must be in place before MINA reads or makes a key
        JdkEd25519.install();
    }

    private static final Set<String> TARGET_KEYS = Set.of("hostKey", "identityFile", "identityFiles", "address");

    private static final Set<String> DATABASE_KEYS = Set.of("address", "database", "roles", "tls");

    private final Map<String, TargetCredentials> targets;
    private final Map<String, DatabaseTarget> databases;

    private TargetInventory(Map<String, TargetCredentials> targets, Map<String, DatabaseTarget> databases) {
        this.targets = Map.copyOf(targets);
        this.databases = Map.copyOf(databases);
    }

    /** How the database proxy logs in to a PostgreSQL target. */
    public Optional<DatabaseTarget> database(String target) {
        return Optional.ofNullable(databases.get(target));
    }

    public Optional<TargetCredentials> credentials(String target) {
        return Optional.ofNullable(targets.get(target));
    }

    public Set<String> names() {
        return new TreeMap<>(targets).keySet();
    }

    public static TargetInventory of(Map<String, TargetCredentials> targets) {
        return new TargetInventory(targets, Map.of());
    }

    public static TargetInventory of(Map<String, TargetCredentials> targets, Map<String, DatabaseTarget> databases) {
        return new TargetInventory(targets, databases);
    }

    /** Loads the file, reading every identity file and checking every pinned key, and reports all problems at once. */
    public static TargetInventory load(Path file) throws IOException {
        Object root;
        try (InputStream in = Files.newInputStream(file)) {
            root = new Yaml(new SafeConstructor(new LoaderOptions())).load(in);
        } catch (RuntimeException e) {
            throw new IOException(file + ": not valid YAML: "
                    + e.getMessage().lines().findFirst().orElse(""));
        }
        List<String> problems = new ArrayList<>();
        Map<String, TargetCredentials> result = new LinkedHashMap<>();
        if (!(root instanceof Map<?, ?> top)
                || !(top.get("targets") instanceof Map || top.get("databases") instanceof Map)) {
            throw new IOException(file + ": expected a mapping 'targets:' of SSH target names to their credentials, "
                    + "and/or 'databases:' of PostgreSQL target names to theirs");
        }
        for (Object key : top.keySet()) {
            if (!"targets".equals(key) && !"databases".equals(key)) {
                problems.add("unknown top-level key '" + key + "' (allowed: targets, databases)");
            }
        }
        Map<?, ?> entries = top.get("targets") instanceof Map<?, ?> m ? m : Map.of();
        Map<String, DatabaseTarget> databases =
                loadDatabases(top.get("databases") instanceof Map<?, ?> m ? m : Map.of(), problems);
        for (Map.Entry<?, ?> e : entries.entrySet()) {
            String name = String.valueOf(e.getKey());
            if (!(e.getValue() instanceof Map<?, ?> t)) {
                problems.add(name + ": expected hostKey and identityFile");
                continue;
            }
            for (Object key : t.keySet()) {
                if (!TARGET_KEYS.contains(String.valueOf(key))) {
                    problems.add(name + ": unknown key '" + key
                            + "' (allowed: address, hostKey, identityFile, identityFiles)");
                }
            }
            PublicKey hostKey = null;
            if (t.get("hostKey") instanceof String line) {
                try {
                    hostKey = parsePublicKey(line);
                } catch (IOException ex) {
                    problems.add(name + ": hostKey " + ex.getMessage());
                }
            } else {
                problems.add(name + ": hostKey is required (the target's public host key, as in known_hosts)");
            }
            KeyPair identity = null;
            if (t.get("identityFile") instanceof String path) {
                identity = readIdentity(Path.of(path), name, problems);
            }
            Map<String, KeyPair> perLogin = new LinkedHashMap<>();
            if (t.get("identityFiles") instanceof Map<?, ?> files) {
                for (Map.Entry<?, ?> f : files.entrySet()) {
                    KeyPair k = readIdentity(Path.of(String.valueOf(f.getValue())), name, problems);
                    if (k != null) {
                        perLogin.put(String.valueOf(f.getKey()), k);
                    }
                }
            }
            if (identity == null && perLogin.isEmpty() && !t.containsKey("identityFile")) {
                problems.add(name + ": identityFile is required");
            }
            Address address = Address.of(t.get("address"), 22, name, problems);
            String host = address.host();
            int port = address.port();
            if (hostKey != null && (identity != null || !perLogin.isEmpty())) {
                result.put(name, new TargetCredentials(name, hostKey, identity, perLogin, host, port));
            }
        }
        if (!problems.isEmpty()) {
            throw new IOException(file + ": " + String.join("; ", problems));
        }
        return new TargetInventory(result, databases);
    }

    /**
     * <pre>
     * databases:
     *   prod-db:
     *     address: 10.0.0.7:5432          # required: the server's address comes from here only, never from the policy
     *     database: orders                # optional; otherwise the policy's database name
     *     roles:
     *       app_readonly: {passwordFile: /etc/portcullis/db/prod-db-app_readonly, readOnly: true}
     *       app_admin: {passwordFile: /etc/portcullis/db/prod-db-app_admin}
     *     tls: {mode: verify-full, ca: /etc/portcullis/db/prod-db-ca.pem}   # optional; or tls: verify-full (JDK trust
     *                                     # store), or tls: off (the default: for a server on the bastion's own host)
     * </pre>
     * Only a role marked {@code readOnly: true} can serve a read grant, and the proxy checks at every such login that
     * the server gives it no privilege that could write ({@code db.ReadOnlyRoleCheck}).
     */
    private static Map<String, DatabaseTarget> loadDatabases(Map<?, ?> entries, List<String> problems) {
        Map<String, DatabaseTarget> result = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : entries.entrySet()) {
            String name = String.valueOf(e.getKey());
            if (!(e.getValue() instanceof Map<?, ?> t)) {
                problems.add("databases." + name + ": expected roles");
                continue;
            }
            for (Object key : t.keySet()) {
                if (!DATABASE_KEYS.contains(String.valueOf(key))) {
                    problems.add("databases." + name + ": unknown key '" + key
                            + "' (allowed: address, database, roles, tls)");
                }
            }
            Map<String, String> passwords = new LinkedHashMap<>();
            Set<String> readOnlyRoles = new java.util.LinkedHashSet<>();
            if (!(t.get("roles") instanceof Map<?, ?> roles) || roles.isEmpty()) {
                problems.add("databases." + name + ": roles is required (role: {passwordFile: FILE})");
            } else {
                for (Map.Entry<?, ?> r : roles.entrySet()) {
                    String role = String.valueOf(r.getKey());
                    if (!(r.getValue() instanceof Map<?, ?> roleMap)
                            || !(roleMap.get("passwordFile") instanceof String path)
                            || !Set.of("passwordFile", "readOnly").containsAll(roleMap.keySet())
                            || (roleMap.containsKey("readOnly") && !(roleMap.get("readOnly") instanceof Boolean))) {
                        problems.add("databases." + name + ".roles." + role + ": expected {passwordFile: FILE} or "
                                + "{passwordFile: FILE, readOnly: true}");
                        continue;
                    }
                    if (Boolean.TRUE.equals(roleMap.get("readOnly"))) {
                        readOnlyRoles.add(role);
                    }
                    try {
                        String password = Files.readString(Path.of(path)).strip();
                        if (password.isEmpty()) {
                            problems.add("databases." + name + ".roles." + role + ": " + path + " is empty");
                        } else {
                            passwords.put(role, password);
                        }
                    } catch (IOException | RuntimeException ex) {
                        problems.add("databases." + name + ".roles." + role + ": cannot read " + path + " ("
                                + ex.getClass().getSimpleName() + ")");
                    }
                }
            }
            Address address = Address.of(t.get("address"), 5432, "databases." + name, problems);
            if (!t.containsKey("address")) {
                // the broker's policy may not point the proxy, and the role's password, at a server of its choosing
                problems.add("databases." + name + ": address is required (host:port of the PostgreSQL server)");
            }
            String database = t.get("database") instanceof String d ? d : null;
            UpstreamTls tls = upstreamTls(t.get("tls"), "databases." + name + ".tls", problems);
            if (address.host() != null) {
                result.put(
                        name,
                        new DatabaseTarget(
                                name, address.host(), address.port(), database, passwords, readOnlyRoles, tls));
            }
        }
        return result;
    }

    private static UpstreamTls upstreamTls(Object value, String where, List<String> problems) {
        String mode;
        Object ca = null;
        if (value == null || Boolean.FALSE.equals(value)) { // YAML reads a bare off as false
            return UpstreamTls.OFF;
        } else if (value instanceof String s) {
            mode = s;
        } else if (value instanceof Map<?, ?> m) {
            for (Object key : m.keySet()) {
                if (!"mode".equals(key) && !"ca".equals(key)) {
                    problems.add(where + ": unknown key '" + key + "' (allowed: mode, ca)");
                }
            }
            Object given = m.get("mode");
            mode = given == null ? "verify-full" : Boolean.FALSE.equals(given) ? "off" : String.valueOf(given);
            ca = m.get("ca");
        } else {
            problems.add(where + ": expected off, verify-full or {mode: verify-full, ca: FILE}");
            return UpstreamTls.OFF;
        }
        switch (mode) {
            case "off" -> {
                if (ca != null) {
                    problems.add(where + ": a ca with tls off would not be used; remove it or say mode: verify-full");
                }
                return UpstreamTls.OFF;
            }
            case "verify-full" -> {
                try {
                    if (ca == null) {
                        return UpstreamTls.verifyFullWithSystemTrust();
                    }
                    if (!(ca instanceof String path) || path.isBlank()) {
                        problems.add(where + ".ca: expected the path of a PEM file with the CA certificate(s)");
                        return UpstreamTls.OFF;
                    }
                    return UpstreamTls.verifyFull(Path.of(path));
                } catch (IOException | RuntimeException e) {
                    problems.add(where + ": " + e.getMessage());
                    return UpstreamTls.OFF;
                }
            }
            default -> {
                problems.add(where + ": unknown mode '" + mode
                        + "' (off or verify-full; encryption without checking the server is not offered)");
                return UpstreamTls.OFF;
            }
        }
    }

    /** An inventory's {@code address: host[:port]}; a null host when none is given (the policy's address applies). */
    private record Address(String host, int port) {
        static Address of(Object value, int defaultPort, String where, List<String> problems) {
            if (!(value instanceof String address)) {
                return new Address(null, 0);
            }
            int colon = address.lastIndexOf(':');
            try {
                return new Address(
                        colon > 0 ? address.substring(0, colon) : address,
                        colon > 0 ? Integer.parseInt(address.substring(colon + 1)) : defaultPort);
            } catch (NumberFormatException ex) {
                problems.add(where + ": address must be host:port");
                return new Address(null, 0);
            }
        }
    }

    public static PublicKey parsePublicKey(String line) throws IOException {
        try {
            AuthorizedKeyEntry entry = AuthorizedKeyEntry.parseAuthorizedKeyEntry(line.trim());
            if (entry == null) {
                throw new IOException("is empty");
            }
            return entry.resolvePublicKey(null, PublicKeyEntryResolver.FAILING);
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("is not an OpenSSH public key line (" + e.getMessage() + ")");
        }
    }

    private static KeyPair readIdentity(Path path, String name, List<String> problems) {
        try (InputStream in = Files.newInputStream(path)) {
            Iterable<KeyPair> pairs = SecurityUtils.loadKeyPairIdentities(null, () -> path.toString(), in, null);
            Iterator<KeyPair> it = pairs == null ? null : pairs.iterator();
            if (it == null || !it.hasNext()) {
                problems.add(name + ": " + path + " holds no private key");
                return null;
            }
            return it.next();
        } catch (Exception e) {
            problems.add(name + ": cannot read identity " + path + " ("
                    + e.getClass().getSimpleName() + ")");
            return null;
        }
    }

    /** For messages and the audit trail: SHA256:... as OpenSSH prints it. */
    public static String fingerprint(PublicKey key) {
        return KeyUtils.getFingerPrint(key);
    }
}
