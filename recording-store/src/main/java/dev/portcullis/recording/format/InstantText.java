package dev.portcullis.recording.format;

import java.time.Instant;

/**
 * {@link Instant#toString()}, with the date and time of day kept for the second they belong to: the JDK's formatter
 * was a visible part of what recording one database statement cost, and consecutive lines share their second.
 */
final class InstantText {

    /** 9999-12-31T23:59:59Z: beyond it (and before 1970) the text is left to the JDK. */
    private static final long LAST_FOUR_DIGIT_SECOND = 253_402_300_799L;

    private record Second(long epochSecond, String text) {}

    private static volatile Second last = new Second(-1, "");

    private InstantText() {}

    static String of(Instant t) {
        long epochSecond = t.getEpochSecond();
        Second second = last;
        if (second.epochSecond() != epochSecond) {
            if (epochSecond < 0 || epochSecond > LAST_FOUR_DIGIT_SECOND) {
                return t.toString();
            }
            String whole = Instant.ofEpochSecond(epochSecond).toString();
            second = new Second(epochSecond, whole.substring(0, whole.length() - 1));
            last = second;
        }
        StringBuilder text = new StringBuilder(second.text().length() + 11).append(second.text());
        int nanos = t.getNano();
        if (nanos > 0) {
            // as the JDK writes the fraction: in groups of three digits, as many as it needs
            text.append('.');
            if (nanos % 1_000_000 == 0) {
                digits(text, nanos / 1_000_000, 3);
            } else if (nanos % 1000 == 0) {
                digits(text, nanos / 1000, 6);
            } else {
                digits(text, nanos, 9);
            }
        }
        return text.append('Z').toString();
    }

    private static void digits(StringBuilder text, int value, int width) {
        String s = Integer.toString(value);
        for (int i = s.length(); i < width; i++) {
            text.append('0');
        }
        text.append(s);
    }
}
