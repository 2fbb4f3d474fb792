package dev.portcullis.broker.siem;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;

/**
 * A sink that takes a batch in one HTTP POST and acknowledges it with a 2xx answer (and, per kind, a body that says
 * every event was taken). The JDK client verifies the certificate against the sink's trust and the URL's host.
 */
abstract class HttpJsonSink implements SiemSink {

    private final URI url;
    private final String authorization;
    private final Duration timeout;
    private final HttpClient client;

    HttpJsonSink(URI url, String authorization, SSLContext tls, Duration timeout) {
        this.url = url;
        this.authorization = authorization;
        this.timeout = timeout;
        this.client = HttpClient.newBuilder()
                .sslContext(tls)
                .connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    /** The request body for a batch. */
    abstract String body(List<AuditRow> batch);

    abstract String contentType();

    /** Throws when a 2xx answer still says some event was not taken. */
    void checkAccepted(String body) throws IOException {}

    @Override
    public void deliver(List<AuditRow> batch) throws IOException {
        HttpRequest.Builder request = HttpRequest.newBuilder(url)
                .timeout(timeout)
                .header("Content-Type", contentType())
                .POST(HttpRequest.BodyPublishers.ofString(body(batch), StandardCharsets.UTF_8));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        HttpResponse<String> response;
        try {
            response = client.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while sending to " + name(), e);
        }
        if (response.statusCode() / 100 != 2) {
            // the status only: a receiver's error body may echo what we sent, the token included
            throw new IOException(name() + " at " + url + " answered HTTP " + response.statusCode());
        }
        checkAccepted(response.body());
    }

    @Override
    public void close() {
        // the JDK client has nothing to close before Java 21
    }
}
