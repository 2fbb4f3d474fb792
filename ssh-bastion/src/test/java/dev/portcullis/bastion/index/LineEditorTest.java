package dev.portcullis.bastion.index;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The line reconstructor, one case a line: keystrokes as a terminal sends them (readline's default emacs keys, xterm
 * escape sequences) and the lines a shell would have run. A line ending in {@code ?} is one the keystrokes do not fully
 * determine (certain=false).
 */
@Tag("unit")
class LineEditorTest {

    private static final String BS = "\u007f";
    private static final String LEFT = "\u001b[D";
    private static final String RIGHT = "\u001b[C";
    private static final String UP = "\u001b[A";
    private static final String DOWN = "\u001b[B";

    static Stream<Arguments> cases() {
        return Stream.of(
                c("plain line", "ls -la\r", "ls -la"),
                c("newline instead of return", "uptime\n", "uptime"),
                c(
                        "backspace in the middle of a word",
                        "rm -rf /var/lib/pstgres" + BS.repeat(6) + "ostgres\r",
                        "rm -rf /var/lib/postgres"),
                c("ctrl-h is a backspace too", "catt\bx /etc/hosts\r", "catx /etc/hosts"),
                c("backspace past the start does nothing", BS + BS + "id\r", "id"),
                c("ctrl-u kills the line before the cursor", "rm -rf /\u0015echo safe\r", "echo safe"),
                c(
                        "ctrl-w kills the word before the cursor",
                        "sudo rm -rf /tmp/x\u0017/var/tmp/y\r",
                        "sudo rm -rf /var/tmp/y"),
                c("ctrl-w skips trailing spaces first", "git push  origin  \u0017\r", "git push  "),
                c("ctrl-k kills to the end", "echo hello world" + LEFT.repeat(6) + "\u000b\r", "echo hello"),
                c("ctrl-y yanks what was killed", "world\u0015hello \u0019\r", "hello world"),
                c("left arrow then insert", "sytemctl" + LEFT.repeat(6) + "s\r", "systemctl"),
                c("right arrow moves back", "ab" + LEFT + LEFT + RIGHT + "X\r", "aXb"),
                c("home and end keys", "bc\u001b[Ha\u001b[Fd\r", "abcd"),
                c("ctrl-a and ctrl-e", "bc\u0001a\u0005d\r", "abcd"),
                c("application-mode arrows (SS3)", "ac\u001bODb\r", "abc"),
                c("delete key removes under the cursor", "abXc" + LEFT + LEFT + "\u001b[3~\r", "abc"),
                c("ctrl-d deletes under the cursor", "abXc" + LEFT + LEFT + "\u0004\r", "abc"),
                c("alt-b moves a word back", "echo world\u001bbhello \r", "echo hello world"),
                c("alt-backspace kills a word", "echo one two\u001b" + BS + "three\r", "echo one three"),
                c("ctrl-left moves a word back", "cp b\u001b[1;5Da \r", "cp a b"),
                c("ctrl-c abandons the line", "rm -rf /\u0003whoami\r", "whoami"),
                c("blank lines make no line", "\r   \r", null),
                c(
                        "up recalls the previous line",
                        "systemctl status nginx\r" + UP + "\r",
                        "systemctl status nginx|systemctl status nginx"),
                c(
                        "up then edit the recalled line",
                        "systemctl status nginx\r" + UP + "\u0017" + "\u0017restart nginx\r",
                        "systemctl status nginx|systemctl restart nginx"),
                c("up twice, down once", "one\rtwo\r" + UP + UP + DOWN + "\r", "one|two|two"),
                c("down past the newest restores the draft", "one\rdra" + UP + DOWN + "ft\r", "one|draft"),
                c("ctrl-p and ctrl-n are up and down", "one\rtwo\r\u0010\u0010\u000e\r", "one|two|two"),
                c("up beyond this session's history is unknown", UP + " --force\r", " --force?"),
                c("tab completion is unknown", "cat /etc/pass\t\r", "cat /etc/pass?"),
                c("ctrl-r search is unknown", "\u0012nginx\r", "nginx?"),
                c("an unknown key is unknown", "ls\u001b[99zx\r", "lsx?"),
                c("bracketed paste inserts text as is", "\u001b[200~echo a\u0017b\u001b[201~\r", "echo ab"),
                c("utf-8 text", "echo grüße ✓\r", "echo grüße ✓"),
                c("backspace removes a whole character", "echo ü" + BS + "u\r", "echo u"),
                c("several lines in one piece", "cd /tmp\rls\rpwd\r", "cd /tmp|ls|pwd"),
                c("page up and insert change nothing", "ab\u001b[5~\u001b[2~c\r", "abc"));
    }

    /** @param expected lines separated by |, each ending in ? when uncertain; null for none */
    private static Arguments c(String name, String keys, String expected) {
        return Arguments.of(name, keys, expected);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void rebuildsTheLine(String name, String keys, String expected) {
        LineEditor editor = new LineEditor();
        List<String> lines = editor.feed(keys.getBytes(StandardCharsets.UTF_8)).stream()
                .map(l -> l.text() + (l.certain() ? "" : "?"))
                .toList();
        assertThat(lines).as(name).isEqualTo(expected == null ? List.of() : List.of(expected.split("\\|")));
    }

    @ParameterizedTest(name = "{0}, one byte at a time")
    @MethodSource("cases")
    void rebuildsTheLineFromSinglePieces(String name, String keys, String expected) {
        LineEditor editor = new LineEditor();
        List<String> lines = new java.util.ArrayList<>();
        for (byte b : keys.getBytes(StandardCharsets.UTF_8)) {
            editor.feed(new byte[] {b}).forEach(l -> lines.add(l.text() + (l.certain() ? "" : "?")));
        }
        assertThat(lines).as(name).isEqualTo(expected == null ? List.of() : List.of(expected.split("\\|")));
    }
}
