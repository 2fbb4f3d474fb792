package dev.portcullis.workflow.policy;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses the durations people write in policy files: {@code 90s}, {@code 30m}, {@code 2h}, {@code 1d}, {@code 1h30m}, or ISO-8601 {@code PT2H}. */
public final class Durations {

    private static final Pattern HUMAN = Pattern.compile("(?:(\\d+)d)?(?:(\\d+)h)?(?:(\\d+)m)?(?:(\\d+)s)?");

    private Durations() {}

    public static Optional<Duration> parse(String text) {
        if (text == null || text.isBlank()) {
            return Optional.empty();
        }
        String value = text.trim();
        if (value.startsWith("P") || value.startsWith("p")) {
            try {
                return Optional.of(Duration.parse(value));
            } catch (DateTimeParseException e) {
                return Optional.empty();
            }
        }
        Matcher m = HUMAN.matcher(value);
        if (!m.matches() || value.isEmpty()) {
            return Optional.empty();
        }
        try {
            Duration d = Duration.ZERO;
            if (m.group(1) != null) d = d.plusDays(Long.parseLong(m.group(1)));
            if (m.group(2) != null) d = d.plusHours(Long.parseLong(m.group(2)));
            if (m.group(3) != null) d = d.plusMinutes(Long.parseLong(m.group(3)));
            if (m.group(4) != null) d = d.plusSeconds(Long.parseLong(m.group(4)));
            return Optional.of(d);
        } catch (NumberFormatException | ArithmeticException e) {
            return Optional.empty();
        }
    }

    /** Renders a duration the way the policy file would write it, e.g. {@code 2h30m}. */
    public static String format(Duration d) {
        long s = d.getSeconds();
        StringBuilder b = new StringBuilder();
        if (s >= 86400 && s % 86400 == 0) return s / 86400 + "d";
        if (s / 3600 > 0) b.append(s / 3600).append('h');
        if (s % 3600 / 60 > 0) b.append(s % 3600 / 60).append('m');
        if (s % 60 > 0 || b.length() == 0) b.append(s % 60).append('s');
        return b.toString();
    }
}
