package dev.portcullis.recording;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Turns a byte stream that arrives in arbitrary pieces into valid UTF-8, without going through Java strings (this
 * runs for every packet of every session). A sequence cut between two pieces is held back until its rest arrives
 * instead of becoming two replacement characters; bytes that can never be valid UTF-8 become U+FFFD at once, one
 * per maximal invalid subpart as Unicode recommends (Python and browsers do the same; Java's decoder merges a few
 * surrogate-range cases into one). Not thread-safe: one per stream. Recordings store the bytes; readers decode them
 * with this when they export asciicast text.
 */
public final class Utf8StreamDecoder {

    private static final byte[] REPLACEMENT = {(byte) 0xEF, (byte) 0xBF, (byte) 0xBD};
    private static final byte[] NONE = new byte[0];
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    /** At most three bytes: the valid start of a sequence whose end has not arrived yet. */
    private byte[] carry = NONE;
    /** Some byte so far was not valid UTF-8 and became U+FFFD. */
    private boolean replaced;

    /** @return the valid UTF-8 that these bytes complete, with invalid bytes replaced by U+FFFD */
    public byte[] decode(byte[] data, int offset, int length) {
        byte[] in;
        int start;
        int end;
        if (carry.length == 0) {
            in = data;
            start = offset;
            end = offset + length;
        } else {
            in = Arrays.copyOf(carry, carry.length + length);
            System.arraycopy(data, offset, in, carry.length, length);
            start = 0;
            end = in.length;
        }
        byte[] out = null;
        int n = 0;
        int i = start;
        int copyFrom = start;
        while (i < end) {
            if (i + 8 <= end && ((long) LONGS.get(in, i) & 0x8080808080808080L) == 0) {
                i += 8; // eight ASCII bytes at once
                continue;
            }
            int b = in[i] & 0xFF;
            if (b < 0x80) {
                i++;
                continue;
            }
            int valid = validPrefix(in, i, end);
            int need = sequenceLength(b);
            if (valid == need) {
                i += need;
                continue;
            }
            if (i + valid == end && valid > 0) {
                break; // a valid start cut off by the end of this piece: wait for the rest
            }
            // a maximal invalid subpart: the valid prefix (or the lone bad byte) becomes one U+FFFD
            if (out == null) {
                out = new byte[(end - start) + 3 * 4];
            }
            replaced = true;
            int run = i - copyFrom;
            out = room(out, n, run + 3);
            System.arraycopy(in, copyFrom, out, n, run);
            n += run;
            System.arraycopy(REPLACEMENT, 0, out, n, 3);
            n += 3;
            i += Math.max(1, valid);
            copyFrom = i;
        }
        carry = i < end ? Arrays.copyOfRange(in, i, end) : NONE;
        if (out == null) {
            return Arrays.copyOfRange(in, start, i);
        }
        int run = i - copyFrom;
        out = room(out, n, run);
        System.arraycopy(in, copyFrom, out, n, run);
        return Arrays.copyOf(out, n + run);
    }

    /** Ends the stream: a sequence still waiting for its rest can only be replaced now. */
    public byte[] finish() {
        byte[] result = carry.length == 0 ? NONE : REPLACEMENT.clone();
        replaced |= carry.length > 0;
        carry = NONE;
        return result;
    }

    /** Whether any byte decoded so far (or cut off by {@link #finish}) had to become U+FFFD. */
    public boolean replaced() {
        return replaced;
    }

    private static int sequenceLength(int lead) {
        if (lead >= 0xC2 && lead <= 0xDF) {
            return 2;
        }
        if (lead >= 0xE0 && lead <= 0xEF) {
            return 3;
        }
        if (lead >= 0xF0 && lead <= 0xF4) {
            return 4;
        }
        return 1; // 0x80-0xC1, 0xF5-0xFF: never valid
    }

    /**
     * How many bytes from {@code i} form a valid (possibly incomplete) sequence: 0 for a byte that cannot start one,
     * otherwise the count of bytes up to the first that does not fit (RFC 3629 table, with the ranges that exclude
     * overlong forms, surrogates and code points above U+10FFFF).
     */
    private static int validPrefix(byte[] in, int i, int end) {
        int lead = in[i] & 0xFF;
        int need = sequenceLength(lead);
        if (need == 1) {
            return 0;
        }
        int k = 1;
        while (k < need && i + k < end) {
            int c = in[i + k] & 0xFF;
            int low = 0x80;
            int high = 0xBF;
            if (k == 1) {
                if (lead == 0xE0) {
                    low = 0xA0;
                } else if (lead == 0xED) {
                    high = 0x9F;
                } else if (lead == 0xF0) {
                    low = 0x90;
                } else if (lead == 0xF4) {
                    high = 0x8F;
                }
            }
            if (c < low || c > high) {
                return k;
            }
            k++;
        }
        return k;
    }

    private static byte[] room(byte[] out, int used, int more) {
        return used + more <= out.length ? out : Arrays.copyOf(out, Math.max(out.length * 2, used + more));
    }
}
