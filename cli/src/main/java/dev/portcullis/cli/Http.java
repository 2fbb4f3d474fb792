package dev.portcullis.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The command's HTTP client: {@link HttpURLConnection}, not {@code java.net.http.HttpClient}. A command line lives for
 * one or two calls, and the JDK's newer client spends longer building itself (its selector thread, its SSL context even
 * for plain HTTP) than the call takes; this one starts at once. Redirects are never followed: a broker or Keycloak that
 * answers with one is refused rather than trusted to send the bearer token elsewhere.
 */
final class Http {

    static final Duration CONNECT = Duration.ofSeconds(10);

    /** A finished exchange: the status and the whole body (the error body for 4xx and 5xx). */
    record Response(int status, String body) {}

    private Http() {}

    /** Sends one request and reads the whole answer; {@code body} null sends none. */
    static Response send(String method, String url, Map<String, String> headers, String body, Duration timeout)
            throws IOException {
        HttpURLConnection c = open(method, url, headers, timeout);
        try {
            write(c, body);
            int status = c.getResponseCode();
            try (InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream()) {
                return new Response(status, in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
        } finally {
            c.disconnect();
        }
    }

    /** A streamed answer whose lines are read as they come; closing the stream closes the connection. */
    record Streamed(int status, Stream<String> lines) {}

    /** A GET whose answer is read line by line with no read timeout (server-sent events). */
    static Streamed stream(String url, Map<String, String> headers) throws IOException {
        HttpURLConnection c = open("GET", url, headers, Duration.ZERO);
        int status = c.getResponseCode();
        InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
        if (in == null) {
            c.disconnect();
            return new Streamed(status, Stream.empty());
        }
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        return new Streamed(status, reader.lines().onClose(() -> {
            try {
                reader.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } finally {
                c.disconnect();
            }
        }));
    }

    private static HttpURLConnection open(String method, String url, Map<String, String> headers, Duration timeout)
            throws IOException {
        HttpURLConnection c;
        try {
            c = (HttpURLConnection) URI.create(url).toURL().openConnection();
        } catch (IllegalArgumentException | java.net.MalformedURLException e) {
            throw new IllegalArgumentException("not a URL: " + url);
        } catch (ClassCastException e) {
            throw new IllegalArgumentException("not an http(s) URL: " + url);
        }
        c.setInstanceFollowRedirects(false);
        c.setUseCaches(false);
        c.setConnectTimeout((int) CONNECT.toMillis());
        c.setReadTimeout((int) timeout.toMillis());
        c.setRequestMethod(method);
        headers.forEach(c::setRequestProperty);
        return c;
    }

    private static void write(HttpURLConnection c, String body) throws IOException {
        if (body == null) {
            // no output stream at all: opening one would add a form Content-Type the broker rightly refuses
            return;
        }
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        c.setDoOutput(true);
        c.setFixedLengthStreamingMode(bytes.length);
        try (OutputStream out = c.getOutputStream()) {
            out.write(bytes);
        }
    }
}
