package dev.portcullis.broker.search;

import dev.portcullis.workflow.request.Refusal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;

/**
 * A search of the index, checked: the text is searched as a literal substring (case-insensitive), never as a pattern,
 * so no query can run away; it must be 3 to 200 characters (a trigram index cannot help below 3), printable, and not
 * only wildcards or spaces. Filters narrow it; {@code person} is forced to the viewer for people who are not auditors.
 *
 * @param from inclusive, or null
 * @param to   exclusive, or null
 */
public record SearchQuery(
        String text, String person, String target, String protocol, String kind, Instant from, Instant to, int limit) {

    public static final int MIN_TEXT = 3;
    public static final int MAX_TEXT = 200;
    public static final int MAX_LIMIT = 200;
    public static final List<String> KINDS = List.of("command", "exec", "query", "file", "forward", "output");
    public static final List<String> PROTOCOLS = List.of("ssh", "postgres");

    /** A query refused, with the refusal for the caller. */
    public static final class BadQuery extends RuntimeException {
        private final transient Refusal refusal;

        BadQuery(String code, String field, String message) {
            super(message, null, false, false);
            this.refusal = Refusal.invalid(code, field, message);
        }

        public Refusal refusal() {
            return refusal;
        }
    }

    /** Parses what a person sent (null or blank: not given). */
    public static SearchQuery parse(
            String q,
            String person,
            String target,
            String protocol,
            String kind,
            String from,
            String to,
            String limit) {
        String text = q == null ? "" : q.strip();
        if (text.isEmpty()) {
            throw new BadQuery(
                    "query_required", "q", "give something to search for in q (at least " + MIN_TEXT + " characters)");
        }
        if (text.length() > MAX_TEXT) {
            throw new BadQuery(
                    "query_too_long",
                    "q",
                    "q is " + text.length() + " characters; at most " + MAX_TEXT + " are searched");
        }
        if (text.codePoints().anyMatch(c -> Character.isISOControl(c))) {
            throw new BadQuery("query_not_text", "q", "q may not hold control characters");
        }
        if (text.codePointCount(0, text.length()) < MIN_TEXT) {
            throw new BadQuery(
                    "query_too_short",
                    "q",
                    "q must be at least " + MIN_TEXT
                            + " characters: shorter text matches nearly everything and no index can help");
        }
        if (text.chars()
                        .filter(c -> c != '%' && c != '_' && c != '*' && c != '?' && c != ' ')
                        .count()
                < MIN_TEXT) {
            throw new BadQuery(
                    "query_too_vague",
                    "q",
                    "q must hold at least " + MIN_TEXT
                            + " characters other than spaces and wildcards (it is searched literally, not as a pattern)");
        }
        String p = optional(protocol, "protocol", 16);
        if (p != null && !PROTOCOLS.contains(p.toLowerCase(Locale.ROOT))) {
            throw new BadQuery("bad_protocol", "protocol", "protocol must be one of " + PROTOCOLS);
        }
        String k = optional(kind, "kind", 16);
        if (k != null && !KINDS.contains(k.toLowerCase(Locale.ROOT))) {
            throw new BadQuery("bad_kind", "kind", "kind must be one of " + KINDS);
        }
        Instant f = instant(from, "from", false);
        Instant t = instant(to, "to", true);
        if (f != null && t != null && !f.isBefore(t)) {
            throw new BadQuery("bad_range", "from", "from must be before to");
        }
        int n = 50;
        if (limit != null && !limit.isBlank()) {
            try {
                n = Integer.parseInt(limit.strip());
            } catch (NumberFormatException e) {
                n = -1;
            }
            if (n < 1 || n > MAX_LIMIT) {
                throw new BadQuery("bad_limit", "limit", "limit must be a number from 1 to " + MAX_LIMIT);
            }
        }
        return new SearchQuery(
                text,
                optional(person, "person", 255),
                optional(target, "target", 63),
                p == null ? null : p.toLowerCase(Locale.ROOT),
                k == null ? null : k.toLowerCase(Locale.ROOT),
                f,
                t,
                n);
    }

    /** The same query for one person's own sessions. */
    public SearchQuery onlyOf(String username) {
        return new SearchQuery(text, username, target, protocol, kind, from, to, limit);
    }

    private static String optional(String value, String field, int max) {
        if (value == null || value.isBlank()) {
            return null;
        }
        String s = value.strip();
        if (s.length() > max) {
            throw new BadQuery("too_long", field, field + " may be at most " + max + " characters");
        }
        return s;
    }

    /** An ISO-8601 instant, or a date (yyyy-mm-dd, UTC): its start for from, the next day's start for to. */
    private static Instant instant(String value, String field, boolean endOfDay) {
        if (value == null || value.isBlank()) {
            return null;
        }
        String s = value.strip();
        try {
            return Instant.parse(s);
        } catch (DateTimeParseException notAnInstant) {
            try {
                return LocalDate.parse(s)
                        .plusDays(endOfDay ? 1 : 0)
                        .atStartOfDay(ZoneOffset.UTC)
                        .toInstant();
            } catch (DateTimeParseException e) {
                throw new BadQuery(
                        "bad_time", field, field + " must be a date (2026-01-31) or an instant (2026-01-31T09:30:00Z)");
            }
        }
    }

    /** The text as a LIKE pattern that matches it literally anywhere. */
    String likePattern() {
        return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%";
    }
}
