package dev.portcullis.broker.siem;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;

/**
 * OpenSearch's (and Elasticsearch's) {@code _bulk} API: NDJSON, an {@code index} action per row with the sequence
 * number as the document id, so a batch sent twice leaves each row once in the index. A 200 answer may still report
 * failed items ({@code "errors": true}); the batch then counts as not taken.
 */
final class OpenSearchBulkSink extends HttpJsonSink {

    private final String index;

    OpenSearchBulkSink(URI url, String authorization, String index, SSLContext tls, Duration timeout) {
        super(url, authorization, tls, timeout);
        this.index = index;
    }

    @Override
    public String name() {
        return "bulk";
    }

    @Override
    String contentType() {
        return "application/x-ndjson";
    }

    @Override
    String body(List<AuditRow> batch) {
        StringBuilder body = new StringBuilder(batch.size() * 800);
        for (AuditRow row : batch) {
            ObjectNode action = SiemJson.JSON.createObjectNode();
            action.putObject("index").put("_index", index).put("_id", String.valueOf(row.seq()));
            body.append(SiemJson.write(action))
                    .append('\n')
                    .append(SiemJson.write(SiemJson.event(row)))
                    .append('\n');
        }
        return body.toString();
    }

    @Override
    void checkAccepted(String body) throws IOException {
        JsonNode answer;
        try {
            answer = SiemJson.JSON.readTree(body);
        } catch (IOException e) {
            throw new IOException("bulk: the answer is not the _bulk API's JSON");
        }
        if (answer == null || !answer.path("errors").isBoolean()) {
            throw new IOException("bulk: the answer has no \"errors\" field; is the URL the _bulk API?");
        }
        if (answer.path("errors").asBoolean()) {
            for (JsonNode item : answer.path("items")) {
                JsonNode error = item.path("index").path("error");
                if (!error.isMissingNode()) {
                    throw new IOException(
                            "bulk: an item was refused: " + error.path("type").asText("?") + ": "
                                    + error.path("reason").asText("?"));
                }
            }
            throw new IOException("bulk: the answer reports errors");
        }
    }
}
