package dev.portcullis.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import dev.portcullis.local.Commands;
import dev.portcullis.local.LocalPostgres;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The {@code portcullis} command line as people run it, each person a process with a home of their own, against the
 * real stack (Keycloak, a broker process, a bastion process, an OpenSSH target, PostgreSQL behind the proxy). Each
 * signs in with the device grant, the code confirmed in Debian's Chromium driven by Playwright. Alice's
 * {@code request --wait} prints bob's and carol's approvals (given with {@code portcullis approve} from their own
 * processes) and exits 0; {@code portcullis ssh} runs a command on the target through the bastion, {@code psql} a
 * query through the proxy, {@code release} cuts the open ssh session; a denied request exits 5 with its reason.
 */
class CliEndToEndTest {

    private static final String DATABASE = "cli_e2e";
    private static final String ORDERS = "cli_orders";
    private static final String ROLE = "cli_reader";
    private static final Pattern REQUEST_ID = Pattern.compile("request ([0-9a-f-]{36})");
    private static final Path LAUNCHER =
            Path.of("..", "cli", "bin", "portcullis").toAbsolutePath().normalize();

    private static SystemStack stack;
    private static Playwright playwright;
    private static Browser browser;

    @BeforeAll
    static void stack() throws Exception {
        stack = SystemStack.prepare("cli-e2e");
        LocalPostgres postgres = stack.postgres;
        postgres.createDatabase(ORDERS);
        String rolePassword = java.util.UUID.randomUUID().toString();
        postgres.createRole(ROLE, rolePassword);
        postgres.sql(
                ORDERS,
                "create table if not exists orders (id int primary key, total numeric); "
                        + "insert into orders values (1, 9.99), (2, 19.99) on conflict do nothing; grant select on orders to "
                        + ROLE);
        Path rolePasswordFile = stack.work.resolve(ROLE + ".password");
        Files.writeString(rolePasswordFile, rolePassword + "\n");
        stack.startBroker(
                DATABASE,
                """
                version: 1
                targets:
                  - {name: prod-web-1, kind: ssh, host: 127.0.0.1, port: %1$d, labels: {env: prod}}
                  - {name: prod-db, kind: postgres, host: 127.0.0.1, port: %2$d, database: %3$s}
                rules:
                  - name: engineers-prod-ssh
                    requesters: [engineers]
                    targets: [prod-web-1]
                    logins: [%4$s]
                    maxDuration: 4h
                    reason: required
                    ticket: "INC-[0-9]+"
                    approvals: {required: 2, from: [sre-approvers]}
                  - name: engineers-prod-db-read
                    requesters: [engineers]
                    targets: [prod-db]
                    logins: [%5$s]
                    maxDuration: 4h
                    reason: required
                    approvals: {required: 1, from: [sre-approvers]}
                    access: read
                """.formatted(stack.target.port(), postgres.port(), ORDERS, stack.target.login(), ROLE),
                Map.of(
                        "PORTCULLIS_WEB_BASTION_HOST", "127.0.0.1",
                        "PORTCULLIS_WEB_BASTION_SSH_PORT", String.valueOf(stack.sshPort),
                        "PORTCULLIS_DB_PROXY_HOST", "127.0.0.1",
                        "PORTCULLIS_DB_PROXY_PORT", String.valueOf(stack.dbPort),
                        "PORTCULLIS_DB_PROXY_CA_FILE",
                                stack.bastionState.resolve("db-tls.crt").toString()));
        stack.startBastion("""
                databases:
                  prod-db:
                    address: 127.0.0.1:%d
                    roles:
                      %s: {passwordFile: %s, readOnly: true}
                """.formatted(postgres.port(), ROLE, rolePasswordFile));
        playwright = Playwright.create(
                new Playwright.CreateOptions().setEnv(Map.of("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")));
        browser = playwright
                .chromium()
                .launch(new BrowserType.LaunchOptions()
                        .setExecutablePath(Path.of("/usr/bin/chromium"))
                        .setHeadless(true)
                        .setArgs(List.of(
                                "--no-sandbox",
                                "--disable-gpu",
                                "--disable-background-networking",
                                "--disable-component-update",
                                "--disable-sync",
                                "--no-first-run")));
    }

    @AfterAll
    static void stop() throws IOException {
        if (browser != null) browser.close();
        if (playwright != null) playwright.close();
        if (stack != null) stack.close();
    }

    @Test
    void signInRequestAndWaitThenSshPsqlAndReleaseCutsTheSession() throws Exception {
        Person alice = signIn("alice");
        Person bob = signIn("bob");
        Person carol = signIn("carol");

        Commands.Result targets = alice.run("targets", "--output", "json");
        assertThat(targets.exit()).as(targets.err()).isZero();
        assertThat(targets.out()).contains("\"target\":\"prod-web-1\"", "\"approvalsRequired\":2");

        // alice asks and waits; bob and carol approve from their own processes, and she sees each approval
        Running waiting = alice.start(
                "request",
                "prod-web-1",
                "--login",
                stack.target.login(),
                "--for",
                "1h",
                "--reason",
                "disk full",
                "--ticket",
                "INC-1234",
                "--wait");
        String id = waiting.requestId();
        waiting.awaitLine("Waiting for approvals");
        Commands.Result self = alice.run("approve", id);
        assertThat(self.exit()).isEqualTo(1);
        assertThat(self.err())
                .startsWith("portcullis: ")
                .endsWith("HTTP 403)\n")
                .doesNotContain("\tat ");
        assertThat(bob.run("approvals").out()).contains(id, "alice", "INC-1234");
        assertThat(bob.run("approve", id, "--comment", "go ahead").exit()).isZero();
        waiting.awaitLine("approved by bob (1 of 2): go ahead");
        assertThat(carol.run("approve", id).exit()).isZero();
        waiting.awaitLine("approved by carol (2 of 2)");
        waiting.awaitLine("ACTIVE: ");
        assertThat(waiting.exit()).isZero();

        Commands.Result status = alice.run("status");
        assertThat(status.out()).contains(id, "ACTIVE", "2/2", "left");

        // ssh through the bastion with the stock client
        Commands.Result ssh = alice.run("ssh", "prod-web-1", "--", "-o", "BatchMode=yes", "echo hello from $(whoami)");
        assertThat(ssh.exit()).as(ssh.err()).isZero();
        assertThat(ssh.out()).isEqualTo("hello from " + stack.target.login() + "\n");
        // with consent, ~/.ssh/config includes portcullis' Host blocks: plain ssh TARGET works
        Commands.Result consented =
                alice.run("ssh", "prod-web-1", "--ssh-config", "yes", "--", "-o", "BatchMode=yes", "true");
        assertThat(consented.exit()).as(consented.err()).isZero();
        Path userConfig = alice.home.resolve(".ssh/config");
        assertThat(Files.readString(userConfig)).startsWith("# Added by portcullis");
        Commands.Result plain = Commands.run(
                List.of("ssh", "-F", userConfig.toString(), "-o", "BatchMode=yes", "prod-web-1", "echo plain ssh"),
                null,
                Duration.ofSeconds(60));
        assertThat(plain.exit()).as(plain.err()).isZero();
        assertThat(plain.out()).isEqualTo("plain ssh\n");
        alice.run("ssh", "prod-web-1", "--ssh-config", "yes", "--", "-o", "BatchMode=yes", "true");
        assertThat(Files.readString(userConfig).split("Include", -1))
                .as("included once")
                .hasSize(2);

        // psql through the proxy, read-only
        Running dbWait = alice.start(
                "request", "prod-db", "--login", ROLE, "--for", "30m", "--reason", "check orders", "--wait");
        String db = dbWait.requestId();
        assertThat(bob.run("approve", db).exit()).isZero();
        assertThat(dbWait.exit()).isZero();
        Commands.Result psql = alice.run(
                "psql", "prod-db", "--role", ROLE, "--", "-X", "-A", "-t", "-c", "select sum(total) from orders");
        assertThat(psql.exit()).as(psql.err()).isZero();
        assertThat(psql.out().trim()).isEqualTo("29.98");

        // release cuts the open ssh session
        Running live = alice.start("ssh", "prod-web-1", "--", "-o", "BatchMode=yes", "echo live; sleep 300");
        live.awaitLine("live");
        Commands.Result released = alice.run("release", id);
        assertThat(released.exit()).as(released.err()).isZero();
        assertThat(released.out()).contains("Released " + id);
        assertThat(live.process.waitFor(30, TimeUnit.SECONDS))
                .as("the release cuts the open session")
                .isTrue();
        Commands.Result after = alice.run("ssh", "prod-web-1", "--", "-o", "BatchMode=yes", "true");
        assertThat(after.exit()).isEqualTo(1);
        assertThat(after.err()).startsWith("portcullis: you hold no active SSH grant for prod-web-1");

        // the session is recorded, and verifies
        Person dave = signIn("dave");
        Commands.Result sessions =
                dave.run("sessions", "--user", "alice", "--target", "prod-web-1", "--output", "json");
        assertThat(sessions.exit()).as(sessions.err()).isZero();
        String session = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(sessions.out())
                .get(0)
                .get("id")
                .asText();
        Commands.Result verified = dave.run("verify", session);
        assertThat(verified.out()).startsWith("VALID");
        assertThat(verified.exit()).isZero();
        Commands.Result played = dave.run("play", session, "--speed", "100");
        assertThat(played.exit()).as(played.err()).isZero();
        assertThat(played.out()).contains("live");
    }

    @Test
    void aDeniedRequestExitsFiveWithTheReasonAndPolicyRefusalsExitFour() throws Exception {
        Person alice = signIn("alice");
        Person bob = signIn("bob");
        Running waiting = alice.start(
                "request",
                "prod-web-1",
                "--login",
                stack.target.login(),
                "--for",
                "1h",
                "--reason",
                "curious",
                "--ticket",
                "INC-9",
                "--wait");
        String id = waiting.requestId();
        waiting.awaitLine("Waiting for approvals");
        assertThat(bob.run("deny", id, "--reason", "not during the freeze").exit())
                .isZero();
        assertThat(waiting.exit()).isEqualTo(5);
        assertThat(waiting.out()).contains("denied by bob: not during the freeze", "DENIED");

        // Ctrl-C while waiting asks whether to withdraw the request; yes withdraws it and exits 7
        Running interrupted = alice.startAnswering(
                Map.of("PORTCULLIS_ASSUME_TTY", "1"),
                "request",
                "prod-web-1",
                "--login",
                stack.target.login(),
                "--for",
                "1h",
                "--reason",
                "second thoughts",
                "--ticket",
                "INC-10",
                "--wait");
        String withdrawn = interrupted.requestId();
        interrupted.awaitLine("Waiting for approvals");
        interrupted.interrupt();
        interrupted.answer("y");
        assertThat(interrupted.exit()).isEqualTo(7);
        assertThat(interrupted.out()).contains("Withdrew request " + withdrawn + ": CANCELLED");
        assertThat(interrupted.err()).contains("Withdraw request " + withdrawn + "?");

        Commands.Result tooLong = alice.run(
                "request",
                "prod-web-1",
                "--login",
                stack.target.login(),
                "--for",
                "9h",
                "--reason",
                "x",
                "--ticket",
                "INC-9");
        assertThat(tooLong.exit()).isEqualTo(4);
        assertThat(tooLong.err()).startsWith("portcullis: ").contains("HTTP 4").doesNotContain("\tat ");
        assertThat(tooLong.err().lines()).hasSize(1);
    }

    // ---- people, each a home with the command's own config, signed in through the browser

    /** Signs {@code username} in: {@code portcullis login} prints a URL, Chromium opens it and the person confirms. */
    private Person signIn(String username) throws Exception {
        Path home = Files.createDirectories(stack.work.resolve("home-" + username + "-" + System.nanoTime()));
        Person person = new Person(home);
        Running login = person.start("login", "--broker", stack.broker.url(), "--no-browser");
        String line = login.awaitLine("To sign in, open ");
        String url = line.substring(line.indexOf("open ") + 5).trim();
        try (BrowserContext context = browser.newContext()) {
            Page page = context.newPage();
            page.navigate(url);
            confirmDevice(page, username);
        }
        assertThat(login.exit()).as(login.err()).isZero();
        assertThat(login.out()).contains("as " + username);
        return person;
    }

    /** Keycloak's device pages, in whatever order they come: the code, the login form, the consent; bounded. */
    private static void confirmDevice(Page page, String username) {
        for (int step = 0; step < 8; step++) {
            page.waitForLoadState();
            String text = page.content();
            if (text.contains("Device Login Successful")
                    || text.contains("device login successful")
                    || text.contains("You may now close")
                    || text.contains("successful")) {
                return;
            }
            if (page.locator("#username").count() > 0) {
                page.locator("#username").fill(username);
                page.locator("#password").fill(stack.keycloak.demoPassword());
                page.locator("#kc-login").click();
            } else if (page.locator("input[name=accept]").count() > 0) {
                page.locator("input[name=accept]").click();
            } else if (page.locator("#kc-login").count() > 0) {
                page.locator("#kc-login").click();
            } else if (page.locator("input[type=submit]").count() > 0) {
                page.locator("input[type=submit]").first().click();
            } else {
                throw new AssertionError("an unknown Keycloak page for the device grant:\n" + text);
            }
        }
        throw new AssertionError("Keycloak did not confirm the device sign-in:\n" + page.content());
    }

    private static final class Person {
        final Path home;

        Person(Path home) {
            this.home = home;
        }

        Map<String, String> env() {
            Map<String, String> env = new HashMap<>();
            env.put("HOME", home.toString());
            env.put("PATH", System.getenv("PATH"));
            return env;
        }

        List<String> command(String... args) {
            List<String> command = new ArrayList<>(List.of(LAUNCHER.toString()));
            command.addAll(List.of(args));
            return command;
        }

        Commands.Result run(String... args) throws IOException {
            return Commands.run(command(args), null, Duration.ofSeconds(120), env());
        }

        Running start(String... args) throws IOException {
            ProcessBuilder pb = new ProcessBuilder(command(args));
            pb.environment().clear();
            pb.environment().putAll(env());
            Running running = new Running(pb.start());
            running.process.getOutputStream().close();
            return running;
        }

        /** The same, with stdin left open for answers, and {@code extraEnv}. */
        Running startAnswering(Map<String, String> extraEnv, String... args) throws IOException {
            ProcessBuilder pb = new ProcessBuilder(command(args));
            pb.environment().clear();
            pb.environment().putAll(env());
            pb.environment().putAll(extraEnv);
            return new Running(pb.start());
        }
    }

    /** A command still running: its output line by line as it comes. */
    private static final class Running {
        final Process process;
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        final StringBuilder out = new StringBuilder();
        final CompletableFuture<String> err;

        Running(Process process) throws IOException {
            this.process = process;
            this.err = Commands.drain(process.getErrorStream());
            Thread reader = new Thread(() -> {
                try (BufferedReader r =
                        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        synchronized (out) {
                            out.append(line).append('\n');
                        }
                        lines.add(line);
                    }
                } catch (IOException e) {
                    // the process ended
                }
            });
            reader.setDaemon(true);
            reader.start();
        }

        String awaitLine(String containing) throws InterruptedException {
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (System.nanoTime() < deadline) {
                String line = lines.poll(200, TimeUnit.MILLISECONDS);
                if (line != null && line.contains(containing)) {
                    return line;
                }
                if (line == null && !process.isAlive() && lines.isEmpty()) {
                    break;
                }
            }
            throw new AssertionError("no line with '" + containing + "'; output:\n" + out() + "\nerrors:\n" + errNow());
        }

        /** Ctrl-C: SIGINT to the JVM (the launcher execs it, or runs it as its child on a first run). */
        void interrupt() throws Exception {
            ProcessHandle jvm = process.toHandle()
                    .descendants()
                    .filter(p -> p.info().command().orElse("").endsWith("java"))
                    .findFirst()
                    .orElse(process.toHandle());
            assertThat(new ProcessBuilder("kill", "-INT", String.valueOf(jvm.pid()))
                            .start()
                            .waitFor())
                    .isZero();
        }

        void answer(String line) throws IOException {
            process.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
            process.getOutputStream().flush();
        }

        String requestId() throws InterruptedException {
            Matcher m = REQUEST_ID.matcher(awaitLine("Requested "));
            assertThat(m.find()).isTrue();
            return m.group(1);
        }

        int exit() throws Exception {
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("still running after 120 s; output:\n" + out());
            }
            return process.exitValue();
        }

        String out() throws InterruptedException {
            Thread.sleep(100); // the reader's last lines
            synchronized (out) {
                return out.toString();
            }
        }

        String err() throws Exception {
            return err.get(30, TimeUnit.SECONDS);
        }

        private String errNow() {
            return err.getNow("(still running)");
        }
    }
}
