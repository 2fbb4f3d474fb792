package dev.portcullis.recording;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class Utf8StreamDecoderTest {

    private static final String TEXT = "ascii é ü — ✓ 日本語 🙂 end";

    @Test
    void text_split_at_every_byte_position_decodes_to_the_same_text() {
        byte[] bytes = TEXT.getBytes(StandardCharsets.UTF_8);
        for (int cut = 0; cut <= bytes.length; cut++) {
            Utf8StreamDecoder decoder = new Utf8StreamDecoder();
            String decoded = text(decoder.decode(bytes, 0, cut))
                    + text(decoder.decode(bytes, cut, bytes.length - cut))
                    + text(decoder.finish());
            assertThat(decoded).as("cut at %d", cut).isEqualTo(TEXT);
        }
    }

    @Test
    void text_fed_one_byte_at_a_time_or_in_random_pieces_decodes_to_the_same_text() {
        byte[] bytes = TEXT.getBytes(StandardCharsets.UTF_8);
        Utf8StreamDecoder oneByOne = new Utf8StreamDecoder();
        StringBuilder decoded = new StringBuilder();
        for (int i = 0; i < bytes.length; i++) {
            decoded.append(text(oneByOne.decode(bytes, i, 1)));
        }
        assertThat(decoded.append(text(oneByOne.finish())).toString()).isEqualTo(TEXT);

        Random random = new Random(42);
        for (int round = 0; round < 200; round++) {
            Utf8StreamDecoder decoder = new Utf8StreamDecoder();
            StringBuilder pieces = new StringBuilder();
            int offset = 0;
            while (offset < bytes.length) {
                int length = Math.min(bytes.length - offset, 1 + random.nextInt(5));
                pieces.append(text(decoder.decode(bytes, offset, length)));
                offset += length;
            }
            assertThat(pieces.append(text(decoder.finish())).toString()).isEqualTo(TEXT);
        }
    }

    @Test
    void invalid_bytes_become_replacement_characters_and_the_text_around_them_survives() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        bytes.writeBytes("ok ".getBytes(StandardCharsets.UTF_8));
        bytes.write(0xff); // never valid in UTF-8
        bytes.write(0xc3); // start of a two-byte sequence...
        bytes.write('('); // ...not followed by a continuation byte
        bytes.writeBytes(" é".getBytes(StandardCharsets.UTF_8));
        byte[] data = bytes.toByteArray();

        Utf8StreamDecoder decoder = new Utf8StreamDecoder();
        String decoded = text(decoder.decode(data, 0, 4))
                + text(decoder.decode(data, 4, data.length - 4))
                + text(decoder.finish());

        assertThat(decoded).isEqualTo("ok \uFFFD\uFFFD( é");
    }

    @Test
    void a_sequence_cut_off_by_the_end_of_the_stream_is_replaced_at_finish() {
        byte[] smiley = "🙂".getBytes(StandardCharsets.UTF_8);
        Utf8StreamDecoder decoder = new Utf8StreamDecoder();

        assertThat(decoder.decode(smiley, 0, 2)).isEmpty();
        assertThat(text(decoder.finish())).isEqualTo("\uFFFD");
    }

    @Test
    void random_bytes_in_random_pieces_become_valid_utf8_that_keeps_every_valid_character() {
        Random random = new Random(7);
        byte[] interesting = {
            0x00,
            0x41,
            (byte) 0x7f,
            (byte) 0x80,
            (byte) 0xbf,
            (byte) 0xc0,
            (byte) 0xc1,
            (byte) 0xc2,
            (byte) 0xdf,
            (byte) 0xe0,
            (byte) 0xa0,
            (byte) 0xed,
            (byte) 0x9f,
            (byte) 0xa0,
            (byte) 0xef,
            (byte) 0xf0,
            (byte) 0x90,
            (byte) 0xf4,
            (byte) 0x8f,
            (byte) 0xf5,
            (byte) 0xff,
            (byte) 0x9f,
            (byte) 0x98,
            (byte) 0x80
        };
        for (int round = 0; round < 20_000; round++) {
            byte[] bytes = new byte[random.nextInt(24)];
            for (int i = 0; i < bytes.length; i++) {
                bytes[i] = random.nextBoolean()
                        ? interesting[random.nextInt(interesting.length)]
                        : (byte) random.nextInt(256);
            }
            Utf8StreamDecoder decoder = new Utf8StreamDecoder();
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            int offset = 0;
            while (offset < bytes.length) {
                int length = Math.min(bytes.length - offset, 1 + random.nextInt(4));
                out.writeBytes(decoder.decode(bytes, offset, length));
                offset += length;
            }
            out.writeBytes(decoder.finish());
            byte[] produced = out.toByteArray();
            String hex = java.util.HexFormat.of().formatHex(bytes);
            assertThat(produced)
                    .as("round %d (%s): valid UTF-8", round, hex)
                    .isEqualTo(text(produced).getBytes(StandardCharsets.UTF_8));
            Utf8StreamDecoder whole = new Utf8StreamDecoder();
            java.io.ByteArrayOutputStream once = new java.io.ByteArrayOutputStream();
            once.writeBytes(whole.decode(bytes, 0, bytes.length));
            once.writeBytes(whole.finish());
            assertThat(produced)
                    .as("round %d (%s): pieces decode as the whole", round, hex)
                    .isEqualTo(once.toByteArray());
            // every character Java finds valid is kept, in order; only invalid bytes turn into U+FFFD
            assertThat(text(produced).replace("\uFFFD", ""))
                    .as("round %d (%s)", round, hex)
                    .isEqualTo(new String(bytes, StandardCharsets.UTF_8).replace("\uFFFD", ""));
            if (new String(bytes, StandardCharsets.UTF_8).indexOf('\uFFFD') < 0) {
                assertThat(produced).as("valid input passes unchanged").isEqualTo(bytes);
            }
        }
    }

    private static String text(byte[] utf8) {
        return new String(utf8, StandardCharsets.UTF_8);
    }
}
