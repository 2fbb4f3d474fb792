package dev.portcullis.bastion.db;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The startup message's parameters as the proxy reads them, one case a line, no server. A message is its parameters
 * as {@code name=value} words; {@code NOEND} leaves off the final zero byte, {@code TRAILER} adds a byte after it,
 * {@code MANY} adds 64 more parameters. Which parameters then pass to the server is
 * {@link StartupParameters}' table (StartupParametersTest).
 */
@Tag("unit")
class StartupMessageTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiterString = " ==> ", quoteCharacter = '`', textBlock = """
            user=alice database=db-1                         ==> user=alice,database=db-1
            database=db-1 user=alice application_name=psql   ==> database=db-1,user=alice,application_name=psql
            user=alice options=-cwork_mem=1MB                ==> user=alice,options=-cwork_mem=1MB
            user=                                            ==> user=
            `user=al ice`                                    ==> user=al ice
            user=ålice                                       ==> user=ålice
            ``                                               ==> ``
            user=alice user=bob                              ==> refused: startup parameter 'user' is given twice
            user=alice USER=bob                              ==> user=alice,USER=bob
            user=alice MANY                                  ==> refused: too many startup parameters
            user=alice NOEND                                 ==> refused: a string in a message has no terminating zero
            user=alice TRAILER                               ==> refused: a message has 1 unexpected bytes at its end
            """)
    void reads(String message, String expected) {
        String actual;
        try {
            actual = PgFrontend.startup(body(message)).parameters().entrySet().stream()
                    .map(e -> e.getKey() + "=" + e.getValue())
                    .collect(Collectors.joining(","));
        } catch (PgProtocolException e) {
            actual = "refused: " + e.getMessage();
        }
        assertThat(actual).as(message).startsWith(expected);
        if (!expected.startsWith("refused: ")) {
            assertThat(actual).as(message).isEqualTo(expected);
        }
    }

    /** The body after the protocol version: name, zero, value, zero, ..., and a final zero. */
    private static byte[] body(String message) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        boolean end = true;
        boolean trailer = false;
        for (String word : message.isEmpty() ? new String[0] : message.split(" (?=[A-Za-z_]*=|NOEND|TRAILER|MANY)")) {
            switch (word) {
                case "NOEND" -> end = false;
                case "TRAILER" -> trailer = true;
                case "MANY" -> {
                    for (int i = 0; i < 64; i++) {
                        cstring(b, "p" + i);
                        cstring(b, "v");
                    }
                }
                default -> {
                    int eq = word.indexOf('=');
                    cstring(b, word.substring(0, eq));
                    cstring(b, word.substring(eq + 1));
                }
            }
        }
        if (end) {
            b.write(0);
        }
        if (trailer) {
            b.write('x');
        }
        return b.toByteArray();
    }

    private static void cstring(ByteArrayOutputStream b, String s) {
        b.writeBytes(s.getBytes(StandardCharsets.UTF_8));
        b.write(0);
    }
}
