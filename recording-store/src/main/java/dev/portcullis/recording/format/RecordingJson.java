package dev.portcullis.recording.format;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.portcullis.recording.RecordingMetadata;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one JSON configuration of the on-disk format. Objects are written field by field (not by
 * reflection) so the bytes that get hashed and signed only change when the format does.
 */
public final class RecordingJson {

    public static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .enable(StreamWriteFeature.WRITE_BIGDECIMAL_AS_PLAIN)
            // Times are read back exactly, not through a double.
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private RecordingJson() {}

    /** Times are microseconds written as exact decimal seconds ({@code 1.250000}), never as 1.25E-4. */
    public static BigDecimal seconds(long micros) {
        return BigDecimal.valueOf(micros, 6);
    }

    public static long micros(JsonNode seconds) throws MalformedRecordingException {
        if (seconds == null || !seconds.isNumber()) {
            throw new MalformedRecordingException("time is not a number: " + seconds);
        }
        try {
            return seconds.decimalValue()
                    .movePointRight(6)
                    .setScale(0, RoundingMode.HALF_UP)
                    .longValueExact();
        } catch (ArithmeticException e) {
            throw new MalformedRecordingException("time out of range: " + seconds, e);
        }
    }

    public static byte[] bytes(JsonNode node) {
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree always serialises", e);
        }
    }

    public static JsonNode parse(byte[] data, String what) throws MalformedRecordingException {
        try {
            JsonNode node = MAPPER.readTree(data);
            if (node == null || node.isMissingNode()) {
                throw new MalformedRecordingException(what + " is empty");
            }
            return node;
        } catch (IOException e) {
            throw new MalformedRecordingException(what + " is not valid JSON", e);
        }
    }

    public static JsonNode parse(String line, String what) throws MalformedRecordingException {
        return parse(line.getBytes(StandardCharsets.UTF_8), what);
    }

    public static ObjectNode metadataNode(RecordingMetadata metadata) {
        ObjectNode node = MAPPER.createObjectNode();
        node.put("recording", metadata.id());
        node.put("startedAt", metadata.startedAt().toString());
        node.put("width", metadata.width());
        node.put("height", metadata.height());
        if (metadata.title() != null) {
            node.put("title", metadata.title());
        }
        node.set("env", stringMap(metadata.sortedEnv()));
        node.put("inputRecorded", metadata.inputRecorded());
        node.set("attributes", stringMap(metadata.sortedAttributes()));
        return node;
    }

    public static RecordingMetadata metadata(JsonNode node) throws MalformedRecordingException {
        try {
            return new RecordingMetadata(
                    text(node, "recording"),
                    instant(node, "startedAt"),
                    requiredInt(node, "width"),
                    requiredInt(node, "height"),
                    node.hasNonNull("title") ? node.get("title").asText() : null,
                    stringMap(node.get("env")),
                    node.path("inputRecorded").asBoolean(true),
                    stringMap(node.get("attributes")));
        } catch (IllegalArgumentException e) {
            throw new MalformedRecordingException("invalid recording metadata: " + e.getMessage(), e);
        }
    }

    public static String text(JsonNode node, String field) throws MalformedRecordingException {
        JsonNode value = node.get(field);
        if (value == null || !value.isTextual()) {
            throw new MalformedRecordingException("missing text field '" + field + "'");
        }
        return value.asText();
    }

    public static int requiredInt(JsonNode node, String field) throws MalformedRecordingException {
        JsonNode value = node.get(field);
        if (value == null || !value.canConvertToInt() || !value.isIntegralNumber()) {
            throw new MalformedRecordingException("missing integer field '" + field + "'");
        }
        return value.asInt();
    }

    public static Instant instant(JsonNode node, String field) throws MalformedRecordingException {
        try {
            return Instant.parse(text(node, field));
        } catch (DateTimeParseException e) {
            throw new MalformedRecordingException("field '" + field + "' is not an instant", e);
        }
    }

    private static ObjectNode stringMap(Map<String, String> map) {
        ObjectNode node = MAPPER.createObjectNode();
        map.forEach(node::put);
        return node;
    }

    private static Map<String, String> stringMap(JsonNode node) {
        Map<String, String> map = new LinkedHashMap<>();
        if (node != null && node.isObject()) {
            node.properties()
                    .forEach(entry -> map.put(entry.getKey(), entry.getValue().asText()));
        }
        return map;
    }
}
