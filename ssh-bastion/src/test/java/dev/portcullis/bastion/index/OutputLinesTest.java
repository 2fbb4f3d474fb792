package dev.portcullis.bastion.index;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Terminal output as searchable lines, one case a line. */
@Tag("unit")
class OutputLinesTest {

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("plain lines", "one\r\ntwo\r\n", List.of("one", "two")),
                Arguments.of(
                        "colours removed",
                        "\u001b[01;34mbin\u001b[0m  \u001b[32mrun.sh\u001b[0m\r\n",
                        List.of("bin  run.sh")),
                Arguments.of(
                        "title (OSC) removed",
                        "\u001b]0;alice@web: ~\u0007alice@web:~$ ls\r\n",
                        List.of("alice@web:~$ ls")),
                Arguments.of("a progress bar keeps its last state", "10%\r50%\r100% done\r\n", List.of("100% done")),
                Arguments.of("blank lines dropped", "\r\n\r\n  \r\nx\r\n", List.of("x")),
                Arguments.of("an unfinished line waits", "prompt$ ", List.of()),
                Arguments.of("utf-8", "grüße ✓\n", List.of("grüße ✓")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void linesAsSeen(String name, String output, List<String> expected) {
        assertThat(new OutputLines().feed(output.getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(expected);
        OutputLines bytewise = new OutputLines();
        List<String> lines = new ArrayList<>();
        for (byte b : output.getBytes(StandardCharsets.UTF_8)) {
            lines.addAll(bytewise.feed(new byte[] {b}));
        }
        assertThat(lines).as("one byte at a time").isEqualTo(expected);
    }
}
