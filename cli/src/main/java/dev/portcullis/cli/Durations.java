package dev.portcullis.cli;

import java.time.Duration;
import java.time.Instant;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as people type and read them: {@code 2h}, {@code 90m}, {@code 1h30m}, {@code 1d}. */
public final class Durations {

    private static final Pattern PART = Pattern.compile("(\\d+)([dhm])");

    private Durations() {}

    /** Minutes in {@code text}; a one-line refusal for anything else (no unit, zero, seconds, garbage). */
    public static int minutes(String text) {
        String t = text == null ? "" : text.trim().toLowerCase();
        if (t.isEmpty() || !t.matches("(\\d+[dhm])+")) {
            throw new IllegalArgumentException("'" + text + "' is not a duration: write it like 2h, 90m or 1h30m");
        }
        long minutes = 0;
        Matcher m = PART.matcher(t);
        while (m.find()) {
            long n = Long.parseLong(m.group(1).length() > 7 ? "9999999" : m.group(1));
            minutes += switch (m.group(2)) {
                case "d" -> n * 24 * 60;
                case "h" -> n * 60;
                default -> n;
            };
        }
        if (minutes <= 0 || minutes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("'" + text + "' is not a duration people can be granted");
        }
        return (int) minutes;
    }

    /** {@code 1h59m}, {@code 45s}: a duration for reading. */
    public static String format(Duration d) {
        long s = Math.max(0, d.getSeconds());
        if (s < 60) {
            return s + "s";
        }
        long h = s / 3600;
        long m = (s % 3600) / 60;
        return h == 0 ? m + "m" : m == 0 ? h + "h" : h + "h" + m + "m";
    }

    /** Time from now to {@code isoInstant}, for reading; "-" without one. */
    public static String left(String isoInstant, Instant now) {
        if (isoInstant == null) {
            return "-";
        }
        Duration d = Duration.between(now, Instant.parse(isoInstant));
        return d.isNegative() ? "ended" : format(d) + " left";
    }
}
