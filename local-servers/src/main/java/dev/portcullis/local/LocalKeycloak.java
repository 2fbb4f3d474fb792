package dev.portcullis.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * The real Keycloak server distribution (from Maven Central) on a loopback port, with the demo realm from
 * {@code deploy/keycloak/portcullis-realm.json} imported. Its database is a database of its own in a
 * {@link LocalPostgres}. Each instance has a home of its own (its data, import and log) that links to one
 * unpacked copy of the distribution, so several can run at once. Secrets are made at run time.
 */
public final class LocalKeycloak implements AutoCloseable {

    public static final String VERSION = "26.7.3";
    public static final String REALM = "portcullis";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static LocalKeycloak shared;

    private final Path home;
    private final boolean temporary;
    private final Process process;
    private final int port;
    private final Properties secrets;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private volatile boolean closed;

    private LocalKeycloak(Path home, boolean temporary, Process process, int port, Properties secrets) {
        this.home = home;
        this.temporary = temporary;
        this.process = process;
        this.port = port;
        this.secrets = secrets;
    }

    /** One Keycloak per JVM, on {@link LocalPostgres#shared()}, stopped when the JVM exits. */
    public static synchronized LocalKeycloak shared() {
        if (shared == null) {
            shared = start(LocalPostgres.shared(), null, 0, Map.of());
            LocalKeycloak instance = shared;
            Runtime.getRuntime().addShutdownHook(new Thread(instance::close, "local-keycloak-stop"));
        }
        return shared;
    }

    /**
     * Starts Keycloak. {@code stateDir} null: a temporary home removed on close; otherwise a home that keeps its
     * secrets (0600) across restarts, as the quickstart needs. {@code httpPort} 0 picks a free port.
     * {@code placeholders} may set PORTCULLIS_WEB_URL and override any generated secret.
     */
    public static LocalKeycloak start(LocalPostgres db, Path stateDir, int httpPort, Map<String, String> placeholders) {
        Path dist = distribution();
        try {
            boolean temporary = stateDir == null;
            Path home = temporary ? Files.createTempDirectory("portcullis-keycloak-") : stateDir.toAbsolutePath();
            Files.createDirectories(home.resolve("bin"));
            Files.createDirectories(home.resolve("data/import"));
            Files.copy(dist.resolve("bin/kc.sh"), home.resolve("bin/kc.sh"), StandardCopyOption.REPLACE_EXISTING);
            home.resolve("bin/kc.sh").toFile().setExecutable(true);
            for (String shared : List.of("lib", "themes", "providers", "conf")) {
                Path link = home.resolve(shared);
                if (!Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    Files.createSymbolicLink(link, dist.resolve(shared));
                }
            }
            try (InputStream realm =
                    LocalKeycloak.class.getResourceAsStream("/portcullis/keycloak/portcullis-realm.json")) {
                if (realm == null) {
                    throw new IllegalStateException("the demo realm is missing from the local-servers jar");
                }
                Files.copy(
                        realm, home.resolve("data/import/portcullis-realm.json"), StandardCopyOption.REPLACE_EXISTING);
            }
            Properties secrets = loadOrMakeSecrets(home.resolve("secrets.properties"), placeholders);
            String database = secrets.getProperty("database");
            db.createOwnDatabase(database, secrets.getProperty("db.password"));

            int port = httpPort > 0 ? httpPort : Processes.freeLoopbackPort();
            if (Processes.isListening(port)) {
                throw new IllegalStateException(
                        "port " + port + " on 127.0.0.1 is already in use; Keycloak cannot start there");
            }
            Map<String, String> env = new HashMap<>();
            env.put("KC_BOOTSTRAP_ADMIN_USERNAME", "admin");
            env.put("KC_BOOTSTRAP_ADMIN_PASSWORD", secrets.getProperty("admin.password"));
            env.put("KC_DB", "postgres");
            env.put("KC_DB_URL", db.jdbcUrl(database));
            // Keycloak's own role, owner of its own database and nothing else: never the PostgreSQL superuser
            env.put("KC_DB_USERNAME", database);
            env.put("KC_DB_PASSWORD", secrets.getProperty("db.password"));
            env.put("KC_HTTP_HOST", "127.0.0.1");
            env.put("KC_HTTP_PORT", String.valueOf(port));
            env.put("KC_HTTP_MANAGEMENT_PORT", String.valueOf(Processes.freeLoopbackPort()));
            env.put("KC_HOSTNAME_STRICT", "false");
            env.put("KC_HEALTH_ENABLED", "true");
            env.put("KC_LOG", "file");
            env.put("KC_LOG_FILE", home.resolve("keycloak.log").toString());
            env.put("JAVA_OPTS_KC_HEAP", "-Xms64m -Xmx512m");
            env.put("PORTCULLIS_DEMO_PASSWORD", secrets.getProperty("demo.password"));
            env.put("PORTCULLIS_BROKER_CLIENT_SECRET", secrets.getProperty("broker.secret"));
            env.put("PORTCULLIS_BASTION_CLIENT_SECRET", secrets.getProperty("bastion.secret"));
            env.put("PORTCULLIS_WEB_URL", placeholders.getOrDefault("PORTCULLIS_WEB_URL", "http://127.0.0.1:8080"));

            Path console = home.resolve("keycloak-console.log");
            ProcessBuilder pb = new ProcessBuilder(home.resolve("bin/kc.sh").toString(), "start-dev", "--import-realm")
                    .directory(home.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(console.toFile()));
            pb.environment().putAll(env);
            Process process = pb.start();
            Files.writeString(home.resolve("keycloak.pid"), String.valueOf(process.pid()));
            if (temporary) {
                Processes.cleanUpWhenThisJvmDies("pkill -TERM -P " + process.pid() + "; kill -TERM " + process.pid()
                        + "; sleep 10; rm -rf " + home);
            }
            LocalKeycloak keycloak = new LocalKeycloak(home, temporary, process, port, secrets);
            keycloak.awaitReady(Duration.ofSeconds(300), console);
            return keycloak;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare a Keycloak home", e);
        }
    }

    /**
     * The Keycloak an earlier process started with this persistent home on this port (the quickstart's, when another
     * part of it is started again): its addresses and secrets, read from the home. It is not this JVM's to stop.
     */
    public static LocalKeycloak running(Path stateDir, int httpPort) {
        Path home = stateDir.toAbsolutePath();
        Properties secrets = new Properties();
        try (InputStream in = Files.newInputStream(home.resolve("secrets.properties"))) {
            secrets.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the secrets of the Keycloak in " + home, e);
        }
        LocalKeycloak keycloak = new LocalKeycloak(home, false, null, httpPort, secrets);
        keycloak.closed = true;
        return keycloak;
    }

    private void awaitReady(Duration timeout, Path console) {
        long deadline = System.nanoTime() + timeout.toNanos();
        HttpRequest probe = HttpRequest.newBuilder(URI.create(issuerUrl() + "/.well-known/openid-configuration"))
                .timeout(Duration.ofSeconds(5))
                .build();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("Keycloak exited with code " + process.exitValue() + " during start:\n"
                        + Processes.tail(console, 40) + "\n" + Processes.tail(home.resolve("keycloak.log"), 40));
            }
            try {
                if (http.send(probe, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for Keycloak", e);
            }
            sleep(500);
        }
        close();
        throw new IllegalStateException(
                "Keycloak was not ready within " + timeout.toSeconds() + " s:\n" + Processes.tail(console, 40));
    }

    private static Properties loadOrMakeSecrets(Path file, Map<String, String> overrides) throws IOException {
        Properties p = new Properties();
        if (Files.exists(file)) {
            try (InputStream in = Files.newInputStream(file)) {
                p.load(in);
            }
        }
        p.putIfAbsent("admin.password", Processes.secret());
        p.putIfAbsent("demo.password", Processes.secret().substring(0, 16));
        p.putIfAbsent("broker.secret", Processes.secret());
        p.putIfAbsent("bastion.secret", Processes.secret());
        p.putIfAbsent("database", "keycloak_" + Processes.secret().substring(0, 10));
        p.putIfAbsent("db.password", Processes.secret());
        if (overrides.containsKey("PORTCULLIS_DEMO_PASSWORD"))
            p.setProperty("demo.password", overrides.get("PORTCULLIS_DEMO_PASSWORD"));
        if (overrides.containsKey("PORTCULLIS_BROKER_CLIENT_SECRET"))
            p.setProperty("broker.secret", overrides.get("PORTCULLIS_BROKER_CLIENT_SECRET"));
        if (overrides.containsKey("PORTCULLIS_BASTION_CLIENT_SECRET"))
            p.setProperty("bastion.secret", overrides.get("PORTCULLIS_BASTION_CLIENT_SECRET"));
        if (!Files.exists(file)) { // made 0600, so the secrets are never readable by others, not even briefly
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        try (var out = Files.newOutputStream(file)) {
            p.store(out, "Portcullis Keycloak secrets, made at run time; never commit this file");
        }
        return p;
    }

    /** The unpacked distribution in ~/.cache/portcullis, unpacked once from the zip in the local Maven repository. */
    static synchronized Path distribution() {
        Path cache = Path.of(System.getProperty("user.home"), ".cache", "portcullis");
        Path dist = cache.resolve("keycloak-" + VERSION);
        if (Files.exists(dist.resolve(".unpacked"))) {
            return dist;
        }
        String repo = System.getProperty(
                "maven.repo.local",
                Path.of(System.getProperty("user.home"), ".m2", "repository").toString());
        Path zip = Path.of(
                repo, "org", "keycloak", "keycloak-quarkus-dist", VERSION, "keycloak-quarkus-dist-" + VERSION + ".zip");
        if (!Files.exists(zip)) {
            throw new IllegalStateException("the Keycloak distribution is not in the local Maven repository (" + zip
                    + "); fetch it with: " + "mvn dependency:get -Dartifact=org.keycloak:keycloak-quarkus-dist:"
                    + VERSION + ":zip -Dtransitive=false");
        }
        try {
            Files.createDirectories(cache);
            Path staging = Files.createTempDirectory(cache, "keycloak-unpacking-");
            try (ZipInputStream in = new ZipInputStream(Files.newInputStream(zip))) {
                for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                    String name = e.getName();
                    int slash = name.indexOf('/');
                    String relative = slash < 0 ? "" : name.substring(slash + 1); // drop "keycloak-26.x/"
                    if (relative.isEmpty()) continue;
                    Path target = staging.resolve(relative).normalize();
                    if (!target.startsWith(staging)) {
                        throw new IOException("unsafe path in the Keycloak zip: " + name);
                    }
                    if (e.isDirectory()) {
                        Files.createDirectories(target);
                    } else {
                        Files.createDirectories(target.getParent());
                        Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
                        if (relative.startsWith("bin/") && relative.endsWith(".sh")) {
                            target.toFile().setExecutable(true);
                        }
                    }
                }
            }
            Files.writeString(staging.resolve(".unpacked"), VERSION);
            try {
                Files.move(staging, dist, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException raced) {
                // Another JVM finished first; use its copy.
                Processes.deleteTree(staging);
                if (!Files.exists(dist.resolve(".unpacked"))) throw raced;
            }
            return dist;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot unpack Keycloak into " + dist, e);
        }
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    public String realm() {
        return REALM;
    }

    public String issuerUrl() {
        return baseUrl() + "/realms/" + REALM;
    }

    public Path home() {
        return home;
    }

    public String brokerClientId() {
        return "portcullis-broker";
    }

    public String brokerClientSecret() {
        return secrets.getProperty("broker.secret");
    }

    public String bastionClientId() {
        return "portcullis-bastion";
    }

    public String bastionClientSecret() {
        return secrets.getProperty("bastion.secret");
    }

    public String demoPassword() {
        return secrets.getProperty("demo.password");
    }

    public String adminPassword() {
        return secrets.getProperty("admin.password");
    }

    /** An access token for a demo user, by the password grant of the public client portcullis-cli. */
    public String accessToken(String username) {
        return accessToken(username, demoPassword());
    }

    public String accessToken(String username, String password) {
        return token(
                issuerUrl(),
                Map.of(
                        "grant_type",
                        "password",
                        "client_id",
                        "portcullis-cli",
                        "username",
                        username,
                        "password",
                        password,
                        "scope",
                        "openid"));
    }

    public String clientCredentialsToken(String clientId, String secret) {
        return token(
                issuerUrl(),
                Map.of("grant_type", "client_credentials", "client_id", clientId, "client_secret", secret));
    }

    private String token(String issuer, Map<String, String> form) {
        String body = form.entrySet().stream()
                .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                        + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        HttpResponse<String> response =
                send(HttpRequest.newBuilder(URI.create(issuer + "/protocol/openid-connect/token"))
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .POST(HttpRequest.BodyPublishers.ofString(body)));
        if (response.statusCode() != 200) {
            throw new IllegalStateException(
                    "Keycloak refused a token (" + response.statusCode() + "): " + response.body());
        }
        return json(response.body()).get("access_token").asText();
    }

    // ---- admin helpers over the admin REST API

    public void setUserEnabled(String username, boolean enabled) {
        String id = userId(username);
        admin("PUT", "/users/" + id, "{\"enabled\":" + enabled + "}", 204);
    }

    public void addUserToGroup(String username, String group) {
        admin("PUT", "/users/" + userId(username) + "/groups/" + groupId(group), null, 204);
    }

    public void removeUserFromGroup(String username, String group) {
        admin("DELETE", "/users/" + userId(username) + "/groups/" + groupId(group), null, 204);
    }

    /** Creates a group at this path ({@code team}, {@code /team} or {@code /team/night-approvers}); its parent must exist. */
    public void createGroup(String group) {
        String path = group.startsWith("/") ? group.substring(1) : group;
        int slash = path.lastIndexOf('/');
        String name = path.substring(slash + 1);
        try {
            admin(
                    "POST",
                    slash < 0 ? "/groups" : "/groups/" + groupId(path.substring(0, slash)) + "/children",
                    JSON.writeValueAsString(Map.of("name", name)),
                    201);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Creates an enabled user with a complete profile (so the password grant works at once) in the given groups. */
    public String createUser(String username, String password, String... groups) {
        Map<String, Object> user = new LinkedHashMap<>();
        user.put("username", username);
        user.put("enabled", true);
        user.put("email", username + "@example.com");
        user.put("emailVerified", true);
        user.put("firstName", username);
        user.put("lastName", "Test");
        user.put("credentials", List.of(Map.of("type", "password", "value", password, "temporary", false)));
        try {
            admin("POST", "/users", JSON.writeValueAsString(user), 201);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String id = userId(username);
        for (String group : groups) {
            addUserToGroup(username, group);
        }
        return id;
    }

    /**
     * Creates a public client of the realm that hands out tokens by the password grant, with the broker's audience and
     * the groups as full paths: what any other application registered in the same realm can be set up to do.
     */
    public void createPasswordClient(String clientId) {
        Map<String, Object> audience = Map.of(
                "name",
                "audience-portcullis-broker",
                "protocol",
                "openid-connect",
                "protocolMapper",
                "oidc-audience-mapper",
                "config",
                Map.of("included.client.audience", "portcullis-broker", "access.token.claim", "true"));
        Map<String, Object> groups = Map.of(
                "name",
                "groups",
                "protocol",
                "openid-connect",
                "protocolMapper",
                "oidc-group-membership-mapper",
                "config",
                Map.of("full.path", "true", "claim.name", "groups", "access.token.claim", "true"));
        Map<String, Object> client = new LinkedHashMap<>();
        client.put("clientId", clientId);
        client.put("enabled", true);
        client.put("publicClient", true);
        client.put("directAccessGrantsEnabled", true);
        client.put("standardFlowEnabled", false);
        client.put("protocolMappers", List.of(audience, groups));
        try {
            admin("POST", "/clients", JSON.writeValueAsString(client), 201);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An access token for a user by the password grant of the given public client. */
    public String accessTokenFrom(String clientId, String username, String password) {
        return token(
                issuerUrl(),
                Map.of(
                        "grant_type",
                        "password",
                        "client_id",
                        clientId,
                        "username",
                        username,
                        "password",
                        password,
                        "scope",
                        "openid"));
    }

    /** Gives the user another username (an administrator may, whatever the realm lets users do themselves). */
    public void renameUser(String username, String newUsername) {
        try {
            admin("PUT", "/users/" + userId(username), JSON.writeValueAsString(Map.of("username", newUsername)), 204);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void deleteUser(String username) {
        admin("DELETE", "/users/" + userId(username), null, 204);
    }

    /**
     * Lets the web UI's client (portcullis-web) sign people in to a broker at {@code webUrl} too, for brokers on a
     * port only known at run time: adds {@code webUrl/*} to its redirect and post-logout redirect URIs.
     */
    public void allowWebUrl(String webUrl) {
        try {
            JsonNode clients = json(admin("GET", "/clients?clientId=portcullis-web", null, 200));
            com.fasterxml.jackson.databind.node.ObjectNode client =
                    (com.fasterxml.jackson.databind.node.ObjectNode) clients.get(0);
            com.fasterxml.jackson.databind.node.ArrayNode redirects =
                    (com.fasterxml.jackson.databind.node.ArrayNode) client.get("redirectUris");
            redirects.add(webUrl + "/*");
            com.fasterxml.jackson.databind.node.ObjectNode attributes =
                    (com.fasterxml.jackson.databind.node.ObjectNode) client.get("attributes");
            String logout = attributes.path("post.logout.redirect.uris").asText("");
            attributes.put("post.logout.redirect.uris", (logout.isEmpty() ? "" : logout + "##") + webUrl + "/*");
            admin("PUT", "/clients/" + client.get("id").asText(), JSON.writeValueAsString(client), 204);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Set<String> groupsOf(String username) {
        Set<String> names = new TreeSet<>();
        json(admin("GET", "/users/" + userId(username) + "/groups", null, 200))
                .forEach(g -> names.add(g.get("name").asText()));
        return names;
    }

    /** Keycloak's id of the user with this username. */
    public String userId(String username) {
        JsonNode found = json(admin(
                "GET", "/users?exact=true&username=" + URLEncoder.encode(username, StandardCharsets.UTF_8), null, 200));
        for (JsonNode user : found) {
            if (username.equals(user.get("username").asText())) {
                return user.get("id").asText();
            }
        }
        throw new IllegalArgumentException("no user " + username + " in realm " + REALM);
    }

    /** A top-level group by name or path ({@code engineers}, {@code /engineers}), or a nested one by path ({@code /jit/db}). */
    public String groupId(String pathOrName) {
        String name = pathOrName.startsWith("/") ? pathOrName.substring(1) : pathOrName;
        if (name.contains("/")) {
            return json(admin("GET", "/group-by-path/" + name, null, 200))
                    .get("id")
                    .asText();
        }
        JsonNode found = json(admin(
                "GET", "/groups?exact=true&search=" + URLEncoder.encode(name, StandardCharsets.UTF_8), null, 200));
        for (JsonNode group : found) {
            if (name.equals(group.get("name").asText())) {
                return group.get("id").asText();
            }
        }
        throw new IllegalArgumentException("no group " + name + " in realm " + REALM);
    }

    /** A realm role as the admin API represents it (what a role mapping is made of). */
    public String realmRole(String name) {
        return admin("GET", "/roles/" + URLEncoder.encode(name, StandardCharsets.UTF_8), null, 200);
    }

    /**
     * Calls the realm's admin REST API ({@code /admin/realms/portcullis + path}) with someone else's bearer token, a
     * service account's say, to see what Keycloak itself lets that token do. Answers whatever Keycloak answers.
     */
    public HttpResponse<String> adminApiAs(String bearerToken, String method, String path, String body) {
        return send(HttpRequest.newBuilder(URI.create(baseUrl() + "/admin/realms/" + REALM + path))
                .header("Authorization", "Bearer " + bearerToken)
                .header("Content-Type", "application/json")
                .method(
                        method,
                        body == null
                                ? HttpRequest.BodyPublishers.noBody()
                                : HttpRequest.BodyPublishers.ofString(body)));
    }

    private String admin(String method, String path, String body, int expected) {
        String token = token(
                baseUrl() + "/realms/master",
                Map.of(
                        "grant_type",
                        "password",
                        "client_id",
                        "admin-cli",
                        "username",
                        "admin",
                        "password",
                        adminPassword()));
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl() + "/admin/realms/" + REALM + path))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> response = send(b);
        if (response.statusCode() != expected) {
            throw new IllegalStateException(
                    method + " " + path + " answered " + response.statusCode() + ": " + response.body());
        }
        return response.body();
    }

    private HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return http.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot reach Keycloak at " + baseUrl(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static JsonNode json(String body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new UncheckedIOException("Keycloak answered something that is not JSON: " + body, e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        process.destroy();
        try {
            if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        if (temporary) {
            Processes.deleteTree(home);
        }
    }
}
