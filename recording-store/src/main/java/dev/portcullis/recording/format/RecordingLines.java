package dev.portcullis.recording.format;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.portcullis.recording.RecordingMetadata;
import dev.portcullis.recording.event.RecordedEvent;
import dev.portcullis.recording.event.StructuredEvent;
import dev.portcullis.recording.event.TerminalEvent;

import java.time.Instant;
import java.util.concurrent.TimeUnit;

/**
 * The two kinds of line in a chunk payload. Terminal lines are asciicast v2 event arrays, byte for byte
 * what goes into the exported {@code .cast} file; structured events are JSON objects. A line's
 * first byte ({@code [} or <code>{</code>) says which stream it belongs to.
 */
public final class RecordingLines {

    private RecordingLines() {
    }

    public static boolean isTerminalLine(String line) {
        return !line.isEmpty() && line.charAt(0) == '[';
    }

    public static byte[] terminalLine(long micros, TerminalEvent.Type type, String data) {
        ArrayNode line = RecordingJson.MAPPER.createArrayNode();
        line.add(RecordingJson.seconds(micros));
        line.add(type.code());
        line.add(data);
        return RecordingJson.bytes(line);
    }

    public static byte[] eventLine(long micros, Instant at, StructuredEvent event) {
        ObjectNode line = RecordingJson.MAPPER.createObjectNode();
        line.put("time", RecordingJson.seconds(micros));
        line.put("at", at.toString());
        line.setAll((ObjectNode) RecordingJson.MAPPER.valueToTree(event));
        return RecordingJson.bytes(line);
    }

    public static TerminalEvent terminalEvent(String line) throws MalformedRecordingException {
        JsonNode node = RecordingJson.parse(line, "terminal event");
        if (!node.isArray() || node.size() != 3 || !node.get(1).isTextual() || !node.get(2).isTextual()) {
            throw new MalformedRecordingException("not an asciicast v2 event: " + abbreviate(line));
        }
        try {
            return new TerminalEvent(
                    RecordingJson.micros(node.get(0)) / 1e6,
                    TerminalEvent.Type.ofCode(node.get(1).asText()),
                    node.get(2).asText());
        } catch (IllegalArgumentException e) {
            throw new MalformedRecordingException(e.getMessage(), e);
        }
    }

    public static RecordedEvent recordedEvent(String line) throws MalformedRecordingException {
        JsonNode node = RecordingJson.parse(line, "structured event");
        if (!node.isObject()) {
            throw new MalformedRecordingException("not a structured event: " + abbreviate(line));
        }
        long micros = RecordingJson.micros(node.get("time"));
        Instant at = RecordingJson.instant(node, "at");
        try {
            StructuredEvent event = RecordingJson.MAPPER.treeToValue(node, StructuredEvent.class);
            return new RecordedEvent(micros / 1e6, at, event);
        } catch (JsonProcessingException | IllegalArgumentException | NullPointerException e) {
            throw new MalformedRecordingException("unreadable structured event: " + abbreviate(line), e);
        }
    }

    /** The asciicast v2 header line for an export of this recording. */
    public static byte[] castHeader(RecordingMetadata metadata) {
        ObjectNode header = RecordingJson.MAPPER.createObjectNode();
        header.put("version", 2);
        header.put("width", metadata.width());
        header.put("height", metadata.height());
        header.put("timestamp", metadata.startedAt().getEpochSecond());
        if (!metadata.env().isEmpty()) {
            ObjectNode env = header.putObject("env");
            metadata.sortedEnv().forEach(env::put);
        }
        if (metadata.title() != null) {
            header.put("title", metadata.title());
        }
        return RecordingJson.bytes(header);
    }

    public static Instant at(Instant startedAt, long micros) {
        return startedAt.plusNanos(TimeUnit.MICROSECONDS.toNanos(micros));
    }

    private static String abbreviate(String line) {
        return line.length() <= 80 ? line : line.substring(0, 80) + "...";
    }
}
