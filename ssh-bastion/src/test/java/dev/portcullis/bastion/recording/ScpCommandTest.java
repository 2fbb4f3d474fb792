package dev.portcullis.bastion.recording;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Which exec commands are scp transfers (content not in the terminal recording): one line per case, no server. */
@Tag("unit")
class ScpCommandTest {

    /** command, then the transfer it is ("UPLOAD path", "DOWNLOAD path"), or null for an ordinary command. */
    static Stream<Arguments> cases() {
        return Stream.of(
                // what OpenSSH's scp -O sends
                row("scp -t /tmp/x.bin", "UPLOAD /tmp/x.bin"),
                row("scp -f /tmp/x.bin", "DOWNLOAD /tmp/x.bin"),
                row("scp -v -r -p -d -t /tmp/dir", "UPLOAD /tmp/dir"),
                row("scp -p -f report.txt", "DOWNLOAD report.txt"),
                row("scp -t -- -odd-name", "UPLOAD -odd-name"),
                row("scp -pt /tmp/x", "UPLOAD /tmp/x"),
                row("scp -t '/tmp/with space'", "UPLOAD /tmp/with space"),
                row("scp -t \"/tmp/with space\"", "UPLOAD /tmp/with space"),
                row("scp  -t\t/tmp/x", "UPLOAD /tmp/x"),
                // the attack: a disguised scp runs something else with unrecorded data
                row("scp -f x || sh", null),
                row("scp -f x; sh", null),
                row("scp -f x && sh", null),
                row("scp -f x | sh", null),
                row("scp -f x & sh", null),
                row("scp -t x\nsh", null),
                row("scp -t $(sh)", null),
                row("scp -t `sh`", null),
                row("scp -t x > /dev/null", null),
                row("scp -t x < /etc/passwd", null),
                row("scp -t (x)", null),
                row("scp -t 'x;sh'", null),
                row("scp -t \"x$(id)\"", null),
                row("scp -t x\\ y", null),
                row("scp -t 'unterminated", null),
                row("scp -t x sh", null),
                row("scp -t -f x", null),
                row("scp -tt x", null),
                row("scp -S /tmp/evil -t x", null),
                row("scp -o ProxyCommand=sh -t x", null),
                row("scp --help -t x", null),
                row("scp -t", null),
                row("scp -t -x", null),
                row("scp -t ''", null),
                row("scp x", null),
                row("/tmp/scp -t x", null),
                row("/usr/bin/scp -t x", null),
                row("FOO=1 scp -t x", null),
                row("sh -c 'scp -t x'", null),
                row("exec scp -t x", null),
                row("scp -t x # comment", null),
                row("scp -f *", null),
                row("", null),
                row(null, null));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void parses(String command, String expected) {
        String actual = ScpCommand.parse(command)
                .map(c -> c.direction() + " " + c.path())
                .orElse(null);
        assertThat(actual).as(String.valueOf(command)).isEqualTo(expected);
    }

    private static Arguments row(String command, String expected) {
        return Arguments.of(command, expected);
    }
}
