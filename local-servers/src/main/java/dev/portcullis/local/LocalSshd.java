package dev.portcullis.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A real OpenSSH {@code sshd} (Debian package openssh-server) on a loopback port, as the SSH target of bastion
 * tests, benchmarks and the quickstart's demo target. It runs in the foreground ({@code -D -e}) with a config of
 * its own in its state directory: an ed25519 host key made at first start, public-key authentication only, one
 * allowed login, and an authorized keys file in the state directory that {@link #authorize(String)} appends to
 * (sshd reads it on every connection).
 *
 * <p>Who one logs in as: when the JVM is not root, sshd runs as the JVM's user and {@link #login()} is that
 * user (an unprivileged sshd can only log in as the user it runs as). When the JVM is root, sshd runs as root
 * (it needs that for privilege separation) but only lets in the unprivileged account {@value #TARGET_USER},
 * never root ({@code PermitRootLogin no}, {@code AllowUsers}); that account is created when it is missing.
 */
public final class LocalSshd implements AutoCloseable {

    /** The unprivileged account one logs in as when the JVM (and so sshd) runs as root. */
    public static final String TARGET_USER = "portcullis-target";

    private static final String DEFAULT_SSHD = "/usr/sbin/sshd";
    private static final String CONFIG = "sshd_config";
    private static final String HOST_KEY = "ssh_host_ed25519_key";
    private static final String AUTHORIZED_KEYS = "authorized_keys";
    private static final String PID_FILE = "sshd.pid";
    private static final String LOG = "sshd.log";
    private static final long START_TIMEOUT_SECONDS = 30;
    private static final Object ACCOUNT_LOCK = new Object();
    private static LocalSshd shared;

    private final Path base;
    private final boolean temporary;
    private final Process process;
    private final int port;
    private final String login;
    private final String hostPublicKey;
    private volatile boolean closed;

    private LocalSshd(Path base, boolean temporary, Process process, int port, String login, String hostPublicKey) {
        this.base = base;
        this.temporary = temporary;
        this.process = process;
        this.port = port;
        this.login = login;
        this.hostPublicKey = hostPublicKey;
    }

    /** One sshd per JVM in a temporary directory, started on first use and stopped when the JVM exits. */
    public static synchronized LocalSshd shared() {
        if (shared == null) {
            shared = start(null);
            LocalSshd instance = shared;
            Runtime.getRuntime().addShutdownHook(new Thread(instance::close, "local-sshd-stop"));
        }
        return shared;
    }

    /** Starts sshd on a free loopback port; see {@link #start(Path, int)}. */
    public static LocalSshd start(Path stateDir) {
        return start(stateDir, 0);
    }

    /**
     * Starts sshd on 127.0.0.1. {@code stateDir} null: a temporary directory removed by {@link #close()};
     * otherwise a directory that keeps its host key (so a pinned key stays valid) and its authorized keys across
     * restarts. {@code port} 0 picks a free port. Either way the sshd is killed when this JVM dies, however it ends.
     */
    public static LocalSshd start(Path stateDir, int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("not a TCP port: " + port);
        }
        if (port > 0 && Processes.isListening(port)) {
            throw new IllegalStateException(
                    "port " + port + " on 127.0.0.1 is already in use; sshd cannot start there");
        }
        Path sshd = findSshd();
        Path keygen = findClientTool("ssh-keygen");
        boolean root = Processes.runningAsRoot();
        try {
            boolean temporary = stateDir == null;
            Path base = temporary ? Files.createTempDirectory("portcullis-sshd-") : stateDir.toAbsolutePath();
            if (!base.toString().matches("[A-Za-z0-9._/+@=,:-]+")) {
                // sshd_config splits on blanks and expands % tokens in AuthorizedKeysFile
                throw new IllegalArgumentException(
                        "the sshd state directory may hold only letters, digits and ._/+@=,:- in its path: " + base);
            }
            Files.createDirectories(base);
            if (!temporary) {
                refuseIfStillRunning(base);
            }
            String login;
            if (root) {
                login = TARGET_USER;
                prepareTargetAccount(base);
                prepareRootPrivilegeSeparation();
                // The login's sshd process reads the authorized keys file with the login's rights: let it pass
                // through this directory (but not list it); the host key inside stays 0600 and root's.
                Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwx--x--x"));
            } else {
                login = System.getProperty("user.name");
                Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwx------"));
            }

            Path hostKey = base.resolve(HOST_KEY);
            if (!Files.exists(hostKey)) {
                Files.deleteIfExists(base.resolve(HOST_KEY + ".pub"));
                Processes.run(
                        List.of(
                                keygen.toString(),
                                "-t",
                                "ed25519",
                                "-N",
                                "",
                                "-C",
                                "portcullis-local-sshd",
                                "-f",
                                hostKey.toString(),
                                "-q"),
                        null,
                        base.resolve("ssh-keygen.log"),
                        60,
                        Map.of());
            }
            Files.setPosixFilePermissions(hostKey, PosixFilePermissions.fromString("rw-------"));
            String hostPublicKey =
                    keyWithoutComment(Files.readString(base.resolve(HOST_KEY + ".pub"), StandardCharsets.UTF_8));

            Path authorizedKeys = base.resolve(AUTHORIZED_KEYS);
            if (!Files.exists(authorizedKeys)) {
                Files.createFile(authorizedKeys);
            }
            // Public keys only; readable by the login (see above), writable by us alone.
            Files.setPosixFilePermissions(
                    authorizedKeys, PosixFilePermissions.fromString(root ? "rw-r--r--" : "rw-------"));
            if (root) {
                checkLoginCanRead(authorizedKeys, login, base);
            }

            LocalSshd started = port > 0
                    ? launch(sshd, base, temporary, port, login, hostPublicKey, false)
                    : launchOnAFreePort(sshd, base, temporary, login, hostPublicKey);
            Files.writeString(base.resolve("port"), String.valueOf(started.port));
            return started;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare an sshd state directory", e);
        }
    }

    private static LocalSshd launchOnAFreePort(
            Path sshd, Path base, boolean temporary, String login, String hostPublicKey) {
        PortTaken last = null;
        for (int attempt = 0; attempt < 5; attempt++) {
            try {
                return launch(sshd, base, temporary, Processes.freeLoopbackPort(), login, hostPublicKey, true);
            } catch (PortTaken e) {
                // Another process took the port between the check and the bind; try another one.
                last = e;
            }
        }
        throw new IllegalStateException(
                "sshd could not bind a free loopback port in 5 attempts:\n" + last.getMessage(), last);
    }

    private static LocalSshd launch(
            Path sshd, Path base, boolean temporary, int port, String login, String hostPublicKey, boolean retryable) {
        if (Processes.isListening(port)) {
            String message = "port " + port + " on 127.0.0.1 is already in use; sshd cannot start there";
            if (retryable) {
                throw new PortTaken(message);
            }
            throw new IllegalStateException(message);
        }
        Path config = base.resolve(CONFIG);
        Path log = base.resolve(LOG);
        try {
            Files.writeString(config, config(base, port, login), StandardCharsets.UTF_8);
            Path check = base.resolve("sshd-check.log");
            Files.deleteIfExists(check);
            try {
                Processes.run(List.of(sshd.toString(), "-t", "-f", config.toString()), null, check, 30, Map.of());
            } catch (IllegalStateException e) {
                throw new IllegalStateException(
                        "sshd rejects its configuration " + config + ":\n" + Processes.tail(check, 30), e);
            }
            Files.deleteIfExists(base.resolve(PID_FILE));
            // sshd must be started by its absolute path (it re-executes itself for each connection).
            Process process = new ProcessBuilder(sshd.toString(), "-D", "-e", "-f", config.toString())
                    .directory(base.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
            if (temporary) {
                // a throwaway target goes with this JVM; one in a state directory outlives it (the quickstart's
                // demo target) and is stopped with stopExisting
                Processes.cleanUpWhenThisJvmDies(
                        killTreeIfOurs(process.pid(), config) + "; sleep 1; rm -rf " + quote(base.toString()));
            }
            LocalSshd instance = new LocalSshd(base, temporary, process, port, login, hostPublicKey);
            instance.awaitListening(retryable);
            return instance;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + sshd, e);
        }
    }

    private void awaitListening(boolean retryable) {
        Path log = base.resolve(LOG);
        String ready = "Server listening on 127.0.0.1 port " + port + ".";
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(START_TIMEOUT_SECONDS);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                String tail = Processes.tail(log, 30);
                stopProcess();
                if (retryable
                        && (tail.contains("Address already in use") || tail.contains("Cannot bind any address"))) {
                    throw new PortTaken("sshd could not bind port " + port + ":\n" + tail);
                }
                throw new IllegalStateException(
                        "sshd exited with code " + process.exitValue() + " during start:\n" + tail);
            }
            if (logContains(log, ready) && Processes.isListening(port)) {
                return;
            }
            sleep(50);
        }
        String tail = Processes.tail(log, 30);
        close();
        throw new IllegalStateException("sshd did not accept connections on 127.0.0.1:" + port + " within "
                + START_TIMEOUT_SECONDS + " s:\n" + tail);
    }

    private static String config(Path base, int port, String login) {
        return String.join(
                "\n",
                "# Written by dev.portcullis.local.LocalSshd; rewritten at every start.",
                "ListenAddress 127.0.0.1",
                "Port " + port,
                "HostKey " + base.resolve(HOST_KEY),
                "PidFile " + base.resolve(PID_FILE),
                "AuthorizedKeysFile " + base.resolve(AUTHORIZED_KEYS),
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "PubkeyAuthentication yes",
                "UsePAM no",
                "StrictModes no",
                "PermitRootLogin no",
                "AllowUsers " + login,
                "Subsystem sftp internal-sftp",
                "AllowTcpForwarding yes",
                "X11Forwarding no",
                "PrintMotd no",
                "LogLevel INFO",
                // No AcceptEnv line: by default sshd accepts no environment variables from clients. OpenSSH has no
                // "none" keyword here; "AcceptEnv none" would accept a variable literally named "none".
                "");
    }

    // ---- root: the unprivileged target account and privilege separation

    /** Creates {@value #TARGET_USER} when missing, makes sure its home exists and that sshd does not see it as locked. */
    private static void prepareTargetAccount(Path base) throws IOException {
        synchronized (ACCOUNT_LOCK) {
            Path log = base.resolve("account.log");
            if (passwdEntry(TARGET_USER).isEmpty()) {
                try {
                    Processes.run(
                            List.of("useradd", "--create-home", "--shell", "/bin/bash", TARGET_USER),
                            null,
                            log,
                            60,
                            Map.of());
                } catch (IllegalStateException e) {
                    if (passwdEntry(TARGET_USER).isEmpty()) { // another JVM may have created it meanwhile
                        throw new IllegalStateException(
                                "cannot create the local account " + TARGET_USER + " that sshd lets in: "
                                        + e.getMessage(),
                                e);
                    }
                }
            }
            String[] entry = passwdEntry(TARGET_USER)
                    .orElseThrow(() -> new IllegalStateException(
                            "the account " + TARGET_USER + " is still missing after useradd"));
            if ("0".equals(entry[2])) {
                throw new IllegalStateException(
                        "the account " + TARGET_USER + " has uid 0; it must be an unprivileged account");
            }
            Path home = Path.of(entry[5]);
            if (!Files.isDirectory(home)) {
                Files.createDirectories(home);
                Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwxr-x---"));
                Processes.chown(home, TARGET_USER);
            }
            // useradd leaves the password field "!" (locked). With UsePAM no, sshd refuses locked accounts even for
            // public keys; "*" means "no password can ever match" without the lock.
            String shadowPassword = shadowPassword(TARGET_USER);
            if (shadowPassword != null && shadowPassword.startsWith("!")) {
                Processes.run(List.of("usermod", "-p", "*", TARGET_USER), null, log, 60, Map.of());
            }
        }
    }

    /** The passwd fields of a local account, read through getent (so any NSS source counts). */
    private static Optional<String[]> passwdEntry(String user) {
        Path out = null;
        try {
            out = Files.createTempFile("portcullis-getent-", ".out");
            Processes.run(List.of("getent", "passwd", user), null, out, 30, Map.of());
            String line = Files.readString(out, StandardCharsets.UTF_8).trim();
            String[] fields = line.split(":", -1);
            return fields.length >= 7 ? Optional.of(fields) : Optional.empty();
        } catch (IllegalStateException e) {
            return Optional.empty(); // getent exits 2 for an unknown user
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            deleteQuietly(out);
        }
    }

    private static String shadowPassword(String user) throws IOException {
        Path shadow = Path.of("/etc/shadow");
        if (!Files.isReadable(shadow)) {
            return null;
        }
        for (String line : Files.readAllLines(shadow, StandardCharsets.UTF_8)) {
            if (line.startsWith(user + ":")) {
                return line.split(":", -1)[1];
            }
        }
        return null;
    }

    private static void prepareRootPrivilegeSeparation() throws IOException {
        // Same as mkdir -p -m 0755 /run/sshd: sshd running as root chroots its pre-authentication child there.
        Path dir = Path.of("/run/sshd");
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    /**
     * Whether a target can keep its state in {@code dir}: as root, its login ({@value #TARGET_USER}) must be able to
     * pass through every parent directory, which a home directory such as /root usually forbids.
     */
    public static boolean canHost(Path dir) {
        return !Processes.runningAsRoot() || Processes.userCanEnter(dir, TARGET_USER);
    }

    /** sshd reads the authorized keys file with the login's rights, so the login must reach it through every parent. */
    private static void checkLoginCanRead(Path authorizedKeys, String login, Path base) {
        Path log = base.resolve("access-check.log");
        try {
            Processes.run(List.of("test", "-r", authorizedKeys.toString()), login, log, 10, Map.of());
        } catch (IllegalStateException e) {
            throw new IllegalStateException(
                    "the login " + login + " cannot read " + authorizedKeys + " (a parent directory is closed "
                            + "to it); choose a state directory whose parents are open to other users, such as one under /var/tmp",
                    e);
        } finally {
            deleteQuietly(log);
        }
    }

    // ---- binaries

    static Path findSshd() {
        String override = System.getenv("PORTCULLIS_SSHD");
        Path sshd = Path.of(override != null && !override.isBlank() ? override : DEFAULT_SSHD);
        if (!sshd.isAbsolute() || !Files.isExecutable(sshd)) {
            throw new IllegalStateException(
                    "no OpenSSH server at " + sshd + "; install it with: apt-get install -y openssh-server "
                            + "(deploy/bin/prerequisites.sh does; or set PORTCULLIS_SSHD to the absolute path of sshd)");
        }
        return sshd;
    }

    /** ssh-keygen, ssh, sftp or scp from openssh-client, on PATH or in /usr/bin. */
    static Path findClientTool(String name) {
        List<Path> candidates = new ArrayList<>();
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(":")) {
                if (!dir.isEmpty()) {
                    candidates.add(Path.of(dir, name));
                }
            }
        }
        candidates.add(Path.of("/usr/bin", name));
        for (Path candidate : candidates) {
            if (Files.isExecutable(candidate)) {
                return candidate.toAbsolutePath();
            }
        }
        throw new IllegalStateException(
                "no " + name + " on PATH or in /usr/bin; install it with: apt-get install -y openssh-client "
                        + "(deploy/bin/prerequisites.sh does)");
    }

    // ---- client keys

    /**
     * Makes a throwaway ed25519 key pair without a passphrase ({@code ssh-keygen -t ed25519 -N '' -f file -q}) and
     * returns its public key line, ready for {@link #authorize(String)}. Refuses to overwrite an existing key.
     */
    public static String generateClientKey(Path file) {
        Path keygen = findClientTool("ssh-keygen");
        Path key = file.toAbsolutePath();
        Path pub = key.resolveSibling(key.getFileName() + ".pub");
        if (Files.exists(key) || Files.exists(pub)) {
            throw new IllegalArgumentException(
                    "a key already exists at " + key + "; generateClientKey never overwrites one");
        }
        Path log = key.resolveSibling(key.getFileName() + ".ssh-keygen.log");
        try {
            Files.createDirectories(key.getParent());
            Processes.run(
                    List.of(
                            keygen.toString(),
                            "-t",
                            "ed25519",
                            "-N",
                            "",
                            "-C",
                            "portcullis-local-client",
                            "-f",
                            key.toString(),
                            "-q"),
                    null,
                    log,
                    60,
                    Map.of());
            return Files.readString(pub, StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make a client key at " + key, e);
        } finally {
            deleteQuietly(log);
        }
    }

    // ---- accessors

    public String host() {
        return "127.0.0.1";
    }

    public int port() {
        return port;
    }

    /** The OS account one logs in as: the JVM's user, or {@value #TARGET_USER} when the JVM runs as root. */
    public String login() {
        return login;
    }

    /** The host key as an OpenSSH public key line without comment, e.g. {@code ssh-ed25519 AAAA...}, for pinning. */
    public String hostPublicKey() {
        return hostPublicKey;
    }

    /** The host key's fingerprint as OpenSSH prints it: {@code SHA256:} and unpadded base64. */
    public String hostKeyFingerprint() {
        return fingerprint(hostPublicKey);
    }

    /** A known_hosts line for this server: {@code [127.0.0.1]:PORT ssh-ed25519 AAAA...}. */
    public String knownHostsLine() {
        return "[" + host() + "]:" + port + " " + hostPublicKey;
    }

    public Path directory() {
        return base;
    }

    /** sshd's own log (its stderr). */
    public Path logFile() {
        return base.resolve(LOG);
    }

    /**
     * Lets the holder of this key log in as {@link #login()} from the next connection on (sshd reads the file per
     * connection). Takes one authorized_keys line (options allowed); a line already present is not added again.
     */
    public synchronized void authorize(String publicKeyLine) {
        if (closed) {
            throw new IllegalStateException("this sshd is closed");
        }
        String line = publicKeyLine == null ? "" : publicKeyLine.trim();
        if (line.isEmpty()
                || line.startsWith("#")
                || line.contains("\n")
                || line.contains("\r")
                || line.indexOf(' ') < 0) {
            throw new IllegalArgumentException("not a single OpenSSH public key line: " + publicKeyLine);
        }
        Path file = base.resolve(AUTHORIZED_KEYS);
        try {
            String existing = Files.readString(file, StandardCharsets.UTF_8);
            if (existing.lines().anyMatch(line::equals)) {
                return;
            }
            String prefix = existing.isEmpty() || existing.endsWith("\n") ? "" : "\n";
            Files.writeString(file, prefix + line + "\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    static String fingerprint(String publicKeyLine) {
        String[] fields = publicKeyLine.trim().split("\\s+");
        if (fields.length < 2) {
            throw new IllegalArgumentException("not an OpenSSH public key line: " + publicKeyLine);
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(Base64.getDecoder().decode(fields[1]));
            return "SHA256:" + Base64.getEncoder().withoutPadding().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String keyWithoutComment(String line) {
        String[] fields = line.trim().split("\\s+");
        if (fields.length < 2 || !fields[0].equals("ssh-ed25519")) {
            throw new IllegalStateException("the host public key is not an ed25519 key line: " + line);
        }
        return fields[0] + " " + fields[1];
    }

    // ---- stopping

    /** Stops sshd (and the sessions it serves); a temporary state directory is removed. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        stopProcess();
        if (temporary) {
            Processes.deleteTree(base);
        }
    }

    private void stopProcess() {
        List<ProcessHandle> sessions = process.descendants().toList();
        process.destroy();
        sessions.forEach(ProcessHandle::destroy);
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        sessions.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
    }

    /**
     * Stops an sshd that an earlier process started in {@code stateDir} (quickstart stop, or a run whose clean-up
     * watcher could not do it). Does nothing when none is running there.
     */
    public static void stopExisting(Path stateDir) {
        Path base = stateDir.toAbsolutePath();
        Optional<ProcessHandle> running = runningIn(base);
        if (running.isEmpty()) {
            return;
        }
        ProcessHandle sshd = running.get();
        List<ProcessHandle> sessions = sshd.descendants().toList();
        sshd.destroy();
        sessions.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (sshd.isAlive() && System.nanoTime() < deadline) {
            sleep(50);
        }
        if (sshd.isAlive()) {
            sshd.destroyForcibly();
        }
        sessions.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
        deleteQuietly(base.resolve(PID_FILE));
    }

    private static void refuseIfStillRunning(Path base) {
        runningIn(base).ifPresent(p -> {
            throw new IllegalStateException("an sshd from an earlier run still serves " + base + " (pid " + p.pid()
                    + "); stop it first with LocalSshd.stopExisting(" + base + ")");
        });
    }

    /** The sshd whose pid file is in {@code base}, if it is alive and really runs with this directory's config. */
    private static Optional<ProcessHandle> runningIn(Path base) {
        Path pidFile = base.resolve(PID_FILE);
        if (!Files.exists(pidFile)) {
            return Optional.empty();
        }
        try {
            long pid = Long.parseLong(
                    Files.readString(pidFile, StandardCharsets.UTF_8).trim());
            Optional<ProcessHandle> handle = ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
            if (handle.isPresent()
                    && commandLine(pid).contains(base.resolve(CONFIG).toString())) {
                return handle;
            }
        } catch (NumberFormatException | IOException e) {
            // unreadable or stale pid file: nothing of ours runs there
        }
        return Optional.empty();
    }

    private static String commandLine(long pid) {
        try {
            return new String(
                            Files.readAllBytes(Path.of("/proc", String.valueOf(pid), "cmdline")),
                            StandardCharsets.UTF_8)
                    .replace('\0', ' ');
        } catch (IOException e) {
            return "";
        }
    }

    /**
     * A shell command that kills sshd and everything below it (the sessions), but only when that pid still runs our
     * config, so a recycled pid is never hit. sshd rewrites its command line to "sshd: /usr/sbin/sshd -D -e -f CONFIG
     * [listener] ..." which still holds the config path.
     */
    private static String killTreeIfOurs(long pid, Path config) {
        return "kill_tree() { for c in $(pgrep -P \"$1\"); do kill_tree \"$c\"; done; kill -TERM \"$1\" 2>/dev/null; }; "
                + "if grep -qaF -- " + quote(config.toString()) + " /proc/" + pid
                + "/cmdline 2>/dev/null; then kill_tree " + pid + "; fi";
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    private static boolean logContains(Path log, String text) {
        try {
            return Files.readString(log, StandardCharsets.UTF_8).contains(text);
        } catch (IOException e) {
            return false;
        }
    }

    private static void deleteQuietly(Path file) {
        if (file == null) {
            return;
        }
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // harmless
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

    /** sshd lost a race for a free port; the caller tries another. */
    private static final class PortTaken extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        PortTaken(String message) {
            super(message);
        }
    }
}
