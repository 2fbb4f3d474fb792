package dev.portcullis.broker;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * The benchmark's HTTP client: one kept-alive HTTP/1.1 connection per client thread, requests written and responses read
 * by hand (status line, Content-Length or chunked body). The clients share the measured cores with the broker, Keycloak and
 * PostgreSQL, and the JDK's HttpClient spent an eighth of the broker JVM's CPU on them. Loopback only, bounded reads.
 */
final class BenchHttp implements AutoCloseable {

    record Response(int status, String body) {}

    private static final int MAX_BODY = 1 << 20;

    private final int port;
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    BenchHttp(int port) throws IOException {
        this.port = port;
        this.socket = new Socket(InetAddress.getLoopbackAddress(), port);
        socket.setTcpNoDelay(true);
        socket.setSoTimeout(60_000);
        this.in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
        this.out = socket.getOutputStream();
    }

    Response get(String path, String token) throws IOException {
        return send("GET", path, token, null);
    }

    Response post(String path, String token, String json) throws IOException {
        return send("POST", path, token, json);
    }

    private Response send(String method, String path, String token, String json) throws IOException {
        byte[] body = json == null ? new byte[0] : json.getBytes(StandardCharsets.UTF_8);
        StringBuilder head = new StringBuilder(256 + token.length())
                .append(method)
                .append(' ')
                .append(path)
                .append(" HTTP/1.1\r\n")
                .append("Host: 127.0.0.1:")
                .append(port)
                .append("\r\nAuthorization: Bearer ")
                .append(token)
                .append("\r\n");
        if (json != null) {
            head.append("Content-Type: application/json\r\nContent-Length: ")
                    .append(body.length)
                    .append("\r\n");
        }
        head.append("\r\n");
        out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        out.write(body);
        out.flush();
        return read();
    }

    private Response read() throws IOException {
        String status = line();
        if (!status.startsWith("HTTP/1.1 ") || status.length() < 12) {
            throw new IOException("not an HTTP/1.1 status line: " + status);
        }
        int code = Integer.parseInt(status.substring(9, 12));
        int length = -1;
        boolean chunked = false;
        for (String header = line(); !header.isEmpty(); header = line()) {
            int colon = header.indexOf(':');
            String name = colon < 0 ? header : header.substring(0, colon).trim();
            String value = colon < 0 ? "" : header.substring(colon + 1).trim();
            if (name.equalsIgnoreCase("content-length")) {
                length = Integer.parseInt(value);
            } else if (name.equalsIgnoreCase("transfer-encoding") && value.equalsIgnoreCase("chunked")) {
                chunked = true;
            }
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream(Math.max(length, 256));
        if (chunked) {
            for (int size = Integer.parseInt(line().split(";")[0].trim(), 16);
                    size > 0;
                    size = Integer.parseInt(line().split(";")[0].trim(), 16)) {
                copy(size, body);
                line(); // the CRLF after each chunk
            }
            while (!line().isEmpty()) {
                // trailers
            }
        } else if (length > 0) {
            copy(length, body);
        }
        return new Response(code, body.toString(StandardCharsets.UTF_8));
    }

    private void copy(int size, ByteArrayOutputStream body) throws IOException {
        if (body.size() + size > MAX_BODY) {
            throw new IOException("response larger than " + MAX_BODY + " bytes");
        }
        byte[] chunk = in.readNBytes(size);
        if (chunk.length != size) {
            throw new IOException("connection closed in the middle of a response");
        }
        body.write(chunk);
    }

    private String line() throws IOException {
        StringBuilder line = new StringBuilder(64);
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                throw new IOException("connection closed in the middle of a response");
            }
            if (line.length() > 8192) {
                throw new IOException("header line longer than 8 KiB");
            }
            if (b != '\r') {
                line.append((char) b);
            }
        }
        return line.toString();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
