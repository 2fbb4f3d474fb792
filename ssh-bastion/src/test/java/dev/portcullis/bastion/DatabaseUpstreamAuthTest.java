package dev.portcullis.bastion;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.local.Commands.Result;
import dev.portcullis.local.LocalPostgres;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The proxy logs in to a database server with a role's real password; whoever poses as that server (the inventory
 * pointed at the wrong host, or someone on the path) must learn nothing from it. A malicious server on loopback asks
 * for the password in clear, as MD5, says the login succeeded without SCRAM, or fakes SCRAM's final proof; each time
 * the proxy sends no password and refuses the session in one line.
 */
class DatabaseUpstreamAuthTest {

    @TempDir
    static Path dir;

    static ServerSocket fake;
    static DatabaseFixture f;

    @BeforeAll
    static void start() throws IOException {
        fake = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
        f = new DatabaseFixture(
                dir, true, LocalPostgres.shared(), null, "127.0.0.1:" + fake.getLocalPort(), List.of(), o -> o);
    }

    @AfterAll
    static void stop() throws IOException {
        if (f != null) {
            f.close();
        }
        fake.close();
    }

    @Test
    void aServerAskingForTheCleartextPasswordGetsNothing() throws Exception {
        String sent = attack(out -> message(out, 'R', int32(3)), null);
        assertThat(sent).as("no password message at all").doesNotContain("p\0");
    }

    @Test
    void aServerAskingForAnMd5PasswordGetsNothing() throws Exception {
        String sent = attack(out -> message(out, 'R', concat(int32(5), new byte[] {1, 2, 3, 4})), null);
        assertThat(sent).as("no password message at all").doesNotContain("p\0");
    }

    @Test
    void aServerSayingOkWithoutScramIsRefused() throws Exception {
        attack(DatabaseUpstreamAuthTest::loginOk, null);
    }

    @Test
    void aServerSayingOkInTheMiddleOfScramIsRefused() throws Exception {
        attack(DatabaseUpstreamAuthTest::askForScram, (in, out) -> {
            readMessage(in); // the client-first message
            loginOk(out);
        });
    }

    @Test
    void aServerWhoseScramProofIsWrongIsRefused() throws Exception {
        attack(DatabaseUpstreamAuthTest::askForScram, (in, out) -> {
            String first = new String(readMessage(in), StandardCharsets.UTF_8);
            String nonce = first.substring(first.indexOf("r=") + 2);
            byte[] salt = new byte[16];
            new SecureRandom().nextBytes(salt);
            String serverFirst =
                    "r=" + nonce + "fakeserver,s=" + Base64.getEncoder().encodeToString(salt) + ",i=4096";
            message(out, 'R', concat(int32(11), serverFirst.getBytes(StandardCharsets.US_ASCII)));
            readMessage(in); // the client's proof: useless without the salted password, which the fake server lacks
            byte[] signature = new byte[32];
            new SecureRandom().nextBytes(signature);
            String serverFinal = "v=" + Base64.getEncoder().encodeToString(signature);
            message(out, 'R', concat(int32(12), serverFinal.getBytes(StandardCharsets.US_ASCII)));
            loginOk(out);
        });
    }

    @Test
    void theServerAddressComesFromTheInventoryOnly() throws Exception {
        // the policy's address for the target is the real server's; the inventory's (the fake server) is the one used
        aServerAskingForTheCleartextPasswordGetsNothing();
        // and an inventory entry without an address does not load: the policy may not choose where the password goes
        Path file = dir.resolve("no-address.yaml");
        java.nio.file.Files.writeString(
                file, "databases:\n  prod-db:\n    roles:\n      r: {passwordFile: " + file + "}\n");
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> dev.portcullis.bastion.upstream.TargetInventory.load(file))
                .hasMessageContaining("databases.prod-db: address is required");
    }

    interface Step {
        void run(DataOutputStream out) throws IOException;
    }

    interface Exchange {
        void run(DataInputStream in, DataOutputStream out) throws IOException;
    }

    /**
     * psql logs in through the proxy while the fake server plays its part; returns every byte the proxy sent the fake
     * server after its startup message, and checks the refusal the client saw.
     */
    private static String attack(Step first, Exchange then) throws Exception {
        f.grant("alice", DatabaseFixture.WRITE_ROLE, Duration.ofMinutes(10));
        CompletableFuture<byte[]> received = CompletableFuture.supplyAsync(() -> {
            try (Socket s = fake.accept()) {
                s.setSoTimeout(10_000);
                DataInputStream in = new DataInputStream(s.getInputStream());
                DataOutputStream out = new DataOutputStream(s.getOutputStream());
                in.readNBytes(in.readInt() - 4); // the startup message
                try {
                    first.run(out);
                    out.flush();
                    if (then != null) {
                        then.run(in, out);
                        out.flush();
                    }
                } catch (java.net.SocketException e) {
                    // the proxy hung up while the fake server was still talking, as it should: what it sent counts
                }
                ByteArrayOutputStream rest = new ByteArrayOutputStream();
                try {
                    in.transferTo(rest);
                } catch (SocketTimeoutException | java.net.SocketException e) {
                    // the proxy should have closed by now; what came is what counts
                }
                return rest.toByteArray();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        Result r = f.psql(DatabaseFixture.WRITE_ROLE, f.credential("alice"), "require", "select 1;");
        String sent = new String(received.get(30, TimeUnit.SECONDS), StandardCharsets.ISO_8859_1);
        assertThat(r.exit()).as(r.err()).isEqualTo(2);
        assertThat(r.err())
                .contains("FATAL:  portcullis: the server of app_admin@prod-db is not trusted,"
                        + " so the proxy did not log in: ");
        assertThat(r.err().strip().lines()).as("one line").hasSize(1);
        assertThat(sent)
                .doesNotContain(f.rolePasswords.get(DatabaseFixture.WRITE_ROLE))
                .doesNotContain("select 1");
        return sent;
    }

    private static void askForScram(DataOutputStream out) throws IOException {
        message(out, 'R', concat(int32(10), "SCRAM-SHA-256\0\0".getBytes(StandardCharsets.US_ASCII)));
    }

    private static void loginOk(DataOutputStream out) throws IOException {
        message(out, 'R', int32(0));
        message(out, 'K', concat(int32(4242), int32(1)));
        message(out, 'Z', new byte[] {'I'});
        out.flush();
    }

    private static byte[] readMessage(DataInputStream in) throws IOException {
        int type = in.read();
        if (type != 'p') {
            throw new IOException("expected a password message, got " + type);
        }
        byte[] body = in.readNBytes(in.readInt() - 4);
        // SASLInitialResponse: mechanism, then a length and the data; SASLResponse: the data alone
        String text = new String(body, StandardCharsets.UTF_8);
        int mechanismEnd = text.startsWith("SCRAM-SHA-256\0") ? "SCRAM-SHA-256\0".length() + 4 : 0;
        return java.util.Arrays.copyOfRange(body, mechanismEnd, body.length);
    }

    private static void message(DataOutputStream out, char type, byte[] body) throws IOException {
        out.write(type);
        out.writeInt(body.length + 4);
        out.write(body);
    }

    private static byte[] int32(int v) {
        return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
