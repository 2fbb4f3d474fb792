package dev.portcullis.broker.recordings;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portcullis.recording.RecordingMetadata;
import dev.portcullis.recording.event.TerminalEvent;
import dev.portcullis.recording.read.RecordingReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A recording cut into time ranges for replay, in the segmented form asciinema-player loads (an index of ranges,
 * then each range when playback or a seek needs it): each range holds its terminal events as asciicast v2 event
 * arrays with their recording times, and the screen at its start rebuilt from the output just before it
 * ({@link ScreenRebuild}). The player fetches the range it plays and the next one, so a page never loads a recording
 * whole.
 *
 * <p>A range holds at most {@value #EVENT_CHARS} characters of events: past that (a burst no one can read at any
 * speed), its output is folded into one event at the time of the last one, holding the output's last characters, so
 * the screen ends the range as it was, and the response stays small.
 */
public final class ReplayRanges {

    /** Ranges are at least this long, and there are at most {@link #MAX_RANGES} of them. */
    static final double MIN_RANGE_SECONDS = 10;

    static final int MAX_RANGES = 2000;
    /** The longest range one request may ask for, so a request reads a bounded part of a recording. */
    public static final double MAX_RANGE_SECONDS = 600;

    static final int EVENT_CHARS = 256 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper();

    private ReplayRanges() {}

    /**
     * The index: duration, terminal size, and the URL of each range ({@code rangeUrl?from=..&to=..}, the last one
     * with {@code &last=true}, which also holds the events at its end).
     */
    public static byte[] index(
            String rangeUrl, RecordingMetadata metadata, RecordingArchive.ReplayFacts facts, String status) {
        double duration = facts.duration();
        double width = rangeSeconds(duration);
        List<Map<String, Object>> ranges = new ArrayList<>();
        for (long i = 0; i == 0 || i * width < duration; i++) {
            double start = i * width;
            boolean last = (i + 1) * width >= duration;
            double end = last ? duration : (i + 1) * width;
            ranges.add(Map.of(
                    "start",
                    start,
                    "url",
                    rangeUrl + "?from=" + number(start) + "&to=" + number(end) + (last ? "&last=true" : "")));
        }
        Map<String, Object> index = new LinkedHashMap<>();
        index.put("version", 1);
        index.put("duration", duration);
        index.put("term", Map.of("cols", metadata.width(), "rows", metadata.height()));
        index.put("segments", ranges);
        index.put("status", status);
        index.put("textFaithful", facts.textFaithful());
        return json(index);
    }

    static double rangeSeconds(double duration) {
        return Math.min(MAX_RANGE_SECONDS, Math.max(MIN_RANGE_SECONDS, Math.ceil(duration / MAX_RANGES)));
    }

    /**
     * One range: the screen at {@code from} and the events with {@code from <= time < to} ({@code <= to} for the last
     * range, which ends with an event at {@code to}); it starts with an empty output event at {@code from}, as the
     * player wants each range to.
     */
    public static byte[] range(RecordingReader reader, double from, double to, boolean last) throws IOException {
        Range range = read(reader, from, to, last);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("from", from);
        json.put("to", to);
        json.put(
                "snapshot",
                Map.of(
                        "cols",
                        range.screen().cols(),
                        "rows",
                        range.screen().rows(),
                        "init",
                        range.screen().init()));
        json.put("events", range.events());
        return json(json);
    }

    /**
     * One range as a stand-alone asciicast v2 file, for asciinema and other players: a header with the size at
     * {@code from}, the rebuilt screen as an output event at 0, then the range's events with times from {@code from}.
     */
    public static byte[] rangeCast(RecordingReader reader, double from, double to, boolean last) throws IOException {
        Range range = read(reader, from, to, last);
        StringBuilder cast = new StringBuilder();
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("version", 2);
        header.put("width", range.screen().cols());
        header.put("height", range.screen().rows());
        header.put("timestamp", reader.metadata().startedAt().getEpochSecond() + (long) from);
        header.put("title", "from " + number(from) + " s to " + number(to) + " s");
        cast.append(new String(json(header), StandardCharsets.UTF_8)).append('\n');
        cast.append(new String(json(new Object[] {0.0, "o", range.screen().init()}), StandardCharsets.UTF_8))
                .append('\n');
        for (Object[] e : range.events()) {
            Object[] shifted = {Math.max(0, (double) e[0] - from), e[1], e[2]};
            cast.append(new String(json(shifted), StandardCharsets.UTF_8)).append('\n');
        }
        return cast.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** The screen at a range's start and its events, each {time, code, data}. */
    private record Range(ScreenRebuild.Screen screen, List<Object[]> events) {}

    private static Range read(RecordingReader reader, double from, double to, boolean last) throws IOException {
        RecordingMetadata metadata = reader.metadata();
        ScreenRebuild.Screen screen = from <= 0
                ? new ScreenRebuild.Screen(metadata.width(), metadata.height(), "")
                : ScreenRebuild.before(reader, from, metadata.width(), metadata.height());
        List<Object[]> events = new ArrayList<>();
        events.add(new Object[] {from, "o", ""});
        int chars = 0;
        ScreenRebuild.Tail folded = null;
        double foldedAt = from;
        double lastTime = from;
        try (Stream<TerminalEvent> all = reader.terminalEventsBetween(from, last ? Math.nextUp(to) : to)) {
            for (TerminalEvent e : (Iterable<TerminalEvent>) all::iterator) {
                lastTime = e.time();
                if (folded == null && chars + e.data().length() > EVENT_CHARS) {
                    folded = new ScreenRebuild.Tail(ScreenRebuild.TAIL_CHARS);
                }
                if (folded == null || e.type() == TerminalEvent.Type.RESIZE) {
                    events.add(new Object[] {e.time(), e.type().code(), e.data()});
                    chars += e.data().length();
                } else if (e.type() == TerminalEvent.Type.OUTPUT) {
                    folded.append(e.data());
                    foldedAt = e.time();
                }
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        if (folded != null) {
            String text = folded.text();
            int newline = text.indexOf('\n');
            events.add(new Object[] {Math.max(foldedAt, lastTime), "o", newline < 0 ? text : text.substring(newline)});
        }
        if (last && lastTime < to) {
            events.add(new Object[] {to, "o", ""});
        }
        return new Range(screen, events);
    }

    /** A time as a URL parameter that parses back to exactly the same double. */
    private static String number(double seconds) {
        return Double.toString(seconds).toLowerCase(Locale.ROOT);
    }

    private static byte[] json(Object value) {
        try {
            return JSON.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write replay JSON", e);
        }
    }
}
