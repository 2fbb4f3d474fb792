package dev.portcullis.recording.read;

import dev.portcullis.recording.event.TerminalEvent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Searches terminal output as one continuous text, so a match may span output events and chunks
 * ("rm -" in one packet, "rf /" in the next), and maps each match back to the times of the events
 * that carried it. Holds the recording's visible output in memory while it searches.
 */
final class OutputSearch {

    private final StringBuilder visible = new StringBuilder();
    private final EscapeSequenceFilter filter = new EscapeSequenceFilter();
    /** segmentStart[i]: offset in {@code visible} where the text of output event i begins. */
    private int[] segmentStart = new int[256];

    private double[] segmentTime = new double[256];
    private int segments;

    static List<SearchHit> search(Iterator<TerminalEvent> events, Pattern pattern) {
        OutputSearch search = new OutputSearch();
        while (events.hasNext()) {
            TerminalEvent event = events.next();
            if (event.type() == TerminalEvent.Type.OUTPUT) {
                search.add(event);
            }
        }
        return search.find(pattern);
    }

    private void add(TerminalEvent event) {
        if (segments == segmentStart.length) {
            segmentStart = Arrays.copyOf(segmentStart, segments * 2);
            segmentTime = Arrays.copyOf(segmentTime, segments * 2);
        }
        segmentStart[segments] = visible.length();
        segmentTime[segments] = event.time();
        segments++;
        filter.append(event.data(), visible);
    }

    private List<SearchHit> find(Pattern pattern) {
        List<SearchHit> hits = new ArrayList<>();
        Matcher matcher = pattern.matcher(visible);
        while (matcher.find()) {
            if (matcher.end() == matcher.start()) {
                continue;
            }
            hits.add(new SearchHit(timeAt(matcher.start()), timeAt(matcher.end() - 1), matcher.group()));
        }
        return hits;
    }

    /** Time of the event that contributed the character at {@code offset}. */
    private double timeAt(int offset) {
        int low = 0;
        int high = segments - 1;
        while (low < high) {
            int middle = (low + high + 1) >>> 1;
            if (segmentStart[middle] <= offset) {
                low = middle;
            } else {
                high = middle - 1;
            }
        }
        return segmentTime[low];
    }
}
