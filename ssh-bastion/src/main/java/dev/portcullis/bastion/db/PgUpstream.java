package dev.portcullis.bastion.db;

import com.ongres.scram.client.ScramClient;
import dev.portcullis.bastion.upstream.UpstreamTls;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * The proxy's own connection to the real PostgreSQL server: the startup with the role and database the grant names,
 * the login with the password from the bastion's inventory, and what the server says up to its first ReadyForQuery.
 * The login is SCRAM-SHA-256 and nothing else: a server that asks for the password in clear or as MD5, that says
 * AuthenticationOk before the exchange is finished, or whose final SCRAM message does not prove it knows the password,
 * is refused before the proxy sends anything that would let it learn or replay the password.
 */
final class PgUpstream implements AutoCloseable {

    /** Refused by the server, with its SQLSTATE and message, to pass on to the client. */
    static final class ServerRefused extends IOException {
        final String sqlState;

        ServerRefused(String sqlState, String message) {
            super(message);
            this.sqlState = sqlState;
        }
    }

    static final int MAX_SERVER_HANDSHAKE_MESSAGE = 1024 * 1024;

    final Socket socket;
    final PgStreams.In in;
    final PgStreams.Out out;
    /**
     * The server's reported parameters (ParameterStatus) as they stand now, to replay to each client that gets this
     * connection: updated at start-up, by the server-side pump while a client uses it, and by the pool's reset.
     */
    final Map<String, String> parameters = new LinkedHashMap<>();

    int backendPid;
    int backendSecret;
    final InetSocketAddress address;
    /** When the proxy logged in, for the pool's lifetime bound. */
    final long createdNanos = System.nanoTime();

    private PgUpstream(Socket socket, InetSocketAddress address) throws IOException {
        this.socket = socket;
        this.address = address;
        this.in = new PgStreams.In(socket.getInputStream(), 64 * 1024);
        this.out = new PgStreams.Out(socket.getOutputStream(), 64 * 1024);
    }

    /**
     * @param created told the socket before anything is sent, so that whoever bounds the whole start-up can close it
     *                (no read timeout is set here: it would cost every later read a poll)
     */
    static PgUpstream connect(
            String host,
            int port,
            UpstreamTls tls,
            Map<String, String> startup,
            String password,
            Duration timeout,
            Consumer<Socket> created)
            throws IOException {
        InetSocketAddress address = new InetSocketAddress(host, port);
        Socket socket = new Socket();
        PgUpstream up = null;
        try {
            created.accept(socket);
            socket.connect(address, (int) timeout.toMillis());
            socket.setTcpNoDelay(true);
            up = new PgUpstream(tls.enabled() ? startTls(socket, host, port, tls) : socket, address);
            up.out.write(PgOutput.startup(startup));
            up.out.flush();
            up.login(password);
            up.untilReady();
            return up;
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /** The server asked for something other than a finished SCRAM-SHA-256 exchange; the message is for an operator. */
    static final class UnsafeLogin extends IOException {
        UnsafeLogin(String message) {
            super(message);
        }
    }

    private void login(String password) throws IOException {
        ScramClient scram = null;
        boolean serverProven = false;
        while (true) {
            PgMessage m = read();
            switch (m.typeChar()) {
                case PgMessageType.ERROR_RESPONSE -> throw refused(m);
                case PgMessageType.AUTHENTICATION -> {
                    PgMessage.Reader r = m.reader();
                    int code = r.int32();
                    switch (code) {
                        case 0 -> { // AuthenticationOk: only after the server has proven that it knows the password
                            if (!serverProven) {
                                throw new UnsafeLogin("the server said the login succeeded without finishing"
                                        + " SCRAM-SHA-256; a server that does not check the password is not trusted");
                            }
                            return;
                        }
                        case 3 ->
                            throw new UnsafeLogin("the server asks for the password in clear text; the proxy"
                                    + " only logs in with SCRAM-SHA-256 (set password_encryption and pg_hba.conf to"
                                    + " scram-sha-256)");
                        case 5 ->
                            throw new UnsafeLogin("the server asks for an MD5 password; the proxy only logs in"
                                    + " with SCRAM-SHA-256 (set password_encryption and pg_hba.conf to scram-sha-256)");
                        case 10 -> { // AuthenticationSASL: the mechanisms
                            if (scram != null) {
                                throw new PgProtocolException("the server started a second SASL exchange");
                            }
                            List<String> mechanisms = new ArrayList<>();
                            for (String mech = r.cstring(); !mech.isEmpty(); mech = r.cstring()) {
                                mechanisms.add(mech);
                            }
                            if (!mechanisms.contains("SCRAM-SHA-256")) {
                                throw new UnsafeLogin("the server offers no SCRAM-SHA-256, only " + mechanisms);
                            }
                            scram = ScramClient.builder()
                                    .advertisedMechanisms(List.of("SCRAM-SHA-256"))
                                    .username("*")
                                    .password(password.toCharArray())
                                    .build();
                            byte[] first = scram.clientFirstMessage().toString().getBytes(StandardCharsets.UTF_8);
                            send(new PgOutput.Builder(PgMessageType.PASSWORD)
                                    .cstring("SCRAM-SHA-256")
                                    .int32(first.length)
                                    .raw(first)
                                    .bytes());
                        }
                        case 11 -> { // SASLContinue
                            if (scram == null) {
                                throw new PgProtocolException(
                                        "the server continued a SASL exchange that never started");
                            }
                            try {
                                scram.serverFirstMessage(new String(r.bytes(r.remaining()), StandardCharsets.UTF_8));
                            } catch (Exception e) {
                                throw new UnsafeLogin("SCRAM with the server failed: " + e.getMessage());
                            }
                            send(PgOutput.password(
                                    scram.clientFinalMessage().toString().getBytes(StandardCharsets.UTF_8), false));
                        }
                        case 12 -> { // SASLFinal: the server proves it knew the password too
                            if (scram == null || serverProven) {
                                throw new PgProtocolException(
                                        "the server finished a SASL exchange that was not" + " under way");
                            }
                            try {
                                scram.serverFinalMessage(new String(r.bytes(r.remaining()), StandardCharsets.UTF_8));
                            } catch (Exception e) {
                                throw new UnsafeLogin(
                                        "the server's SCRAM signature is wrong: it does not know" + " the password");
                            }
                            serverProven = true;
                        }
                        default ->
                            throw new UnsafeLogin(
                                    "the server asks for authentication method " + code
                                            + ", which the proxy does not speak (configure scram-sha-256 for the proxy's roles)");
                    }
                }
                default ->
                    throw new PgProtocolException(
                            "unexpected message " + PgFrontend.describe(m.type()) + " while logging in");
            }
        }
    }

    private void untilReady() throws IOException {
        while (true) {
            PgMessage m = read();
            switch (m.typeChar()) {
                case PgMessageType.PARAMETER_STATUS -> {
                    parameterStatus(m);
                }
                case PgMessageType.BACKEND_KEY_DATA -> {
                    PgMessage.Reader r = m.reader();
                    backendPid = r.int32();
                    backendSecret = r.int32();
                }
                case PgMessageType.NOTICE_RESPONSE -> {
                    // notices during start-up are the server's business; they are not passed on
                }
                case PgMessageType.ERROR_RESPONSE -> throw refused(m);
                case PgMessageType.READY_FOR_QUERY -> {
                    return;
                }
                default ->
                    throw new PgProtocolException(
                            "unexpected message " + PgFrontend.describe(m.type()) + " during start-up");
            }
        }
    }

    /**
     * Runs one statement of the proxy's own (simple query protocol) before the client's session starts, and returns
     * its rows as text; an error is a {@link ServerRefused}. Only for short catalog queries: rows are held in memory.
     */
    List<List<String>> query(String sql) throws IOException {
        send(new PgOutput.Builder(PgMessageType.QUERY).cstring(sql).bytes());
        return answer();
    }

    /** The rows of one simple query's answer, up to its ReadyForQuery, which must find the server idle. */
    private List<List<String>> answer() throws IOException {
        List<List<String>> rows = new ArrayList<>();
        ServerRefused error = null;
        while (true) {
            PgMessage m = read();
            switch (m.typeChar()) {
                case PgMessageType.ROW_DESCRIPTION,
                        PgMessageType.COMMAND_COMPLETE,
                        PgMessageType.NOTICE_RESPONSE,
                        PgMessageType.EMPTY_QUERY_RESPONSE,
                        PgMessageType.NOTIFICATION_RESPONSE -> {
                    // the shape of the rows is known to the caller; notices and notifications are not its business
                }
                case PgMessageType.PARAMETER_STATUS -> parameterStatus(m);
                case PgMessageType.DATA_ROW -> {
                    PgMessage.Reader r = m.reader();
                    int columns = r.int16();
                    List<String> row = new ArrayList<>(columns);
                    for (int i = 0; i < columns; i++) {
                        int len = r.int32();
                        row.add(len < 0 ? null : new String(r.bytes(len), StandardCharsets.UTF_8));
                    }
                    rows.add(row);
                }
                case PgMessageType.ERROR_RESPONSE -> error = refused(m);
                case PgMessageType.READY_FOR_QUERY -> {
                    if (error != null) {
                        throw error;
                    }
                    PgMessage.Reader r = m.reader();
                    if (r.int8() != PgMessageType.IDLE) {
                        throw new PgProtocolException("the server is still in a transaction after the proxy's query");
                    }
                    return rows;
                }
                default ->
                    throw new PgProtocolException(
                            "unexpected message " + PgFrontend.describe(m.type()) + " in a query's answer");
            }
        }
    }

    /** Several statements of the proxy's own, sent at once (one round trip), each as its own simple query. */
    List<List<List<String>>> queries(List<String> statements) throws IOException {
        sendQueries(statements);
        return answers(statements.size());
    }

    /** Sends simple queries of the proxy's own without waiting for their answers; {@link #answers} reads them. */
    void sendQueries(List<String> statements) throws IOException {
        for (String sql : statements) {
            out.write(new PgOutput.Builder(PgMessageType.QUERY).cstring(sql).bytes());
        }
        out.flush();
    }

    /** The answers to the last {@code n} queries sent, each a list of rows; the first error once all are read. */
    List<List<List<String>>> answers(int n) throws IOException {
        List<List<List<String>>> answers = new ArrayList<>();
        ServerRefused error = null;
        for (int i = 0; i < n; i++) {
            try {
                answers.add(answer());
            } catch (ServerRefused e) {
                error = error == null ? e : error; // the later answers are still read, so the stream stays in step
            }
        }
        if (error != null) {
            throw error;
        }
        return answers;
    }

    /** Notes a ParameterStatus the server sent. */
    void parameterStatus(PgMessage m) throws PgProtocolException {
        PgBackend.ParameterStatus status = PgBackend.parameterStatus(m);
        parameters.put(status.name(), status.value());
    }

    /** The ParameterStatus messages a client gets at its start, one per parameter the server reports. */
    List<byte[]> parameterStatusMessages() {
        List<byte[]> out = new ArrayList<>(parameters.size());
        parameters.forEach((name, value) -> out.add(PgOutput.parameterStatus(name, value)));
        return out;
    }

    private static ServerRefused refused(PgMessage m) throws PgProtocolException {
        Map<Character, String> fields = PgBackend.errorFields(m);
        return new ServerRefused(
                fields.getOrDefault(PgMessageType.FIELD_SQLSTATE, SqlState.INTERNAL_ERROR.code()),
                fields.getOrDefault(PgMessageType.FIELD_MESSAGE, "the server refused the connection"));
    }

    /**
     * SSLRequest, then the handshake, checking the server's certificate and that it names {@code host}. Exactly one
     * byte is read before the handshake, so nothing the server (or a man in the middle) sends in plain text after its
     * 'S' can be taken for part of the encrypted stream (CVE-2021-23222).
     */
    private static Socket startTls(Socket socket, String host, int port, UpstreamTls tls) throws IOException {
        OutputStream raw = socket.getOutputStream();
        raw.write(PgOutput.sslRequest());
        raw.flush();
        int answer = socket.getInputStream().read();
        if (answer == PgMessageType.ENCRYPTION_REFUSED) {
            throw new IOException(
                    "the server does not offer TLS, and the bastion's inventory requires it (" + tls + ")");
        }
        if (answer != PgMessageType.ENCRYPTION_ACCEPTED) {
            throw new IOException(
                    answer < 0
                            ? "the server closed the connection when asked for TLS"
                            : "the server answered the TLS request with an unexpected byte " + answer);
        }
        SSLSocket secure = (SSLSocket) tls.context().getSocketFactory().createSocket(socket, host, port, true);
        SSLParameters parameters = secure.getSSLParameters();
        parameters.setEndpointIdentificationAlgorithm("HTTPS"); // the certificate must name the host the proxy dialled
        secure.setSSLParameters(parameters);
        try {
            secure.startHandshake();
        } catch (IOException e) {
            throw new IOException("TLS to the server failed: " + why(e, host) + " (" + tls + ")", e);
        }
        return secure;
    }

    /** What went wrong in a handshake, in words for an operator rather than the JDK's exception chain. */
    private static String why(IOException e, String host) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String message = String.valueOf(t.getMessage());
            if (t instanceof java.security.cert.CertPathValidatorException || message.contains("PKIX path")) {
                return "its certificate is not signed by a CA the inventory trusts";
            }
            if (t instanceof java.security.cert.CertificateException
                    && (message.contains("No subject alternative") || message.contains("No name matching"))) {
                return "its certificate does not name " + host + ", the address the proxy dialled";
            }
        }
        String first = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
        return first.replaceAll("\\b[a-z]+(\\.[a-z0-9]+)+\\.[A-Z][A-Za-z]*Exception: ", "");
    }

    private PgMessage read() throws IOException {
        int type = in.read();
        if (type < 0) {
            throw new EOFException("the server closed the connection");
        }
        byte[] len = in.readNBytes(4);
        if (len.length != 4) {
            throw new EOFException("the server closed the connection");
        }
        int length = ((len[0] & 0xff) << 24) | ((len[1] & 0xff) << 16) | ((len[2] & 0xff) << 8) | (len[3] & 0xff);
        if (length < 4 || length - 4 > MAX_SERVER_HANDSHAKE_MESSAGE) {
            throw new PgProtocolException("the server sent a message of invalid length " + length);
        }
        byte[] body = in.readNBytes(length - 4);
        if (body.length != length - 4) {
            throw new EOFException("the server closed the connection");
        }
        return new PgMessage((byte) type, body);
    }

    private void send(byte[] message) throws IOException {
        out.write(message);
        out.flush();
    }

    static byte[] frame(PgMessage m) {
        byte[] b = new byte[5 + m.body().length];
        b[0] = m.type();
        int len = 4 + m.body().length;
        b[1] = (byte) (len >>> 24);
        b[2] = (byte) (len >>> 16);
        b[3] = (byte) (len >>> 8);
        b[4] = (byte) len;
        System.arraycopy(m.body(), 0, b, 5, m.body().length);
        return b;
    }

    /** Sends a CancelRequest for this server session over a connection of its own, as the protocol wants. */
    static void cancel(InetSocketAddress address, int pid, int secret, Duration timeout) {
        try (Socket s = new Socket()) {
            s.connect(address, (int) timeout.toMillis());
            s.getOutputStream().write(PgOutput.cancelRequest(pid, secret));
            s.getOutputStream().flush();
            s.setSoTimeout((int) timeout.toMillis());
            s.getInputStream().read(); // the server closes the connection when done
        } catch (IOException e) {
            // a cancel is best effort, as in PostgreSQL itself
        }
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // closing
        }
    }
}
