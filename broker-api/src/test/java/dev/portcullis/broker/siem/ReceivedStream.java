package dev.portcullis.broker.siem;

import java.util.ArrayList;
import java.util.List;

/**
 * What a receiver does to check the stream's continuity (docs/siem.md): drop a seq it has seen (at-least-once delivery
 * sends a batch again after a failure), and require every other event to be the next seq, linking to the hash of the
 * one before. Here over everything a sink received, from the first row of the trail.
 */
final class ReceivedStream {

    record Event(long seq, String prevHash, String hash) {}

    private ReceivedStream() {}

    /** The problems found, empty when the events are the trail from seq 1 to the last, in order, without a gap. */
    static List<String> continuityProblems(List<Event> arrived) {
        List<String> problems = new ArrayList<>();
        long last = 0;
        String lastHash = "0".repeat(64);
        for (Event e : arrived) {
            if (e.seq() <= last) {
                continue; // a duplicate of a row already taken
            }
            if (e.seq() != last + 1) {
                problems.add("gap: seq " + e.seq() + " after " + last);
            } else if (!e.prevHash().equals(lastHash)) {
                problems.add("seq " + e.seq() + " does not link to the hash of seq " + last);
            }
            last = e.seq();
            lastHash = e.hash();
        }
        return problems;
    }

    /** The highest seq received, 0 for none. */
    static long highest(List<Event> arrived) {
        return arrived.stream().mapToLong(Event::seq).max().orElse(0);
    }

    /** Syslog lines as LocalRsyslog writes them: the structured data carries seq, prevHash and hash. */
    static List<Event> fromSyslog(List<String> lines) {
        List<Event> events = new ArrayList<>();
        for (String line : lines) {
            events.add(new Event(Long.parseLong(param(line, "seq")), param(line, "prevHash"), param(line, "hash")));
        }
        return events;
    }

    private static String param(String line, String name) {
        int at = line.indexOf(' ' + name + "=\"");
        if (at < 0) {
            throw new AssertionError("no " + name + " in the syslog line: " + line);
        }
        int start = at + name.length() + 3;
        return line.substring(start, line.indexOf('"', start));
    }
}
