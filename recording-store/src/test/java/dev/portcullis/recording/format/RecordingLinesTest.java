package dev.portcullis.recording.format;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.portcullis.recording.event.TerminalEvent;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The hand-written terminal line is what Jackson writes (byte for byte, but for characters outside the BMP, which
 * it escapes and we write as UTF-8), so readers and asciinema see no difference.
 */
@Tag("unit")
class RecordingLinesTest {

    @Test
    void terminalLinesMatchJacksonOnRandomText() throws Exception {
        Random random = new Random(20261123);
        String alphabet =
                "abc XYZ 019 \"quoted\" back\\slash \t\n\r\b\f\u0000\u0001\u001b[31m\u007f é ü ß € 日本 \uD83D\uDE00 \uFFFD";
        for (int round = 0; round < 5_000; round++) {
            StringBuilder text = new StringBuilder();
            int length = random.nextInt(200);
            for (int i = 0; i < length; i++) {
                if (random.nextInt(10) == 0) {
                    text.append((char) random.nextInt(0x20)); // every control character
                } else {
                    int at = random.nextInt(alphabet.length());
                    char c = alphabet.charAt(at);
                    if (Character.isHighSurrogate(c)) {
                        text.append(c).append(alphabet.charAt(at + 1));
                    } else if (!Character.isLowSurrogate(c)) {
                        text.append(c);
                    }
                }
            }
            long micros = random.nextInt(4) == 0 ? random.nextInt(1000) : Math.abs(random.nextLong() % 10_000_000_000L);
            TerminalEvent.Type type = TerminalEvent.Type.values()[random.nextInt(TerminalEvent.Type.values().length)];
            byte[] fast = RecordingLines.terminalLine(micros, type, text.toString());
            String expected = new String(jackson(micros, type, text.toString()), StandardCharsets.UTF_8);
            if (text.codePoints().allMatch(Character::isBmpCodePoint)) {
                assertThat(new String(fast, StandardCharsets.UTF_8))
                        .as("round %d", round)
                        .isEqualTo(expected);
            } else {
                // Jackson escapes characters outside the BMP as \\uD83D\\uDE00; raw UTF-8 is as valid and shorter
                assertThat(RecordingJson.MAPPER.readTree(fast))
                        .as("round %d", round)
                        .isEqualTo(RecordingJson.MAPPER.readTree(expected));
            }
            TerminalEvent back = RecordingLines.terminalEvent(new String(fast, StandardCharsets.UTF_8));
            assertThat(back.data()).isEqualTo(text.toString());
        }
    }

    /** Long runs with nothing to escape and a few characters that need it, at every position within an eight-byte word. */
    @Test
    void terminalLinesMatchJacksonOnMostlyPlainTextOfAnyLength() throws Exception {
        Random random = new Random(7);
        String plain = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/ =é€日";
        String special = "\"\\\n\r\t\u0000\u001b\u001f";
        for (int round = 0; round < 3_000; round++) {
            StringBuilder text = new StringBuilder();
            int length = random.nextInt(300);
            for (int i = 0; i < length; i++) {
                text.append(
                        random.nextInt(40) == 0
                                ? special.charAt(random.nextInt(special.length()))
                                : plain.charAt(random.nextInt(plain.length())));
            }
            byte[] fast = RecordingLines.terminalLine(round, TerminalEvent.Type.OUTPUT, text.toString());
            assertThat(new String(fast, StandardCharsets.UTF_8))
                    .as("round %d", round)
                    .isEqualTo(new String(
                            jackson(round, TerminalEvent.Type.OUTPUT, text.toString()), StandardCharsets.UTF_8));
        }
    }

    @Test
    void theWordTestFindsTheFirstByteThatNeedsEscapingAndNoOther() {
        Random random = new Random(11);
        for (int round = 0; round < 200_000; round++) {
            byte[] word = new byte[8];
            random.nextBytes(word);
            if (random.nextBoolean()) {
                for (int i = 0; i < 8; i++) {
                    word[i] = (byte) (0x20 + random.nextInt(0x60)); // printable ASCII, sometimes with one planted byte
                }
                if (random.nextBoolean()) {
                    word[random.nextInt(8)] = (byte) "\"\\\u0000\u001f\n\u007f\u0080\u00ff".charAt(random.nextInt(8));
                }
            }
            int first = -1; // the first byte that needs escaping, -1 for none
            long packed = 0;
            for (int i = 7; i >= 0; i--) {
                int b = word[i] & 0xFF;
                if (b < 0x20 || b == '"' || b == '\\') {
                    first = i;
                }
                packed = packed << 8 | b;
            }
            long mask = RecordingLines.escapeMask(packed);
            assertThat(mask == 0 ? -1 : Long.numberOfTrailingZeros(mask) >>> 3)
                    .as("word %016x", packed)
                    .isEqualTo(first);
        }
    }

    @Test
    void timesKeepMicrosecondsAndLoneSurrogatesNeverBecomeInvalidUtf8() {
        assertThat(new String(RecordingLines.terminalLine(0, TerminalEvent.Type.OUTPUT, "x"), StandardCharsets.UTF_8))
                .isEqualTo("[0.000000,\"o\",\"x\"]");
        assertThat(new String(
                        RecordingLines.terminalLine(3_100_001, TerminalEvent.Type.OUTPUT, "x"), StandardCharsets.UTF_8))
                .isEqualTo("[3.100001,\"o\",\"x\"]");
        assertThat(new String(
                        RecordingLines.terminalLine(1, TerminalEvent.Type.OUTPUT, "a\uD800b"), StandardCharsets.UTF_8))
                .isEqualTo("[0.000001,\"o\",\"a?b\"]");
    }

    private static byte[] jackson(long micros, TerminalEvent.Type type, String data) {
        ArrayNode line = RecordingJson.MAPPER.createArrayNode();
        line.add(RecordingJson.seconds(micros));
        line.add(type.code());
        line.add(data);
        return RecordingJson.bytes(line);
    }
}
