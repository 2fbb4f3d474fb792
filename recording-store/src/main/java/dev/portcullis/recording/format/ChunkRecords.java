package dev.portcullis.recording.format;

/**
 * The payload of a format-3 chunk (before compression): records one after another, each
 * {@code tag, time delta, length, bytes}. The tag is one byte naming the stream; the delta is the record's time in
 * microseconds minus the previous record's (the chunk's first time for the first record), and the length the number
 * of bytes that follow; both are unsigned LEB128 varints. Terminal and exec bytes are stored exactly as they
 * crossed the channel; structured events are their JSON line (the same line formats 1 and 2 store).
 */
public final class ChunkRecords {

    /** The stream a record belongs to; the tag bytes are part of the on-disk format. */
    public enum Kind {
        /** Bytes to the user's terminal: terminal output, or an exec channel's stdout. */
        OUTPUT('o'),
        /** Bytes from the user (stored only when the recording records input). */
        INPUT('i'),
        /** An exec channel's stderr (SSH extended data), kept apart from stdout. */
        ERROR('e'),
        /** The terminal's new size, as ASCII {@code COLSxROWS}. */
        RESIZE('r'),
        /** A structured event's JSON line. */
        EVENT('j');

        private final byte tag;

        Kind(char tag) {
            this.tag = (byte) tag;
        }

        public byte tag() {
            return tag;
        }

        static Kind ofTag(byte tag) throws MalformedRecordingException {
            for (Kind kind : values()) {
                if (kind.tag == tag) {
                    return kind;
                }
            }
            throw new MalformedRecordingException("unknown record tag " + (tag & 0xFF));
        }
    }

    /** The most bytes a record header takes: tag, a 64-bit varint delta and a 32-bit varint length. */
    public static final int MAX_HEADER = 1 + 10 + 5;

    /** One record as read: {@code payload[offset, offset + length)} is its data (no copy). */
    public record Entry(long micros, Kind kind, byte[] payload, int offset, int length) {

        public byte[] data() {
            return java.util.Arrays.copyOfRange(payload, offset, offset + length);
        }
    }

    /** Receives the records of a chunk in order. */
    @FunctionalInterface
    public interface Visitor {
        void record(Entry entry) throws java.io.IOException;
    }

    private ChunkRecords() {}

    /**
     * Writes a record header at {@code at} (room for {@link #MAX_HEADER} bytes must be there); the caller copies the
     * data after it.
     *
     * @return the position after the header
     */
    public static int writeHeader(byte[] out, int at, Kind kind, long deltaMicros, int length) {
        if (deltaMicros < 0 || length < 0) {
            throw new IllegalArgumentException("time must not run backwards and lengths are not negative");
        }
        out[at++] = kind.tag;
        at = varint(out, at, deltaMicros);
        return varint(out, at, length);
    }

    private static int varint(byte[] out, int at, long value) {
        while ((value & ~0x7FL) != 0) {
            out[at++] = (byte) ((value & 0x7F) | 0x80);
            value >>>= 7;
        }
        out[at++] = (byte) value;
        return at;
    }

    /**
     * Reads every record of a payload, checking that it parses to its last byte and that the times end where the
     * chunk's header says.
     */
    public static void read(byte[] payload, long firstMicros, long lastMicros, Visitor visitor)
            throws java.io.IOException {
        long micros = firstMicros;
        int at = 0;
        boolean first = true;
        while (at < payload.length) {
            Kind kind = Kind.ofTag(payload[at++]);
            long[] delta = new long[1];
            at = readVarint(payload, at, delta, 63);
            if (first && delta[0] != 0) {
                throw new MalformedRecordingException("the chunk's first record is not at its first time");
            }
            first = false;
            long[] length = new long[1];
            at = readVarint(payload, at, length, 31);
            if (length[0] > payload.length - at) {
                throw new MalformedRecordingException("a record runs past the end of its chunk");
            }
            micros = Math.addExact(micros, delta[0]);
            visitor.record(new Entry(micros, kind, payload, at, (int) length[0]));
            at += (int) length[0];
        }
        if (micros != lastMicros) {
            throw new MalformedRecordingException(
                    "the chunk's records end at " + micros + " µs, its header says " + lastMicros);
        }
    }

    private static int readVarint(byte[] in, int at, long[] value, int maxBits) throws MalformedRecordingException {
        long result = 0;
        for (int shift = 0; shift <= maxBits; shift += 7) {
            if (at >= in.length) {
                throw new MalformedRecordingException("a record is cut off");
            }
            int b = in[at++] & 0xFF;
            result |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                if (result < 0 || (maxBits < 63 && result >>> maxBits != 0)) {
                    throw new MalformedRecordingException("a record's varint is out of range");
                }
                value[0] = result;
                return at;
            }
        }
        throw new MalformedRecordingException("a record's varint is too long");
    }
}
