package dev.portcullis.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portcullis.bastion.broker.BrokerClient;
import dev.portcullis.bastion.broker.RemoteIndexSink;
import dev.portcullis.bastion.index.IndexFeed;
import dev.portcullis.local.BenchmarkFigures;
import dev.portcullis.recording.ChunkChain;
import dev.portcullis.recording.FileSystemRecordingStorage;
import dev.portcullis.recording.RecordingClock;
import dev.portcullis.recording.RecordingKeys;
import dev.portcullis.recording.RecordingMetadata;
import dev.portcullis.recording.RecordingSigner;
import dev.portcullis.recording.Recordings;
import dev.portcullis.recording.SessionRecording;
import dev.portcullis.recording.WriterOptions;
import dev.portcullis.recording.event.ExecEvent;
import dev.portcullis.recording.event.FileOperationEvent;
import dev.portcullis.recording.event.FileProtocol;
import dev.portcullis.recording.event.FileTransferEvent;
import dev.portcullis.recording.event.QueryEvent;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The search index at scale. A corpus of {@code bench.sessions} sessions holding {@code bench.events} index entries
 * (shell, exec, SFTP and psql sessions, a quarter each) is written through the real recording path (the bastion's
 * Recordings, RecordingWriter, signed chunks on disk), tapped and indexed by the real indexer (IndexFeed,
 * SessionIndexer, LineEditor, OutputLines, RemoteIndexSink over HTTP with the bastion client's token) into a real
 * broker process (its internal API, PostgreSQL with pg_trgm), each session registered and ended through the same
 * internal API a bastion uses. What it does not do: SSH and the PostgreSQL wire protocol (the sessions' bytes and
 * events are generated in-process and given to the recorder directly, as the bastion's channels do), so the corpus
 * takes minutes instead of hours. Run by {@code deploy/bench/search.sh}.
 *
 * <p>Figures: search p95 through {@code GET /api/v1/search} as an auditor (against the same queries as a plain ILIKE
 * scan, the trigram index switched off); event recorded to searchable p99 (a typed line in a live shell session
 * until the API finds it, while the corpus is being written; against one entry posted straight to the broker's
 * internal API until it is found); the index size per GiB of recordings. The page also compares full-text search.
 */
@Tag("benchmark")
class SearchBenchmark {

    private static final int SESSIONS = Integer.getInteger("bench.sessions", 10_000);
    private static final long EVENTS = Long.getLong("bench.events", 5_000_000L);
    private static final int WORKERS = Integer.getInteger("bench.workers", 4);
    /** Two in-process bastions, each with its own feed, as a deployment has a feed per bastion. */
    private static final int FEEDS = Integer.getInteger("bench.feeds", 2);

    private static final int PROBES = Integer.getInteger("bench.probes", 40);
    /**
     * Entries a feed may hold unsent before the corpus writers wait for it: a bastion's feed keeps at most 200,000
     * and the broker refuses entries for sessions that ended more than 5 minutes ago, so writers that outran the
     * broker would lose entries instead of measuring them.
     */
    private static final int BACKLOG = Integer.getInteger("bench.backlog", 20_000);

    private static final String DATABASE = "search_bench";
    private static final ObjectMapper JSON = new ObjectMapper();

    private static final String[] COMMANDS = {
        "systemctl status",
        "journalctl -u",
        "tail -n 200 /var/log/",
        "grep -R",
        "kubectl get pods -n",
        "docker ps --filter name=",
        "df -h /srv/",
        "ls -la /etc/",
        "cat /proc/",
        "curl -s http://"
    };
    private static final String[] WORDS = {
        "nginx",
        "postgres",
        "orders",
        "billing",
        "cache",
        "auth",
        "payments",
        "search",
        "metrics",
        "gateway",
        "worker",
        "scheduler",
        "ledger",
        "invoice",
        "session"
    };

    private final HttpClient http = HttpClient.newHttpClient();
    private final AtomicLong rawBytes = new AtomicLong();

    @Test
    void searchOverTheCorpus() throws Exception {
        try (SystemStack stack = SystemStack.prepare("search-bench")) {
            stack.postgres.createDatabase("search_bench_orders");
            stack.startBroker(
                    DATABASE,
                    """
                    version: 1
                    targets:
                      - {name: prod-web-1, kind: ssh, host: 127.0.0.1, port: %d}
                      - {name: prod-db, kind: postgres, host: 127.0.0.1, port: %d, database: search_bench_orders}
                    rules:
                      - {name: ssh, requesters: [engineers], targets: [prod-web-1], logins: [%s], maxDuration: 4h,
                         reason: required, approvals: {required: 1, from: [sre-approvers]}}
                      - {name: db, requesters: [engineers], targets: [prod-db], logins: [app_readonly], maxDuration: 4h,
                         reason: required, approvals: {required: 1, from: [sre-approvers]}}
                    """.formatted(stack.target.port(), stack.postgres.port(), stack.target.login()),
                    Map.of());
            run(stack);
        }
    }

    private void run(SystemStack stack) throws Exception {
        String sshGrant = grant(stack, "prod-web-1", stack.target.login());
        String dbGrant = grant(stack, "prod-db", "app_readonly");
        RecordingSigner signer = RecordingKeys.loadOrGenerate(
                stack.bastionState.resolve("recording-signing-key.pem"),
                stack.bastionState.resolve("recording-signing-key.pub.pem"));
        String keyId = ChunkChain.sha256(signer.publicKey().getEncoded());
        BrokerClient bastion = new BrokerClient(
                URI.create(stack.broker.url()),
                null,
                URI.create(stack.keycloak.issuerUrl() + "/protocol/openid-connect/token"),
                stack.keycloak.bastionClientId(),
                stack.keycloak.bastionClientSecret(),
                Duration.ofSeconds(60));
        List<IndexFeed> feeds = new ArrayList<>();
        List<Recordings> bastions = new ArrayList<>();
        for (int i = 0; i < FEEDS; i++) {
            IndexFeed feed = new IndexFeed(new RemoteIndexSink(bastion)).start(Duration.ofMillis(500));
            Recordings recordings = new Recordings(
                    new FileSystemRecordingStorage(stack.recordings),
                    signer,
                    WriterOptions.defaults(),
                    RecordingClock.system());
            recordings.tap(feed);
            feeds.add(feed);
            bastions.add(recordings);
        }
        Corpus corpus = new Corpus(stack, bastion, keyId, sshGrant, dbGrant, (int) (EVENTS / SESSIONS));
        String dave = stack.keycloak.accessToken("dave");

        // the corpus, with the freshness probes running while it is written
        long started = System.nanoTime();
        ExecutorService workers = Executors.newFixedThreadPool(WORKERS);
        List<Future<?>> done = new ArrayList<>();
        for (int s = 0; s < SESSIONS; s++) {
            int n = s;
            done.add(workers.submit(() -> {
                awaitRoom(feeds.get(n % FEEDS));
                corpus.session(bastions.get(n % FEEDS), n);
                return null;
            }));
        }
        workers.shutdown();
        List<Double> fresh = new ArrayList<>();
        List<Double> direct = new ArrayList<>();
        probe(stack, corpus, bastions.get(0), bastion, dave, fresh, direct);
        for (Future<?> f : done) {
            f.get();
        }
        long written = System.nanoTime();
        awaitDrained(feeds);
        double buildSeconds = (System.nanoTime() - started) / 1e9;
        double drainSeconds = (System.nanoTime() - written) / 1e9;
        long sent = feeds.stream().mapToLong(IndexFeed::sent).sum();
        long dropped = feeds.stream().mapToLong(IndexFeed::dropped).sum();
        feeds.forEach(IndexFeed::close);

        try (Connection db = DriverManager.getConnection(
                stack.postgres.jdbcUrl(DATABASE), stack.postgres.superuser(), stack.postgres.password())) {
            long verifyStart = System.nanoTime();
            long unchecked = awaitVerdicts(db);
            double verifySeconds = (System.nanoTime() - verifyStart) / 1e9;
            try (Statement s = db.createStatement()) {
                s.execute("vacuum analyze search_entry");
            }
            long rows = single(db, "select count(*) from search_entry");
            long tableBytes = single(db, "select pg_total_relation_size('search_entry')");
            long trgmBytes = single(db, "select pg_relation_size('search_entry_text')");
            long recordingBytes = directorySize(stack.recordings);
            List<String> queries = queries(new Random(7));
            List<Double> api = new ArrayList<>();
            for (String q : queries.subList(0, 10)) {
                search(stack, dave, q); // warm-up
            }
            for (String q : queries) {
                long t0 = System.nanoTime();
                search(stack, dave, q);
                api.add((System.nanoTime() - t0) / 1e6);
            }
            List<String> sample = new ArrayList<>();
            for (int i = 0; i < queries.size(); i += 5) {
                sample.add(queries.get(i + (i / 5) % 5)); // one in five, of every sort (they repeat every five)
            }
            List<Double> trgm = sql(db, sample, false, false);
            List<Double> scan = sql(db, sample, true, false);
            long ftsStart = System.nanoTime();
            try (Statement s = db.createStatement()) {
                s.execute("create index search_entry_fts on search_entry using gin (to_tsvector('simple', text))");
            }
            double ftsBuild = (System.nanoTime() - ftsStart) / 1e9;
            long ftsBytes = single(db, "select pg_relation_size('search_entry_fts')");
            int[] ftsMissed = new int[1];
            List<Double> fts = fts(db, sample, ftsMissed);
            try (Statement s = db.createStatement()) {
                s.execute("drop index search_entry_fts");
            }
            String plans = plans(db, sample);
            report(new Result(
                    rows,
                    sent,
                    dropped,
                    buildSeconds,
                    drainSeconds,
                    tableBytes,
                    trgmBytes,
                    recordingBytes,
                    api,
                    trgm,
                    scan,
                    fts,
                    ftsBuild,
                    ftsBytes,
                    ftsMissed[0],
                    sample.size(),
                    fresh,
                    direct,
                    verifySeconds,
                    unchecked,
                    plans));
        }
    }

    /** Waits (bounded) until the feed has sent what it holds down to {@link #BACKLOG} entries. */
    private static void awaitRoom(IndexFeed feed) throws InterruptedException {
        for (int i = 0; i < 30_000 && feed.backlog() > BACKLOG; i++) {
            Thread.sleep(20);
        }
    }

    /**
     * Waits (bounded) until the broker's background check has verified every closed recording, as it does within a
     * second or so of each session's end, so the searches measure a settled broker; returns how many were left.
     */
    private static long awaitVerdicts(Connection db) throws Exception {
        long left = 0;
        for (int i = 0; i < 9000; i++) {
            left = single(db, "select count(*) from recording_verdict where status = 'UNCHECKED'");
            if (left == 0) {
                break;
            }
            Thread.sleep(100);
        }
        return left;
    }

    /** EXPLAIN ANALYZE of the search's own SQL for one query of each sort, for the page. */
    private static String plans(Connection db, List<String> sample) throws Exception {
        StringBuilder out = new StringBuilder();
        for (String q : List.of(sample.get(0), sample.get(2), sample.get(4))) {
            out.append("-- q = ").append(q).append('\n');
            try (PreparedStatement p = db.prepareStatement("explain (analyze, costs off, timing off, summary on)"
                    + " select e.id, e.text, coalesce(v.status, 'UNCHECKED') from search_entry e"
                    + " join bastion_session s on s.id = e.session_id"
                    + " left join recording_verdict v on v.session_id = e.session_id"
                    + " where e.text ilike ? escape '\\' order by e.at desc, e.id desc limit 50")) {
                p.setString(1, "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%");
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        out.append(r.getString(1)).append('\n');
                    }
                }
            }
        }
        return out.toString();
    }

    /** Sessions of four kinds, each with about {@code perSession} index entries. */
    private final class Corpus {
        final SystemStack stack;
        final BrokerClient bastion;
        final String keyId;
        final String sshGrant;
        final String dbGrant;
        final int perSession;

        Corpus(SystemStack stack, BrokerClient bastion, String keyId, String sshGrant, String dbGrant, int perSession) {
            this.stack = stack;
            this.bastion = bastion;
            this.keyId = keyId;
            this.sshGrant = sshGrant;
            this.dbGrant = dbGrant;
            this.perSession = Math.max(4, perSession);
        }

        SessionRecording open(Recordings recordings, UUID id, String channel, boolean db) throws Exception {
            RecordingMetadata.Builder m = recordings
                    .newMetadata()
                    .recordInput(true)
                    .attribute("user", "alice")
                    .attribute("session", id.toString())
                    .attribute("bastion", "bench");
            if (db) {
                m.attribute("login", "app_readonly")
                        .attribute("target", "prod-db")
                        .attribute("protocol", "postgres")
                        .attribute("grant", dbGrant);
            } else {
                m.attribute("login", stack.target.login())
                        .attribute("target", "prod-web-1")
                        .attribute("grant", sshGrant)
                        .attribute("channel", channel);
            }
            SessionRecording r = recordings.start(m.build(), failure -> {});
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("sessionId", id.toString());
            body.put("requestId", db ? dbGrant : sshGrant);
            body.put("username", "alice");
            body.put("target", db ? "prod-db" : "prod-web-1");
            body.put("login", db ? "app_readonly" : stack.target.login());
            body.put("protocol", db ? "postgres" : "ssh");
            body.put("recordingId", r.id());
            body.put("recordingKey", keyId);
            body.put("bastion", "bench");
            body.put("startedAt", r.metadata().startedAt().toString());
            bastion.post("/internal/v1/sessions", body);
            return r;
        }

        void end(SessionRecording r, UUID id) throws Exception {
            r.close();
            bastion.post(
                    "/internal/v1/sessions/" + id + "/end",
                    Map.of(
                            "endedAt",
                            Instant.now().toString(),
                            "bytesIn",
                            r.terminal().inputBytes(),
                            "bytesOut",
                            r.terminal().outputBytes(),
                            "status",
                            "CLOSED"));
        }

        void session(Recordings recordings, int n) throws Exception {
            Random random = new Random(n);
            UUID id = UUID.randomUUID();
            switch (n % 4) {
                case 0 -> { // shell: a typed line (sometimes corrected with backspaces) and three lines of output
                    SessionRecording r = open(recordings, id, "shell", false);
                    for (int e = 0; e < perSession; e += 4) {
                        String line = command(random, n, e);
                        byte[] keys =
                                (random.nextInt(4) == 0 ? slip(line) : line + "\r").getBytes(StandardCharsets.UTF_8);
                        r.terminal().input(keys);
                        byte[] out = (line + "\r\n" + output(random) + "\r\n" + output(random) + "\r\n" + "\u001b[32m"
                                        + output(random) + "\u001b[0m\r\n")
                                .getBytes(StandardCharsets.UTF_8);
                        r.terminal().output(out);
                        rawBytes.addAndGet(keys.length + out.length);
                    }
                    end(r, id);
                }
                case 1 -> { // exec: the command and its output
                    SessionRecording r = open(recordings, id, "exec", false);
                    r.events().record(new ExecEvent(command(random, n, 0)));
                    for (int e = 1; e < perSession; e += 4) {
                        byte[] out = (output(random) + "\n" + output(random) + "\n" + output(random) + "\n"
                                        + output(random) + "\n")
                                .getBytes(StandardCharsets.UTF_8);
                        r.terminal().output(out);
                        rawBytes.addAndGet(out.length);
                    }
                    end(r, id);
                }
                case 2 -> { // SFTP: transfers and operations
                    SessionRecording r = open(recordings, id, "sftp", false);
                    for (int e = 0; e < perSession; e++) {
                        String path =
                                "/srv/" + word(random) + "/" + word(random) + "-" + random.nextInt(100_000) + ".tar.gz";
                        r.events()
                                .record(
                                        e % 3 == 0
                                                ? new FileOperationEvent(
                                                        FileProtocol.SFTP,
                                                        FileOperationEvent.Operation.REMOVE,
                                                        path,
                                                        null)
                                                : new FileTransferEvent(
                                                        FileProtocol.SFTP,
                                                        e % 2 == 0
                                                                ? FileTransferEvent.Direction.UPLOAD
                                                                : FileTransferEvent.Direction.DOWNLOAD,
                                                        path,
                                                        random.nextInt(1 << 20)));
                    }
                    end(r, id);
                }
                default -> { // psql: statements with parameters, tags and rows
                    SessionRecording r = open(recordings, id, null, true);
                    for (int e = 0; e < perSession; e++) {
                        String table = word(random);
                        boolean write = e % 5 == 0;
                        r.events()
                                .record(new QueryEvent(
                                        "prod-db",
                                        write
                                                ? "DELETE FROM " + table + " WHERE id = $1"
                                                : "SELECT * FROM " + table + " WHERE customer_id = $1 AND region = $2",
                                        write
                                                ? List.of(String.valueOf(random.nextInt(1_000_000)))
                                                : List.of(String.valueOf(random.nextInt(1_000_000)), word(random)),
                                        write ? "DELETE 1" : "SELECT 20",
                                        write ? 1L : 20L,
                                        800L,
                                        null,
                                        null));
                    }
                    end(r, id);
                }
            }
        }
    }

    /** A command; every shell session's first line names its own directory, found by the rare queries. */
    private static String command(Random random, int session, int e) {
        if (e == 0) {
            return String.format(Locale.ROOT, "rm -rf /var/lib/app-%06d/cache", session);
        }
        return COMMANDS[random.nextInt(COMMANDS.length)] + word(random) + " --since host-" + random.nextInt(1000);
    }

    /** The line typed with a slip in its middle, corrected with backspaces. */
    private static String slip(String line) {
        int at = line.length() / 2;
        return line.substring(0, at) + "xz\u007f\u007f" + line.substring(at) + "\r";
    }

    private static String output(Random random) {
        return String.format(
                Locale.ROOT,
                "%s[%d]: %s request from host-%d took %d ms (status %d)",
                word(random),
                random.nextInt(65_000),
                word(random),
                random.nextInt(1000),
                random.nextInt(5000),
                random.nextBoolean() ? 200 : 503);
    }

    private static String word(Random random) {
        return WORDS[random.nextInt(WORDS.length)];
    }

    /**
     * Event recorded to searchable: a line typed into a live shell session of the corpus's first bastion, until the
     * search API finds it; baseline: one entry posted straight to the broker until the API finds it. Interleaved,
     * while the corpus is written.
     */
    private void probe(
            SystemStack stack,
            Corpus corpus,
            Recordings recordings,
            BrokerClient bastion,
            String dave,
            List<Double> fresh,
            List<Double> direct)
            throws Exception {
        UUID id = UUID.randomUUID();
        SessionRecording shell = corpus.open(recordings, id, "shell", false);
        UUID other = UUID.randomUUID();
        SessionRecording posted = corpus.open(recordings, other, "exec", false);
        for (int i = 0; i < PROBES; i++) {
            String marker = "probe-" + UUID.randomUUID();
            long t0 = System.nanoTime();
            shell.terminal().input(("echo " + marker + "\r").getBytes(StandardCharsets.UTF_8));
            fresh.add(awaitFound(stack, dave, marker, t0));
            String straight = "direct-" + UUID.randomUUID();
            t0 = System.nanoTime();
            bastion.post(
                    "/internal/v1/search/entries",
                    Map.of(
                            "entries",
                            List.of(Map.of(
                                    "session",
                                    other.toString(),
                                    "offsetMicros",
                                    1,
                                    "kind",
                                    "command",
                                    "text",
                                    "echo " + straight))));
            direct.add(awaitFound(stack, dave, straight, t0));
            Thread.sleep(250);
        }
        corpus.end(shell, id);
        corpus.end(posted, other);
    }

    private double awaitFound(SystemStack stack, String dave, String marker, long t0) throws Exception {
        for (int i = 0; i < 3000; i++) {
            if (search(stack, dave, marker).path("count").asInt() > 0) {
                return (System.nanoTime() - t0) / 1e6;
            }
            Thread.sleep(20);
        }
        throw new AssertionError(marker + " never became searchable");
    }

    private JsonNode search(SystemStack stack, String token, String q) throws Exception {
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(URI.create(stack.broker.url() + "/api/v1/search?q="
                                + URLEncoder.encode(q, StandardCharsets.UTF_8)))
                        .header("Authorization", "Bearer " + token)
                        .timeout(Duration.ofSeconds(60))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new AssertionError("search " + q + ": " + r.statusCode() + " " + r.body());
        }
        return JSON.readTree(r.body());
    }

    private static void awaitDrained(List<IndexFeed> feeds) throws InterruptedException {
        for (int i = 0; i < 36_000; i++) {
            boolean idle = true;
            for (IndexFeed f : feeds) {
                f.tick(); // what the sessions left, sent now
                idle &= f.backlog() == 0;
            }
            if (idle) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the index feeds never drained");
    }

    /** Rare (one session), medium (a host, about 0.1 % of entries) and common (a word in 1 of 15 lines) queries. */
    private static List<String> queries(Random random) {
        List<String> q = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            switch (i % 5) {
                case 0, 1 ->
                    q.add(String.format(Locale.ROOT, "app-%06d/", random.nextInt(Math.max(1, SESSIONS / 4)) * 4));
                case 2, 3 -> q.add("host-" + random.nextInt(1000) + " took");
                default -> q.add(WORDS[random.nextInt(WORDS.length)]);
            }
        }
        return q;
    }

    /** The search's own SQL over JDBC, with the trigram index, or as a plain scan (the index switched off). */
    private static List<Double> sql(Connection db, List<String> queries, boolean plainScan, boolean unused)
            throws Exception {
        List<Double> ms = new ArrayList<>();
        try (Statement s = db.createStatement()) {
            s.execute("set enable_bitmapscan = " + (plainScan ? "off" : "on"));
            s.execute("set enable_indexscan = on");
        }
        for (String q : queries) {
            long t0 = System.nanoTime();
            try (PreparedStatement p = db.prepareStatement("select id, text from search_entry where text ilike ?"
                    + " escape '\\' order by at desc, id desc limit 50")) {
                p.setString(1, "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%");
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        r.getString(2);
                    }
                }
            }
            ms.add((System.nanoTime() - t0) / 1e6);
        }
        try (Statement s = db.createStatement()) {
            s.execute("reset enable_bitmapscan");
        }
        return ms;
    }

    /** The same queries as full-text phrase searches; counts those whose top hits differ from the substring search. */
    private static List<Double> fts(Connection db, List<String> queries, int[] missed) throws Exception {
        List<Double> ms = new ArrayList<>();
        for (String q : queries) {
            long t0 = System.nanoTime();
            long found = 0;
            try (PreparedStatement p =
                    db.prepareStatement("select id from search_entry where to_tsvector('simple', text)"
                            + " @@ phraseto_tsquery('simple', ?) order by at desc, id desc limit 50")) {
                p.setString(1, q);
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        found++;
                    }
                }
            }
            ms.add((System.nanoTime() - t0) / 1e6);
            try (PreparedStatement p = db.prepareStatement(
                    "select count(*) from (select 1 from search_entry" + " where text ilike ? limit 50) x")) {
                p.setString(1, "%" + q + "%");
                try (ResultSet r = p.executeQuery()) {
                    r.next();
                    if (r.getLong(1) != found) {
                        missed[0]++;
                    }
                }
            }
        }
        return ms;
    }

    private String grant(SystemStack stack, String target, String login) throws Exception {
        String id = stack.api(
                        "POST",
                        "/api/v1/requests",
                        stack.keycloak.accessToken("alice"),
                        Map.of("target", target, "login", login, "durationMinutes", 240, "reason", "search benchmark"),
                        201)
                .get("id")
                .asText();
        stack.api("POST", "/api/v1/requests/" + id + "/approve", stack.keycloak.accessToken("bob"), Map.of(), 200);
        return id;
    }

    private static long single(Connection db, String sql) throws Exception {
        try (Statement s = db.createStatement();
                ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getLong(1);
        }
    }

    private static long directorySize(Path dir) throws Exception {
        try (var files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile)
                    .mapToLong(p -> p.toFile().length())
                    .sum();
        }
    }

    private record Result(
            long rows,
            long sent,
            long dropped,
            double buildSeconds,
            double drainSeconds,
            long tableBytes,
            long trgmBytes,
            long recordingBytes,
            List<Double> api,
            List<Double> trgm,
            List<Double> scan,
            List<Double> fts,
            double ftsBuild,
            long ftsBytes,
            int ftsMissed,
            int sampled,
            List<Double> fresh,
            List<Double> direct,
            double verifySeconds,
            long unchecked,
            String plans) {}

    private void report(Result r) throws Exception {
        double apiP95 = percentile(r.api(), 95);
        double scanP95 = percentile(r.scan(), 95);
        double freshP99 = percentile(r.fresh(), 99);
        double directP99 = percentile(r.direct(), 99);
        double gib = r.recordingBytes() / (double) (1L << 30);
        double indexPerGib = r.tableBytes() / (double) (1L << 20) / gib;
        StringBuilder md = new StringBuilder("# Search\n\n")
                .append(
                        "A corpus written through the real recording path (the bastion's recorder, signed chunks on disk)\n")
                .append(
                        "and indexed by the real indexer (the bastion's index feed over HTTP into a broker process, pg_trgm\n")
                .append(
                        "in PostgreSQL). The sessions' bytes and events are generated in-process and handed to the recorder\n")
                .append(
                        "as the bastion's channels do; SSH and the PostgreSQL wire protocol are not in this path. Each\n")
                .append(
                        "session is registered and ended through the bastions' internal API. Details: `SearchBenchmark`.\n\n")
                .append(String.format(
                        Locale.ROOT, "%d cores: %s.%n%n", Runtime.getRuntime().availableProcessors(), machine()))
                .append("| corpus | |\n| --- | ---: |\n")
                .append(String.format(
                        Locale.ROOT, "| sessions (shell, exec, SFTP, psql: a quarter each) | %d |%n", SESSIONS))
                .append(String.format(
                        Locale.ROOT, "| index entries | %d (sent %d, dropped %d) |%n", r.rows(), r.sent(), r.dropped()))
                .append(String.format(
                        Locale.ROOT,
                        "| recordings on disk | %.2f GiB (%d MiB raw terminal bytes) |%n",
                        gib,
                        rawBytes.get() >> 20))
                .append(String.format(
                        Locale.ROOT,
                        "| written and indexed in | %.0f s (last %.0f s: the feeds draining) |%n",
                        r.buildSeconds(),
                        r.drainSeconds()))
                .append(String.format(
                        Locale.ROOT,
                        "| index table with its indexes | %d MiB (trigram index %d MiB) |%n",
                        r.tableBytes() >> 20,
                        r.trgmBytes() >> 20))
                .append(String.format(Locale.ROOT, "| index size per GiB of recordings | %.0f MiB |%n", indexPerGib))
                .append(String.format(
                        Locale.ROOT,
                        "| recordings still unverified after the corpus was indexed | %d"
                                + " (waited %.0f s for the background check) |%n%n",
                        r.unchecked(),
                        r.verifySeconds()))
                .append(
                        "Queries: 100 through `GET /api/v1/search` as an auditor (40 rare: one session's directory, 40\n")
                .append(
                        "medium: a host and a word, 20 common: one word), newest 50 hits each, after 10 warm-up queries.\n")
                .append(
                        "The SQL rows run every fifth of them over JDBC, without HTTP, authorization, audit or verification.\n\n")
                .append("| search | p50 ms | p95 ms | max ms |\n| --- | ---: | ---: | ---: |\n")
                .append(row("API, pg_trgm index", r.api()))
                .append(row("SQL, pg_trgm index", r.trgm()))
                .append(row("SQL, plain ILIKE scan (baseline)", r.scan()))
                .append(row("SQL, full-text search (phrase, GIN on to_tsvector)", r.fts()))
                .append(String.format(
                        Locale.ROOT,
                        "%nFull-text index: built in %.0f s, %d MiB; its hits differed from the"
                                + " substring search's for %d of %d queries (it matches words, not substrings: `app-000123/` or"
                                + " `host-12 took` are not what it finds).%n%n",
                        r.ftsBuild(),
                        r.ftsBytes() >> 20,
                        r.ftsMissed(),
                        r.sampled()))
                .append("| recorded to searchable | p50 ms | p99 ms | max ms |\n| --- | ---: | ---: | ---: |\n")
                .append(row99("a typed line in a live shell session, through the feed", r.fresh()))
                .append(row99("one entry posted straight to the broker (baseline)", r.direct()))
                .append("\nPlans of the search's SQL (one query of each sort, `EXPLAIN ANALYZE`):\n\n```\n")
                .append(r.plans())
                .append("```\n");
        String out = System.getProperty("bench.output");
        if (out != null) {
            Files.writeString(Path.of(out), md.toString());
            String figures =
                    String.format(Locale.ROOT, "search p95 over %d sessions, %dM events", SESSIONS, EVENTS / 1_000_000);
            if (SESSIONS == 10_000 && EVENTS == 5_000_000L) {
                figures = "search p95 over 10000 sessions, 5M events";
            }
            new BenchmarkFigures("benchmarks/" + Path.of(out).getFileName())
                    .add(
                            figures,
                            apiP95,
                            "ms",
                            "a plain ILIKE scan of the same entries, same queries",
                            Math.max(0.1, scanP95),
                            "value<=300")
                    .add(
                            "event recorded to searchable, p99",
                            freshP99,
                            "ms",
                            "one entry posted straight to the broker to searchable",
                            Math.max(0.1, directP99),
                            "value<=5000")
                    .add(
                            "search index size per GiB of recordings",
                            indexPerGib,
                            "MiB",
                            "the recordings themselves",
                            1024,
                            "-")
                    .writeBeside(Path.of(out));
        }
        System.out.println(md);
    }

    private static String row(String name, List<Double> ms) {
        return String.format(
                Locale.ROOT,
                "| %s | %.1f | %.1f | %.1f |%n",
                name,
                percentile(ms, 50),
                percentile(ms, 95),
                Collections.max(ms));
    }

    private static String row99(String name, List<Double> ms) {
        return String.format(
                Locale.ROOT,
                "| %s | %.0f | %.0f | %.0f |%n",
                name,
                percentile(ms, 50),
                percentile(ms, 99),
                Collections.max(ms));
    }

    private static double percentile(List<Double> values, int p) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }

    private static String machine() {
        String cpu = "unknown CPU";
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                    .filter(l -> l.startsWith("model name"))
                    .findFirst()
                    .map(l -> l.substring(l.indexOf(':') + 1).trim())
                    .orElse(cpu);
        } catch (java.io.IOException ignored) {
            // keep the default
        }
        long mem = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getTotalMemorySize();
        return cpu + ", " + (mem >> 30) + " GiB RAM, Java " + System.getProperty("java.version") + ", "
                + System.getProperty("os.name");
    }
}
