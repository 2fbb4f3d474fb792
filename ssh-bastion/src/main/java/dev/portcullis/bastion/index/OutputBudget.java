package dev.portcullis.bastion.index;

/**
 * Decides which output records of one session the search index takes, with bounded work per record on the session's
 * I/O thread. Turning output into lines ({@link OutputLines}) costs far more per byte than forwarding it, so a bulk
 * transfer through an exec channel must not be indexed whole:
 * <ul>
 *   <li>binary output (a record whose first {@link #PROBE} bytes hold NULs, other control characters a terminal does
 *       not show, or bytes that are not UTF-8) is left out: it has no lines to search;</li>
 *   <li>text is taken at once up to {@link #BURST} bytes, then at {@link #PER_SECOND} bytes a second of the
 *       recording's time (a token bucket); what comes faster is left out. A person reads far less than that; a
 *       {@code cat} of a large file is indexed from its start and then sampled.</li>
 * </ul>
 * What is left out is counted; the recording holds every byte, and its own text search still finds it.
 */
final class OutputBudget {

    /** Bytes of each record looked at to tell text from binary. */
    static final int PROBE = 256;

    static final long BURST = 4L * 1024 * 1024;
    static final long PER_SECOND = 256L * 1024;

    /** What may be taken now, in bytes times a million (a microsecond's refill is a fraction of a byte). */
    private long credit = BURST * 1_000_000;

    private long lastMicros;
    private long binaryBytes;
    private long overBudgetBytes;

    /** Whether the index takes this record, made at {@code micros}; counts it as left out when not. */
    boolean take(byte[] data, long micros) {
        if (!looksLikeText(data)) {
            binaryBytes += data.length;
            return false;
        }
        long elapsed = Math.max(0, micros - lastMicros);
        lastMicros = Math.max(lastMicros, micros);
        // an hour refills any bucket: the cap keeps the product far from overflowing
        credit = Math.min(BURST * 1_000_000, credit + Math.min(elapsed, 3_600_000_000L) * PER_SECOND);
        if (data.length * 1_000_000L > credit) {
            overBudgetBytes += data.length;
            return false;
        }
        credit -= data.length * 1_000_000L;
        return true;
    }

    long binaryBytes() {
        return binaryBytes;
    }

    long overBudgetBytes() {
        return overBudgetBytes;
    }

    /**
     * Whether the start of {@code data} reads as terminal text: no NUL, no C0 control a terminal does not act on, no
     * byte that cannot be UTF-8 (a sequence cut at either end of the probe is fine). One bad byte in sixteen is
     * allowed, as a line with a stray byte is still worth finding.
     */
    static boolean looksLikeText(byte[] data) {
        int end = Math.min(data.length, PROBE);
        int bad = 0;
        int i = 0;
        // a record may start inside a sequence the previous one began
        while (i < end && i < 3 && (data[i] & 0xC0) == 0x80) {
            i++;
        }
        while (i < end) {
            int b = data[i] & 0xFF;
            if (b < 0x80) {
                if (b < 0x20 && !shown(b) || b == 0x7F) {
                    bad++;
                }
                i++;
                continue;
            }
            int length = b >= 0xC2 && b <= 0xDF ? 2 : b >= 0xE0 && b <= 0xEF ? 3 : b >= 0xF0 && b <= 0xF4 ? 4 : 0;
            int j = i + 1;
            while (length > 0 && j < i + length && j < end && (data[j] & 0xC0) == 0x80) {
                j++;
            }
            if (length == 0 || j < i + length && j < end) {
                bad++;
                i++;
            } else {
                i = j;
            }
        }
        return bad * 16 <= end;
    }

    /** Control characters terminals act on: BEL, BS, TAB, LF, VT, FF, CR, SO, SI, ESC. */
    private static boolean shown(int b) {
        return b >= 0x07 && b <= 0x0F || b == 0x1B;
    }
}
