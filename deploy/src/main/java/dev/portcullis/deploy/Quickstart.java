package dev.portcullis.deploy;

import dev.portcullis.local.LocalKeycloak;
import dev.portcullis.local.LocalMailServer;
import dev.portcullis.local.LocalPostgres;
import dev.portcullis.local.LocalS3;
import dev.portcullis.local.LocalSshd;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The quickstart: PostgreSQL, Keycloak with the demo realm, and the broker, on this machine, with state
 * under {@code .portcullis/}. Started processes outlive this launcher; {@code stop} ends them.
 */
public final class Quickstart {

    private final Settings settings;
    private final Path state;

    Quickstart(Settings settings) {
        this.settings = settings;
        this.state = settings.home().resolve("state.properties");
    }

    public static void main(String[] args) {
        // MINA SSHD (used here for key files) announces its crypto providers at INFO; not news for a quickstart user
        java.util.logging.Logger.getLogger("org.apache.sshd").setLevel(java.util.logging.Level.WARNING);
        String action = args.length == 0 ? "start" : args[0];
        try {
            Quickstart quickstart = new Quickstart(Settings.fromEnvironment());
            switch (action) {
                case "start" -> quickstart.start();
                case "stop" -> quickstart.stop();
                case "status" -> {
                    if (!quickstart.status()) {
                        System.exit(3); // as LSB status does: something is not running
                    }
                }
                default -> {
                    System.err.println("usage: quickstart.sh [start|stop|status]");
                    System.exit(2);
                }
            }
        } catch (QuickstartException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(1);
        } catch (RuntimeException e) {
            // Failures of the servers themselves (PostgreSQL or Keycloak not starting) carry their log's tail.
            System.err.println("error: " + e.getMessage());
            System.exit(1);
        }
    }

    void start() {
        Properties running = load();
        List<String> down = down(running);
        if (running.containsKey("broker.pid") && down.isEmpty()) {
            System.out.println("Portcullis is already running.\n");
            printStory(running);
            return;
        }
        if (running.containsKey("broker.pid")
                && Files.exists(settings.home().resolve(BASTION_ENV))
                && Files.exists(settings.home().resolve(BROKER_ENV))) {
            startWhatIsDown(running);
            System.out.println();
            printStory(running);
            return;
        }
        if (running.containsKey("broker.pid")) {
            // started by an older quickstart, which kept no settings to start the broker alone with
            System.out.println(
                    "Down: " + String.join(", ", down) + "; stopping what is left and starting everything again.");
            stop();
        } else if (!running.isEmpty()) {
            // a first start that failed part way: what it did start is stopped before everything starts again
            stop();
        }
        Preflight.check(settings);
        try {
            Files.createDirectories(settings.home());
        } catch (IOException e) {
            throw new QuickstartException("cannot create " + settings.home() + ": " + e.getMessage());
        }

        Path postgresDir = settings.postgresDir();
        if (!LocalPostgres.canHost(postgresDir)) {
            // Running as root in a directory the postgres user cannot enter (under /root, say).
            postgresDir = Path.of(
                    "/var/tmp",
                    "portcullis-postgres-"
                            + Integer.toHexString(settings.home().toString().hashCode()));
            System.out.println("PostgreSQL cannot live under " + settings.home()
                    + " (closed to the postgres user); using " + postgresDir);
        }
        System.out.println("starting PostgreSQL ...");
        LocalPostgres postgres = LocalPostgres.start(postgresDir);
        // each part is in the state file as soon as it runs, so that stop finds it even if a later part fails
        Properties now = new Properties();
        now.setProperty("postgres.dir", postgres.directory().toString());
        now.setProperty("postgres.port", String.valueOf(postgres.port()));
        save(now);
        Properties secrets = secrets();
        // The broker serves as portcullis, which owns nothing; its migrations run as portcullis_owner. A database made
        // by an older quickstart (portcullis owned it all) is handed to portcullis_owner here.
        LocalPostgres.BrokerDatabase database = postgres.createBrokerDatabase(
                "portcullis",
                "portcullis_owner",
                secrets.getProperty("db.owner.password"),
                "portcullis",
                secrets.getProperty("db.password"));

        System.out.println("starting Keycloak with the demo realm (first time: about a minute) ...");
        LocalKeycloak keycloak = LocalKeycloak.start(
                postgres,
                settings.home().resolve("keycloak"),
                settings.keycloakPort(),
                Map.of("PORTCULLIS_WEB_URL", settings.brokerUrl()));
        now.setProperty("keycloak.pid", readPid(keycloak.home().resolve("keycloak.pid")));
        save(now);

        Map<String, String> recordingsEnv = startS3(now);
        Map<String, String> mailEnv = startMail(now);
        DemoTarget demo = DemoTarget.start(settings);
        now.setProperty("demo.target.dir", demo.targetDirectory().toString());
        save(now);
        System.out.println("preparing the demo database (prod-db: database orders in the same PostgreSQL) ...");
        DemoDatabase.prepare(postgres, settings.home().resolve("bastion"));

        System.out.println("starting the broker ...");
        Path log = settings.home().resolve("broker.log");
        Map<String, String> brokerEnv = new java.util.HashMap<>(demo.brokerEnvironment());
        brokerEnv.putAll(recordingsEnv);
        brokerEnv.putAll(mailEnv);
        // the connection string handed out with each database credential names the bastion's PostgreSQL proxy
        brokerEnv.put("PORTCULLIS_DB_PROXY_PORT", String.valueOf(settings.databaseProxyPort()));
        // and hands out the proxy's self-signed certificate (made by the bastion on its first start) as its CA
        brokerEnv.put(
                "PORTCULLIS_DB_PROXY_CA_FILE",
                settings.home().resolve("bastion").resolve("db-tls.crt").toString());
        Properties brokerKept = new Properties();
        brokerKept.putAll(brokerEnv);
        writeSecretFile(
                settings.home().resolve(BROKER_ENV), brokerKept, "the broker's settings, for restarting it alone");
        BrokerProcess broker = BrokerProcess.start(
                settings.repo(), settings.httpPort(), log, database, keycloak, demo.policy(), brokerEnv);

        now.setProperty("broker.pid", String.valueOf(broker.pid()));
        now.setProperty("keycloak.pid", readPid(keycloak.home().resolve("keycloak.pid")));
        now.setProperty("postgres.dir", postgres.directory().toString());
        now.setProperty("postgres.port", String.valueOf(postgres.port()));
        now.setProperty("broker.url", settings.brokerUrl());
        now.setProperty("keycloak.url", keycloak.baseUrl());
        now.setProperty("keycloak.home", keycloak.home().toString());
        now.setProperty("demo.password", keycloak.demoPassword());
        now.setProperty("demo.target.dir", demo.targetDirectory().toString());
        now.setProperty("demo.login", demo.login());
        now.setProperty("policy.file", demo.policy().toString());
        save(now);
        writeEnvFile(keycloak);

        broker.awaitReady(Duration.ofSeconds(120));
        Map<String, String> bastionEnv = new java.util.HashMap<>(demo.bastionEnvironment(keycloak));
        bastionEnv.put("PORTCULLIS_DB_PORT", String.valueOf(settings.databaseProxyPort()));
        bastionEnv.putAll(recordingsEnv);
        Properties kept = new Properties();
        kept.putAll(bastionEnv);
        writeSecretFile(settings.home().resolve(BASTION_ENV), kept, "the bastion's settings, for restarting it alone");
        startBastion(now, kept);
        DemoTarget.writeKnownHosts(settings, keycloak.accessToken("alice"));
        System.out.println();
        printStory(now);
    }

    /**
     * Starts S3Proxy over {@code .portcullis/s3} with the bucket {@code recordings} when recordings go to S3 (the
     * default); its credentials are made once and kept there (0600).
     *
     * @return the settings that point the broker and the bastion at it (none for the filesystem backend)
     */
    private Map<String, String> startS3(Properties state) {
        if (!settings.s3()) {
            return Map.of();
        }
        System.out.println("starting S3 (S3Proxy over " + settings.home().resolve("s3/data") + ") ...");
        // the port the broker and bastion were given, when S3 comes back after an outage
        int port = settings.s3Port() > 0 ? settings.s3Port() : Integer.parseInt(state.getProperty("s3.port", "0"));
        LocalS3 s3 = LocalS3.start(settings.home().resolve("s3"), port);
        s3.createBucket(S3_BUCKET);
        state.setProperty("s3.pid", readPid(s3.home().resolve("s3proxy.pid")));
        state.setProperty("s3.url", s3.endpoint());
        state.setProperty("s3.port", String.valueOf(s3.port()));
        save(state);
        return Map.of(
                "PORTCULLIS_RECORDINGS_S3_BUCKET",
                S3_BUCKET,
                "PORTCULLIS_RECORDINGS_S3_ENDPOINT",
                s3.endpoint(),
                "PORTCULLIS_RECORDINGS_S3_REGION",
                s3.region(),
                "PORTCULLIS_RECORDINGS_S3_PATH_STYLE",
                "true",
                "PORTCULLIS_RECORDINGS_S3_ACCESS_KEY_ID",
                s3.accessKeyId(),
                "PORTCULLIS_RECORDINGS_S3_SECRET_ACCESS_KEY",
                s3.secretAccessKey());
    }

    private static final String S3_BUCKET = "recordings";

    /**
     * Starts the demo mail server (GreenMail: SMTP, IMAP and a REST API on loopback, state in {@code .portcullis/mail})
     * on the ports a first start chose, so the broker's settings stay right when it comes back alone.
     *
     * @return the broker settings that send the demo rules' notifications to it by email; a setting given in the
     *         environment (the organisation's relay, other channels) wins
     */
    private Map<String, String> startMail(Properties state) {
        System.out.println("starting the demo mail server (GreenMail, mail kept in memory) ...");
        LocalMailServer.Ports wanted = state.containsKey("mail.smtp.port")
                ? new LocalMailServer.Ports(
                        Integer.parseInt(state.getProperty("mail.smtp.port")),
                        Integer.parseInt(state.getProperty("mail.imap.port")),
                        Integer.parseInt(state.getProperty("mail.api.port")))
                : settings.mailPorts();
        LocalMailServer mail = LocalMailServer.start(settings.home().resolve("mail"), wanted);
        state.setProperty("mail.pid", String.valueOf(mail.pid()));
        state.setProperty("mail.smtp.port", String.valueOf(mail.ports().smtp()));
        state.setProperty("mail.imap.port", String.valueOf(mail.ports().imap()));
        state.setProperty("mail.api.port", String.valueOf(mail.ports().api()));
        save(state);
        Map<String, String> env = new java.util.HashMap<>(Map.of(
                "QUARKUS_MAILER_HOST", "127.0.0.1",
                "QUARKUS_MAILER_PORT", String.valueOf(mail.ports().smtp()),
                "QUARKUS_MAILER_START_TLS", "DISABLED", // loopback only; a real relay gets STARTTLS (README)
                "PORTCULLIS_NOTIFY_RULE_CHANNELS", "*: email",
                "PORTCULLIS_NOTIFY_BASE_URL", settings.brokerUrl()));
        env.keySet()
                .removeIf(name ->
                        System.getenv(name) != null && !System.getenv(name).isBlank());
        return env;
    }

    private boolean mailUp(Properties running) {
        return alive(running, "mail.pid")
                && running.containsKey("mail.smtp.port")
                && LocalMailServer.up(Integer.parseInt(running.getProperty("mail.smtp.port")));
    }

    /** Where a demo user's inbox is read over HTTP. */
    private static String inboxUrl(Properties running, String address) {
        return "http://127.0.0.1:" + running.getProperty("mail.api.port") + "/api/user/" + address + "/messages/";
    }

    private boolean s3Up(Properties running) {
        return alive(running, "s3.pid")
                && running.containsKey("s3.port")
                && BastionProcess.listening(Integer.parseInt(running.getProperty("s3.port")));
    }

    /** Where the bastion's settings (its client secret among them) are kept for a restart of the bastion alone. */
    private static final String BASTION_ENV = "bastion-env.properties";

    private void startBastion(Properties state, Properties env) {
        System.out.println("starting the SSH bastion ...");
        Map<String, String> bastionEnv = new java.util.HashMap<>();
        env.stringPropertyNames().forEach(name -> bastionEnv.put(name, env.getProperty(name)));
        BastionProcess bastion =
                BastionProcess.start(settings.repo(), settings.home().resolve("bastion.log"), bastionEnv);
        state.setProperty("bastion.pid", String.valueOf(bastion.pid()));
        save(state);
        bastion.awaitListening(settings.bastionPort(), Duration.ofSeconds(60));
        bastion.awaitListening(settings.databaseProxyPort(), Duration.ofSeconds(30));
    }

    /** Where the broker's settings beyond its database and Keycloak are kept for a restart of the broker alone. */
    private static final String BROKER_ENV = "broker-env.properties";

    /**
     * Starts again the parts that are down, in the order they need each other, each where the others look for it
     * (same ports, same secrets and files), and says which; the parts that run are left alone. A part whose process
     * lives but does not answer is stopped first, so that its successor can take its port.
     */
    private void startWhatIsDown(Properties running) {
        Path postgresDir = Path.of(running.getProperty("postgres.dir"));
        // Keycloak and the broker keep pooled connections, which a new server cuts: they answer errors until their
        // pools notice, so they are started again with it
        boolean postgresStarted = !postgresUp(running);
        if (postgresStarted) {
            System.out.println("PostgreSQL was down; starting it again, then Keycloak and the broker, whose"
                    + " connections to it were cut.");
            LocalPostgres.start(postgresDir, Integer.parseInt(running.getProperty("postgres.port")));
        }
        LocalPostgres postgres = LocalPostgres.running(postgresDir);
        Path keycloakHome = Path.of(running.getProperty("keycloak.home"));
        if (postgresStarted || !keycloakUp(running)) {
            System.out.println(
                    postgresStarted
                            ? "starting Keycloak again (about a minute) ..."
                            : "Keycloak was down; starting it again (about a minute) ...");
            end(running, "keycloak.pid");
            LocalKeycloak keycloak = LocalKeycloak.start(
                    postgres,
                    keycloakHome,
                    settings.keycloakPort(),
                    Map.of("PORTCULLIS_WEB_URL", settings.brokerUrl()));
            running.setProperty("keycloak.pid", readPid(keycloak.home().resolve("keycloak.pid")));
            save(running);
        }
        if (settings.s3() && !s3Up(running)) {
            // the bastion refuses sessions while S3 is away and takes them again once it answers: no restart
            System.out.println("S3 was down; starting it again.");
            startS3(running);
        }
        if (!mailUp(running)) {
            // the broker's outbox retries what it could not send, so nothing else needs a restart
            System.out.println("The mail server was down; starting it again (mailboxes start empty).");
            startMail(running);
        }
        if (!targetUp(running)) {
            System.out.println("The demo SSH target was down; starting it again.");
            DemoTarget.start(settings);
        }
        if (postgresStarted || !brokerUp(running) && !brokerComesBack(running)) {
            System.out.println(
                    postgresStarted ? "starting the broker again ..." : "The broker was down; starting it again.");
            end(running, "broker.pid");
            Properties secrets = secrets();
            LocalPostgres.BrokerDatabase database = new LocalPostgres.BrokerDatabase(
                    postgres.jdbcUrl("portcullis"),
                    "portcullis_owner",
                    secrets.getProperty("db.owner.password"),
                    "portcullis",
                    secrets.getProperty("db.password"));
            Map<String, String> env = new java.util.HashMap<>();
            Properties kept = loadFrom(settings.home().resolve(BROKER_ENV));
            kept.stringPropertyNames().forEach(name -> env.put(name, kept.getProperty(name)));
            BrokerProcess broker = BrokerProcess.start(
                    settings.repo(),
                    settings.httpPort(),
                    settings.home().resolve("broker.log"),
                    database,
                    LocalKeycloak.running(keycloakHome, settings.keycloakPort()),
                    Path.of(running.getProperty("policy.file")),
                    env);
            running.setProperty("broker.pid", String.valueOf(broker.pid()));
            save(running);
            broker.awaitReady(Duration.ofSeconds(120));
        }
        if (!bastionUp(running)) {
            System.out.println("The bastion was down; starting it again.");
            end(running, "bastion.pid");
            startBastion(running, loadFrom(settings.home().resolve(BASTION_ENV)));
        }
    }

    /**
     * A broker whose process lives but is not ready may only be slow or waiting for Keycloak, just started again: it
     * is given a moment before it is replaced.
     */
    private boolean brokerComesBack(Properties running) {
        if (!alive(running, "broker.pid")) {
            return false;
        }
        for (int i = 0; i < 60 && alive(running, "broker.pid"); i++) {
            if (BrokerProcess.healthy(settings.brokerUrl())) {
                return true;
            }
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new QuickstartException("interrupted");
            }
        }
        return false;
    }

    /** Ends a part's process (and its children) that lives on without doing its job. */
    private static void end(Properties running, String key) {
        String pid = running.getProperty(key);
        if (pid == null) {
            return;
        }
        ProcessHandle.of(Long.parseLong(pid)).ifPresent(p -> {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.onExit()
                    .orTimeout(30, java.util.concurrent.TimeUnit.SECONDS)
                    .exceptionally(t -> p)
                    .join();
        });
    }

    private boolean postgresUp(Properties running) {
        return running.containsKey("postgres.dir")
                && running.containsKey("postgres.port")
                && Files.exists(Path.of(running.getProperty("postgres.dir"), "data", "postmaster.pid"))
                && BastionProcess.listening(Integer.parseInt(running.getProperty("postgres.port")));
    }

    private boolean keycloakUp(Properties running) {
        return alive(running, "keycloak.pid") && BastionProcess.listening(settings.keycloakPort());
    }

    private boolean brokerUp(Properties running) {
        return alive(running, "broker.pid") && BrokerProcess.healthy(settings.brokerUrl());
    }

    private boolean targetUp(Properties running) {
        return running.containsKey("demo.target.dir") && BastionProcess.listening(settings.demoSshPort());
    }

    private boolean bastionUp(Properties running) {
        return alive(running, "bastion.pid")
                && BastionProcess.listening(settings.bastionPort())
                && BastionProcess.listening(settings.databaseProxyPort());
    }

    /** The parts that should run (a start left them in the state file) but do not. */
    private List<String> down(Properties running) {
        List<String> down = new java.util.ArrayList<>();
        if (!postgresUp(running)) {
            down.add("postgres");
        }
        if (!keycloakUp(running)) {
            down.add("keycloak");
        }
        if (settings.s3() && !s3Up(running)) {
            down.add("s3");
        }
        if (!mailUp(running)) {
            down.add("mail");
        }
        if (!brokerUp(running)) {
            down.add("broker");
        }
        if (!targetUp(running)) {
            down.add("target");
        }
        if (!bastionUp(running)) {
            down.add("bastion");
        }
        return down;
    }

    void stop() {
        Properties running = load();
        boolean any = false;
        for (String key : List.of("bastion.pid", "broker.pid", "keycloak.pid", "s3.pid", "mail.pid")) {
            String pid = running.getProperty(key);
            if (pid != null) {
                ProcessHandle.of(Long.parseLong(pid)).ifPresent(p -> {
                    p.descendants().forEach(ProcessHandle::destroy);
                    p.destroy();
                    p.onExit()
                            .orTimeout(30, java.util.concurrent.TimeUnit.SECONDS)
                            .exceptionally(t -> {
                                p.destroyForcibly();
                                return p;
                            })
                            .join();
                });
                any = true;
            }
        }
        String targetDir = running.getProperty("demo.target.dir");
        if (targetDir != null) {
            LocalSshd.stopExisting(Path.of(targetDir));
            any = true;
        }
        String pgDir = running.getProperty("postgres.dir");
        if (pgDir != null) {
            LocalPostgres.stopExisting(Path.of(pgDir));
            any = true;
        }
        try {
            Files.deleteIfExists(state);
        } catch (IOException e) {
            throw new QuickstartException("cannot remove " + state + ": " + e.getMessage());
        }
        System.out.println(
                any
                        ? "Portcullis stopped. Its data stays in " + settings.home() + " for the next start."
                        : "Nothing was running.");
    }

    /** Prints each part's state; whether every part is up. */
    boolean status() {
        Properties running = load();
        System.out.println("broker    "
                + (alive(running, "broker.pid") && BrokerProcess.healthy(settings.brokerUrl())
                        ? "up at " + settings.brokerUrl()
                        : "down"));
        System.out.println(
                "keycloak  " + (keycloakUp(running) ? "up at " + running.getProperty("keycloak.url") : "down"));
        System.out.println("s3        "
                + (!settings.s3()
                        ? "off (recordings on the filesystem: "
                                + settings.home().resolve("recordings") + ")"
                        : s3Up(running)
                                ? "up at " + running.getProperty("s3.url") + " (S3Proxy, bucket " + S3_BUCKET + ")"
                                : "down"));
        System.out.println("mail      "
                + (mailUp(running)
                        ? "up: SMTP 127.0.0.1:" + running.getProperty("mail.smtp.port") + ", IMAP 127.0.0.1:"
                                + running.getProperty("mail.imap.port") + ", inboxes at " + inboxUrl(running, "ADDRESS")
                                + " (GreenMail)"
                        : "down"));
        System.out.println("bastion   "
                + (alive(running, "bastion.pid") && BastionProcess.listening(settings.bastionPort())
                        ? "up on 127.0.0.1:" + settings.bastionPort()
                        : "down"));
        System.out.println("db proxy  "
                + (alive(running, "bastion.pid") && BastionProcess.listening(settings.databaseProxyPort())
                        ? "up on 127.0.0.1:" + settings.databaseProxyPort()
                                + " (PostgreSQL, TLS; demo database prod-db)"
                        : "down"));
        System.out.println("target    "
                + (running.containsKey("demo.target.dir") && BastionProcess.listening(settings.demoSshPort())
                        ? "up on 127.0.0.1:" + settings.demoSshPort() + " (OpenSSH, demo target prod-web-1)"
                        : "down"));
        System.out.println("postgres  "
                + (postgresUp(running) ? "up on 127.0.0.1:" + running.getProperty("postgres.port") : "down"));
        return running.containsKey("broker.pid") && down(running).isEmpty();
    }

    private void printStory(Properties s) {
        String broker = s.getProperty("broker.url");
        String kc = s.getProperty("keycloak.url");
        String env = settings.home().resolve("quickstart.env").toString();
        String login = s.getProperty("demo.login", "ubuntu");
        String key = settings.home().resolve("alice_key").toString();
        System.out.println("""
                Portcullis is up.
                  web UI       %1$s/ui   (sign in as a demo user: request, approve, my access, sessions and replay, audit log)
                  broker API   %1$s/api/v1   (OpenAPI: %1$s/q/openapi, health: %1$s/q/health)
                  Keycloak     %2$s   (realm portcullis)
                  SSH bastion  127.0.0.1:%7$d   (demo target prod-web-1: OpenSSH on 127.0.0.1:%8$d, login %9$s)
                  DB proxy     127.0.0.1:%12$d   (demo database prod-db, roles app_readonly and app_admin; TLS required)
                  mail         %13$s   (bob's inbox; every demo user is USER@example.com)
                               approvers get each request by email with Approve and Deny links, requesters hear
                               how it went; read it with curl or a browser there, or any IMAP client on
                               127.0.0.1:%14$s (any password)
                  demo users   alice (engineers), bob and carol (sre-approvers), dave (auditors), erin (admins, dba-approvers)
                  password     %3$s   (the same for every demo user; also in %4$s)
                  policy       %5$s

                Try the story with the portcullis command (./quickstart.sh installed it in ~/.local/bin; sign in with the
                password above when the browser, or the URL it prints, asks):
                  portcullis login --broker %1$s                          # as alice
                  portcullis targets
                  portcullis request prod-web-1 --login %9$s --for 1h --reason "disk full" --ticket INC-1234 --wait
                  # meanwhile, in a second terminal: bob and carol approve (alice cannot approve her own request);
                  # bob's mail has the request and its Approve link: curl -s %13$s
                  demo() { u=$1; shift; PORTCULLIS_CONFIG_DIR=$HOME/.config/portcullis-$u portcullis "$@"; }
                  demo bob login --broker %1$s; demo bob approvals
                  demo bob approve ID; demo carol login --broker %1$s; demo carol approve ID
                  # back in the first: ACTIVE; the stock ssh through the recording bastion (certificate and Host block made for you)
                  portcullis ssh prod-web-1
                  # read-only database access: erin (dba-approvers) approves; the stock psql verifies the proxy's certificate
                  portcullis request prod-db --login app_readonly --for 1h --reason "check yesterday orders" --wait
                  demo erin login --broker %1$s; demo erin approve ID      # in the second terminal
                  portcullis psql prod-db --role app_readonly -- -c 'select * from orders'
                  portcullis psql prod-db --role app_readonly -- -c 'delete from orders'   # refused: read-only grant
                  portcullis status; portcullis release ID              # give a grant back: its open sessions are cut
                  # dave audits: the sessions, a recording played in the terminal, its signature verified
                  demo dave login --broker %1$s; demo dave sessions
                  demo dave play SESSION; demo dave verify SESSION
                The same story with curl, and every endpoint: docs/api.md (deploy/bin/token USER prints a token); without
                the command, ssh -p %7$d -o UserKnownHostsFile=%11$s %9$s+prod-web-1@127.0.0.1 takes a certificate from the API.

                Stop everything with ./quickstart.sh stop (data stays in %6$s).
                """.formatted(
                        broker,
                        kc,
                        s.getProperty("demo.password"),
                        env,
                        s.getProperty("policy.file", settings.policyFile().toString()),
                        settings.home(),
                        settings.bastionPort(),
                        settings.demoSshPort(),
                        login,
                        key,
                        settings.home().resolve("known_hosts"),
                        settings.databaseProxyPort(),
                        inboxUrl(s, "bob@example.com"),
                        s.getProperty("mail.imap.port")));
    }

    private void writeEnvFile(LocalKeycloak keycloak) {
        Path env = settings.home().resolve("quickstart.env");
        String text = "# Portcullis quickstart settings for this shell: . " + env + "\n"
                + "export PORTCULLIS_URL=" + settings.brokerUrl() + "\n"
                + "export PORTCULLIS_KEYCLOAK_URL=" + keycloak.baseUrl() + "\n"
                + "export PORTCULLIS_DEMO_PASSWORD=" + keycloak.demoPassword() + "\n";
        try {
            SecretFiles.write(env, text); // it carries the demo password
        } catch (IOException e) {
            throw new QuickstartException("cannot write " + env + ": " + e.getMessage());
        }
    }

    private Properties secrets() {
        Path file = settings.home().resolve("broker-secrets.properties");
        Properties p = loadFrom(file);
        if (!p.containsKey("db.password") || !p.containsKey("db.owner.password")) {
            p.putIfAbsent("db.password", java.util.UUID.randomUUID().toString());
            p.putIfAbsent("db.owner.password", java.util.UUID.randomUUID().toString());
            writeSecretFile(file, p, "made at run time; never commit");
        }
        return p;
    }

    private static void writeSecretFile(Path file, Properties p, String comment) {
        try {
            java.io.StringWriter text = new java.io.StringWriter();
            p.store(text, comment);
            SecretFiles.write(file, text.toString());
        } catch (IOException e) {
            throw new QuickstartException("cannot write " + file + ": " + e.getMessage());
        }
    }

    private void checkPortFree(int port, String variable, String what) {
        Preflight.checkPort(port, variable, what);
    }

    private static boolean alive(Properties p, String key) {
        String pid = p.getProperty(key);
        return pid != null
                && ProcessHandle.of(Long.parseLong(pid))
                        .map(ProcessHandle::isAlive)
                        .orElse(false);
    }

    private Properties load() {
        return loadFrom(state);
    }

    private static Properties loadFrom(Path file) {
        Properties p = new Properties();
        if (Files.exists(file)) {
            try (InputStream in = Files.newInputStream(file)) {
                p.load(in);
            } catch (IOException e) {
                throw new QuickstartException("cannot read " + file + ": " + e.getMessage());
            }
        }
        return p;
    }

    private void save(Properties p) {
        try (OutputStream out = Files.newOutputStream(state)) {
            p.store(out, "processes started by ./quickstart.sh");
            Files.setPosixFilePermissions(state, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException e) {
            throw new QuickstartException("cannot write " + state + ": " + e.getMessage());
        }
    }

    private static String readPid(Path file) {
        try {
            return Files.readString(file).trim();
        } catch (IOException e) {
            throw new QuickstartException("cannot read " + file + ": " + e.getMessage());
        }
    }

    static final class QuickstartException extends RuntimeException {
        QuickstartException(String message) {
            super(message);
        }
    }
}
