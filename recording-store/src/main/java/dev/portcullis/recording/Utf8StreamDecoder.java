package dev.portcullis.recording;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Decodes a byte stream that arrives in arbitrary pieces. A UTF-8 sequence cut between two pieces
 * is held back until its rest arrives, instead of becoming two replacement characters; bytes that
 * can never be valid UTF-8 become U+FFFD at once. Not thread-safe: one per stream.
 */
final class Utf8StreamDecoder {

    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE)
            .onUnmappableCharacter(CodingErrorAction.REPLACE);
    /** At most three bytes: the start of a sequence whose end has not arrived yet. */
    private byte[] carry = new byte[0];

    String decode(byte[] data, int offset, int length) {
        ByteBuffer in = ByteBuffer.allocate(carry.length + length);
        in.put(carry).put(data, offset, length).flip();
        // One byte never yields more than one char (U+FFFD or BMP); a 4-byte sequence yields two.
        CharBuffer out = CharBuffer.allocate(in.remaining() + 1);
        decoder.decode(in, out, false);
        carry = new byte[in.remaining()];
        in.get(carry);
        return out.flip().toString();
    }

    /** Ends the stream: a sequence still waiting for its rest can only be replaced now. */
    String finish() {
        ByteBuffer in = ByteBuffer.wrap(carry);
        CharBuffer out = CharBuffer.allocate(carry.length + 1);
        decoder.decode(in, out, true);
        decoder.flush(out);
        decoder.reset();
        carry = new byte[0];
        return out.flip().toString();
    }
}
