package dev.portcullis.recording;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class Utf8StreamDecoderTest {

    private static final String TEXT = "ascii é ü — ✓ 日本語 🙂 end";

    @Test
    void text_split_at_every_byte_position_decodes_to_the_same_text() {
        byte[] bytes = TEXT.getBytes(StandardCharsets.UTF_8);
        for (int cut = 0; cut <= bytes.length; cut++) {
            Utf8StreamDecoder decoder = new Utf8StreamDecoder();
            String decoded = decoder.decode(bytes, 0, cut) + decoder.decode(bytes, cut, bytes.length - cut) + decoder.finish();
            assertThat(decoded).as("cut at %d", cut).isEqualTo(TEXT);
        }
    }

    @Test
    void text_fed_one_byte_at_a_time_or_in_random_pieces_decodes_to_the_same_text() {
        byte[] bytes = TEXT.getBytes(StandardCharsets.UTF_8);
        Utf8StreamDecoder oneByOne = new Utf8StreamDecoder();
        StringBuilder decoded = new StringBuilder();
        for (int i = 0; i < bytes.length; i++) {
            decoded.append(oneByOne.decode(bytes, i, 1));
        }
        assertThat(decoded.append(oneByOne.finish()).toString()).isEqualTo(TEXT);

        Random random = new Random(42);
        for (int round = 0; round < 200; round++) {
            Utf8StreamDecoder decoder = new Utf8StreamDecoder();
            StringBuilder pieces = new StringBuilder();
            int offset = 0;
            while (offset < bytes.length) {
                int length = Math.min(bytes.length - offset, 1 + random.nextInt(5));
                pieces.append(decoder.decode(bytes, offset, length));
                offset += length;
            }
            assertThat(pieces.append(decoder.finish()).toString()).isEqualTo(TEXT);
        }
    }

    @Test
    void invalid_bytes_become_replacement_characters_and_the_text_around_them_survives() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        bytes.writeBytes("ok ".getBytes(StandardCharsets.UTF_8));
        bytes.write(0xff);                       // never valid in UTF-8
        bytes.write(0xc3);                       // start of a two-byte sequence...
        bytes.write('(');                        // ...not followed by a continuation byte
        bytes.writeBytes(" é".getBytes(StandardCharsets.UTF_8));
        byte[] data = bytes.toByteArray();

        Utf8StreamDecoder decoder = new Utf8StreamDecoder();
        String decoded = decoder.decode(data, 0, 4) + decoder.decode(data, 4, data.length - 4) + decoder.finish();

        assertThat(decoded).isEqualTo("ok \uFFFD\uFFFD( é");
    }

    @Test
    void a_sequence_cut_off_by_the_end_of_the_stream_is_replaced_at_finish() {
        byte[] smiley = "🙂".getBytes(StandardCharsets.UTF_8);
        Utf8StreamDecoder decoder = new Utf8StreamDecoder();

        assertThat(decoder.decode(smiley, 0, 2)).isEmpty();
        assertThat(decoder.finish()).isEqualTo("\uFFFD");
    }
}
