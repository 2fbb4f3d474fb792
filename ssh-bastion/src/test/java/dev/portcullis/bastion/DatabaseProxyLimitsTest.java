package dev.portcullis.bastion;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.bastion.db.DatabaseProxy;
import dev.portcullis.local.Commands.Result;
import dev.portcullis.local.LocalPostgres;
import dev.portcullis.recording.event.QueryEvent;
import dev.portcullis.recording.read.RecordingReader;
import dev.portcullis.workflow.port.SessionIndex;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What one client can take from the proxy: slots before it has logged in, and memory once it has. Neither may keep
 * anybody else out.
 */
class DatabaseProxyLimitsTest {

    static final int MAX_CONNECTIONS = 40;
    static final int PER_SOURCE = 8;

    @TempDir
    static Path dir;

    static DatabaseFixture f;

    @BeforeAll
    static void start() throws IOException {
        // a long start-up timeout, so that idle connections would hold their slots for the whole test if they could
        f = new DatabaseFixture(
                dir,
                true,
                LocalPostgres.shared(),
                null,
                null,
                List.of(),
                o -> new DatabaseProxy.Options(
                        o.host(),
                        o.port(),
                        o.tls(),
                        o.tlsRequired(),
                        MAX_CONNECTIONS,
                        o.maxMessage(),
                        Duration.ofSeconds(60),
                        PER_SOURCE,
                        Duration.ofSeconds(60)));
    }

    @AfterAll
    static void stop() {
        if (f != null) {
            f.close();
        }
    }

    @Test
    void idleConnectionsFromOneSourceDoNotKeepOthersOut() throws Exception {
        f.grant("alice", DatabaseFixture.WRITE_ROLE, Duration.ofMinutes(10));
        List<Socket> idle = new ArrayList<>();
        try {
            // more idle connections than the proxy has slots, all from 127.0.0.2; psql then comes from 127.0.0.1
            int refused = 0;
            for (int i = 0; i < MAX_CONNECTIONS + 10; i++) {
                Socket s = new Socket();
                s.bind(new InetSocketAddress("127.0.0.2", 0));
                s.connect(new InetSocketAddress("127.0.0.1", f.port()), 10_000);
                idle.add(s);
            }
            for (Socket s : idle.subList(PER_SOURCE, idle.size())) {
                s.setSoTimeout(10_000);
                String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
                if (answer.contains("portcullis: too many connections from your address that have not logged in yet")) {
                    refused++;
                }
            }
            assertThat(refused)
                    .as("every idle connection beyond the source's share is refused at once")
                    .isEqualTo(MAX_CONNECTIONS + 10 - PER_SOURCE);
            Result r = f.psql(DatabaseFixture.WRITE_ROLE, f.credential("alice"), "require", "select 42;");
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.out().strip()).isEqualTo("42");
        } finally {
            for (Socket s : idle) {
                s.close();
            }
        }
    }

    @Test
    void hugePreparedStatementsAreRecordedWithinABudgetAndTheProxyServesOthers() throws Exception {
        f.grant("mallory", DatabaseFixture.WRITE_ROLE, Duration.ofMinutes(10));
        f.grant("alice", DatabaseFixture.WRITE_ROLE, Duration.ofMinutes(10));
        int statements = 20;
        List<String> texts = new ArrayList<>();
        try (Raw raw = Raw.login(f.port(), DatabaseFixture.WRITE_ROLE, f.credential("mallory"))) {
            for (int i = 0; i < statements; i++) {
                // a little under the one-statement limit each, over the session's budget together
                String text = "select " + i + " /* " + "x".repeat(1_000_000) + " */";
                texts.add(text);
                raw.send('P', cstring("s" + i), cstring(text), new byte[] {0, 0});
            }
            String large = "select 'large' /* " + "y".repeat(3 * 1024 * 1024) + " */";
            texts.add(large);
            raw.send('P', cstring("s" + statements), cstring(large), new byte[] {0, 0});
            for (int i = 0; i <= statements; i++) {
                raw.send('B', cstring(""), cstring("s" + i), new byte[] {0, 0, 0, 0, 0, 0});
                raw.send('E', cstring(""), new byte[] {0, 0, 0, 0});
            }
            raw.send('S');
            raw.untilReady();
            // meanwhile, somebody else's session is served as ever
            Result other = f.psql(DatabaseFixture.WRITE_ROLE, f.credential("alice"), "require", "select 7;");
            assertThat(other.out().strip()).as(other.err()).isEqualTo("7");
        }
        SessionIndex.Opened opened = null;
        for (int i = 0; i < 100 && opened == null; i++) {
            opened = f.index.opened.stream()
                    .filter(o -> o.username().equals("mallory"))
                    .findFirst()
                    .orElse(null);
            Thread.sleep(50);
        }
        assertThat(opened).isNotNull();
        f.index.awaitClosed(opened.sessionId());
        List<QueryEvent> recorded;
        try (var s = RecordingReader.open(f.storage, opened.recordingId()).events()) {
            recorded = s.map(e -> e.event())
                    .filter(QueryEvent.class::isInstance)
                    .map(QueryEvent.class::cast)
                    .toList();
        }
        assertThat(recorded).hasSize(statements + 1);
        assertThat(recorded.get(0).query()).isEqualTo(texts.get(0));
        for (int i = 0; i <= statements; i++) {
            String q = recorded.get(i).query();
            byte[] bytes = texts.get(i).getBytes(StandardCharsets.UTF_8);
            if (!q.equals(texts.get(i))) {
                assertThat(q)
                        .as("statement " + i)
                        .startsWith("select " + (i == statements ? "'large'" : i))
                        .endsWith("... [truncated: " + bytes.length + " bytes in all, sha256 "
                                + HexFormat.of()
                                        .formatHex(MessageDigest.getInstance("SHA-256")
                                                .digest(bytes)) + "]");
            }
        }
        assertThat(recorded.get(statements - 1).query()).as("beyond the budget").hasSizeLessThan(1000);
        assertThat(recorded.get(statements).query())
                .as("beyond one statement's limit")
                .contains("[truncated: ");
    }

    private static byte[] cstring(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return java.util.Arrays.copyOf(b, b.length + 1);
    }

    /** A client speaking the protocol by hand, for what psql and pgJDBC do not send (many named statements at once). */
    static final class Raw implements AutoCloseable {
        private final SSLSocket socket;
        private final OutputStream out;
        private final DataInputStream in;

        private Raw(SSLSocket socket) throws IOException {
            this.socket = socket;
            this.out = new java.io.BufferedOutputStream(socket.getOutputStream(), 1 << 16);
            this.in = new DataInputStream(new java.io.BufferedInputStream(socket.getInputStream()));
        }

        static Raw login(int port, String role, String password) throws Exception {
            Socket plain = new Socket("127.0.0.1", port);
            plain.setSoTimeout(60_000);
            plain.getOutputStream().write(new byte[] {0, 0, 0, 8, 0x04, (byte) 0xd2, 0x16, 0x2f}); // SSLRequest
            InputStream answer = plain.getInputStream();
            if (answer.read() != 'S') {
                throw new IOException("no TLS");
            }
            SSLContext trustAll = SSLContext.getInstance("TLS");
            trustAll.init(
                    null,
                    new TrustManager[] {
                        new X509TrustManager() {
                            public void checkClientTrusted(java.security.cert.X509Certificate[] c, String a) {}

                            public void checkServerTrusted(java.security.cert.X509Certificate[] c, String a) {}

                            public java.security.cert.X509Certificate[] getAcceptedIssuers() {
                                return new java.security.cert.X509Certificate[0];
                            }
                        }
                    },
                    null);
            SSLSocket tls = (SSLSocket) trustAll.getSocketFactory().createSocket(plain, "127.0.0.1", port, true);
            tls.startHandshake();
            Raw raw = new Raw(tls);
            byte[] params = ("user\0" + role + "\0database\0" + DatabaseFixture.TARGET + "\0\0")
                    .getBytes(StandardCharsets.UTF_8);
            raw.out.write(ByteBuffer.allocate(8 + params.length)
                    .putInt(8 + params.length)
                    .putInt(196608)
                    .put(params)
                    .array());
            raw.out.flush();
            raw.expect('R');
            raw.send('p', cstring(password));
            raw.untilReady();
            return raw;
        }

        void send(char type, byte[]... parts) throws IOException {
            int length = 4;
            for (byte[] p : parts) {
                length += p.length;
            }
            out.write(type);
            out.write(ByteBuffer.allocate(4).putInt(length).array());
            for (byte[] p : parts) {
                out.write(p);
            }
            if (type == 'S' || type == 'p') {
                out.flush();
            }
        }

        private void expect(char type) throws IOException {
            int t = in.read();
            byte[] body = in.readNBytes(in.readInt() - 4);
            if (t != type) {
                throw new IOException("expected " + type + ", got " + (char) t + ": "
                        + new String(body, StandardCharsets.ISO_8859_1));
            }
        }

        void untilReady() throws IOException {
            while (true) {
                int t = in.read();
                if (t < 0) {
                    throw new IOException("the proxy closed the connection");
                }
                byte[] body = in.readNBytes(in.readInt() - 4);
                if (t == 'E') {
                    throw new IOException("error: " + new String(body, StandardCharsets.ISO_8859_1));
                }
                if (t == 'Z') {
                    return;
                }
            }
        }

        @Override
        public void close() throws IOException {
            send('X');
            out.flush();
            socket.close();
        }
    }
}
