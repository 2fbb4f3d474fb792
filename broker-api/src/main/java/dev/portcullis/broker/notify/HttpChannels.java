package dev.portcullis.broker.notify;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/** One bounded HTTP POST of a JSON body, shared by the chat and webhook channels. */
final class HttpChannels {

    private final HttpClient client;
    private final Duration timeout;

    HttpChannels(Duration timeout) {
        this.timeout = timeout;
        this.client = HttpClient.newBuilder()
                .connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    void post(URI url, String json, Map<String, String> headers) throws Channel.DeliveryException {
        HttpRequest.Builder request = HttpRequest.newBuilder(url)
                .timeout(timeout)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json));
        headers.forEach(request::header);
        HttpResponse<String> response;
        try {
            response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new Channel.DeliveryException(
                    "POST " + url.getHost() + ": " + e.getClass().getSimpleName()
                            + (e.getMessage() == null ? "" : " " + e.getMessage()),
                    false);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Channel.DeliveryException("interrupted", false);
        }
        int status = response.statusCode();
        if (status / 100 != 2) {
            // 4xx but 408 and 429: the receiver refuses this message, and will again (Standard Webhooks says the same)
            boolean permanent = status / 100 == 4 && status != 408 && status != 429;
            throw new Channel.DeliveryException("POST " + url.getHost() + " answered " + status, permanent);
        }
    }
}
