package dev.portcullis.broker.siem;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;

/**
 * Splunk's HTTP Event Collector ({@code POST /services/collector/event}, {@code Authorization: Splunk <token>}): the
 * batch as event objects one after another, each with the row's JSON as {@code event}.
 */
final class SplunkHecSink extends HttpJsonSink {

    private final String host;
    private final String index;

    SplunkHecSink(URI url, String token, String index, String host, SSLContext tls, Duration timeout) {
        super(url, "Splunk " + token, tls, timeout);
        this.index = index;
        this.host = host;
    }

    @Override
    public String name() {
        return "hec";
    }

    @Override
    String contentType() {
        return "application/json";
    }

    @Override
    String body(List<AuditRow> batch) {
        StringBuilder body = new StringBuilder(batch.size() * 700);
        for (AuditRow row : batch) {
            ObjectNode event = SiemJson.JSON.createObjectNode();
            // seconds with microseconds, as HEC takes them
            event.put(
                    "time",
                    new java.math.BigDecimal(row.at().getEpochSecond())
                            .add(java.math.BigDecimal.valueOf(row.at().getNano() / 1000, 6)));
            event.put("host", host);
            event.put("source", "portcullis");
            event.put("sourcetype", "portcullis:audit");
            if (index != null) {
                event.put("index", index);
            }
            event.set("event", SiemJson.event(row));
            body.append(SiemJson.write(event)).append('\n');
        }
        return body.toString();
    }
}
