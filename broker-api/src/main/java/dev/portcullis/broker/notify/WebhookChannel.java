package dev.portcullis.broker.notify;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A generic outbound webhook, signed per Standard Webhooks: {@code webhook-id} (the message's stable id: receivers drop
 * duplicates by it), {@code webhook-timestamp} (of this attempt, seconds) and {@code webhook-signature}; the body is
 * {@code {"type": "request.created", "timestamp": ..., "data": {...}}}.
 */
final class WebhookChannel implements Channel {

    private final String name;
    private final URI url;
    private final StandardWebhooks signer;
    private final HttpChannels http;
    private final ObjectMapper json;

    WebhookChannel(String name, URI url, StandardWebhooks signer, HttpChannels http, ObjectMapper json) {
        this.name = name;
        this.url = url;
        this.signer = signer;
        this.http = http;
        this.json = json;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public boolean carries(NotificationEvent event) {
        return NotificationEvent.WEBHOOK.contains(event);
    }

    @Override
    public void send(Notice notice) throws DeliveryException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", notice.event().wireName());
        body.put("timestamp", notice.at().toString());
        body.put("data", notice.facts());
        String payload;
        try {
            payload = json.writeValueAsString(body);
        } catch (JsonProcessingException e) {
            throw new DeliveryException("cannot write the webhook body: " + e.getOriginalMessage(), true);
        }
        String id = "msg_" + notice.id();
        long timestamp = System.currentTimeMillis() / 1000;
        http.post(
                url,
                payload,
                Map.of(
                        "webhook-id",
                        id,
                        "webhook-timestamp",
                        Long.toString(timestamp),
                        "webhook-signature",
                        signer.sign(id, timestamp, payload)));
    }
}
