package dev.portcullis.recording.format;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.portcullis.recording.RecordingMetadata;
import dev.portcullis.recording.event.RecordedEvent;
import dev.portcullis.recording.event.StructuredEvent;
import dev.portcullis.recording.event.TerminalEvent;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/**
 * The two kinds of line in a chunk payload. Terminal lines are asciicast v2 event arrays, byte for byte
 * what goes into the exported {@code .cast} file; structured events are JSON objects. A line's
 * first byte ({@code [} or <code>{</code>) says which stream it belongs to.
 */
public final class RecordingLines {

    private RecordingLines() {}

    public static boolean isTerminalLine(String line) {
        return !line.isEmpty() && line.charAt(0) == '[';
    }

    /**
     * {@code [seconds, "o", "data"]}, byte for byte what Jackson writes for the same array, written by hand because
     * this runs for every packet of every session: a profile of a bulk transfer put a quarter of the bastion's CPU
     * in Jackson's escaping of terminal output (RecordingLinesTest compares the two on random text).
     */
    public static byte[] terminalLine(long micros, TerminalEvent.Type type, String data) {
        // a lone surrogate, which no decoder produces, becomes '?': never invalid UTF-8
        return terminalLine(micros, type, data.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The same from text that is valid UTF-8 already (as the stream decoder delivers it): only the bytes below 0x20,
     * '"' and '\\' need escaping, so the runs between them are copied in bulk, and bytes from 0x80 up stay as they are.
     */
    public static byte[] terminalLine(long micros, TerminalEvent.Type type, byte[] text) {
        if (micros < 0) {
            throw new IllegalArgumentException("time must not be negative");
        }
        byte[] out = new byte[text.length + text.length / 8 + 48];
        int n = 0;
        out[n++] = '[';
        String whole = Long.toString(micros / 1_000_000);
        for (int i = 0; i < whole.length(); i++) {
            out[n++] = (byte) whole.charAt(i);
        }
        out[n++] = '.';
        long fraction = micros % 1_000_000;
        for (long div = 100_000; div > 0; div /= 10) {
            out[n++] = (byte) ('0' + (fraction / div) % 10);
        }
        out[n++] = ',';
        out[n++] = '"';
        String code = type.code();
        for (int i = 0; i < code.length(); i++) {
            out[n++] = (byte) code.charAt(i);
        }
        out[n++] = '"';
        out[n++] = ',';
        out[n++] = '"';
        int run = 0;
        int i = 0;
        while (i < text.length) {
            int at;
            if (i + 8 <= text.length) {
                long hits = escapeMask((long) LONGS.get(text, i));
                if (hits == 0) {
                    i += 8; // eight bytes at once: most terminal output has nothing to escape for many words on end
                    continue;
                }
                at = i + (Long.numberOfTrailingZeros(hits) >>> 3); // the lowest mark is always a true one
            } else {
                int b = text[i] & 0xFF;
                if (b >= 0x20 && b != '"' && b != '\\') {
                    i++;
                    continue;
                }
                at = i;
            }
            int length = at - run;
            out = room(out, n, length + 6);
            System.arraycopy(text, run, out, n, length);
            n += length;
            n = escape(text[at] & 0xFF, out, n);
            i = at + 1;
            run = i;
        }
        int length = text.length - run;
        out = room(out, n, length + 2);
        System.arraycopy(text, run, out, n, length);
        n += length;
        out[n++] = '"';
        out[n++] = ']';
        return n == out.length ? out : java.util.Arrays.copyOf(out, n);
    }

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long ONES = 0x0101010101010101L;
    private static final long HIGHS = 0x8080808080808080L;

    /**
     * Marks (with its high bit) each of these eight bytes that is below 0x20, a quote or a backslash; bytes from 0x80
     * up never count, as in the byte loop. A borrow may also mark a byte above a true hit, never one below it, so the
     * lowest mark is exact and zero means there is nothing to escape.
     */
    static long escapeMask(long word) {
        long control = (word - 0x2020202020202020L) & ~word & HIGHS;
        long quote = word ^ 0x2222222222222222L;
        long backslash = word ^ 0x5C5C5C5C5C5C5C5CL;
        return control | ((quote - ONES) & ~quote & HIGHS) | ((backslash - ONES) & ~backslash & HIGHS);
    }

    /** Writes the escape for {@code b} (a control character, quote or backslash) at {@code n}; room for six bytes is there. */
    private static int escape(int b, byte[] out, int n) {
        out[n++] = '\\';
        switch (b) {
            case '"' -> out[n++] = '"';
            case '\\' -> out[n++] = '\\';
            case '\b' -> out[n++] = 'b';
            case '\t' -> out[n++] = 't';
            case '\n' -> out[n++] = 'n';
            case '\f' -> out[n++] = 'f';
            case '\r' -> out[n++] = 'r';
            default -> {
                out[n++] = 'u';
                out[n++] = '0';
                out[n++] = '0';
                out[n++] = (byte) HEX[b >> 4];
                out[n++] = (byte) HEX[b & 0xF];
            }
        }
        return n;
    }

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private static byte[] room(byte[] out, int used, int more) {
        return used + more <= out.length ? out : java.util.Arrays.copyOf(out, Math.max(out.length * 2, used + more));
    }

    public static byte[] eventLine(long micros, Instant at, StructuredEvent event) {
        // The event's own JSON object with "time" and "at" in front: spliced as bytes rather than through a tree,
        // since a database session writes one such line per statement.
        byte[] body;
        try {
            body = RecordingJson.MAPPER.writeValueAsBytes(event);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("an event always serialises", e);
        }
        if (body.length < 2 || body[0] != '{' || body[body.length - 1] != '}') {
            throw new IllegalStateException("an event serialises as a JSON object");
        }
        byte[] prefix = ("{\"time\":" + RecordingJson.seconds(micros).toPlainString()
                        + ",\"at\":\"" + InstantText.of(at) + "\""
                        + (body.length > 2 ? "," : ""))
                .getBytes(StandardCharsets.US_ASCII);
        byte[] line = new byte[prefix.length + body.length - 1];
        System.arraycopy(prefix, 0, line, 0, prefix.length);
        System.arraycopy(body, 1, line, prefix.length, body.length - 1);
        return line;
    }

    public static TerminalEvent terminalEvent(String line) throws MalformedRecordingException {
        JsonNode node = RecordingJson.parse(line, "terminal event");
        if (!node.isArray()
                || node.size() != 3
                || !node.get(1).isTextual()
                || !node.get(2).isTextual()) {
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
        return castHeader(metadata, false);
    }

    /** The header key saying that the text replaced bytes that are not valid UTF-8 (players ignore it). */
    public static final String SUBSTITUTED_KEY = "portcullis_substituted";

    /**
     * The asciicast v2 header line; with {@code substituted}, an extra key says that some stored bytes were not valid
     * UTF-8 and the text shows U+FFFD in their place.
     */
    public static byte[] castHeader(RecordingMetadata metadata, boolean substituted) {
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
        if (substituted) {
            header.put(
                    SUBSTITUTED_KEY,
                    "some recorded bytes are not valid UTF-8: shown as U+FFFD from the marker on;"
                            + " the recording holds the exact bytes");
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
