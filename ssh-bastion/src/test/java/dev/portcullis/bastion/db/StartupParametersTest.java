package dev.portcullis.bastion.db;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Which startup parameters the proxy passes to the server, one case a line, no server: the client's parameters as
 * {@code name=value} words, then what passes (in order) or the one line the client is refused with. The read-only
 * column says whether a read grant may use that client encoding.
 */
@Tag("unit")
class StartupParametersTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiterString = " ==> ", quoteCharacter = '`', textBlock = """
            user=alice database=db-1                                   ==> ``
            user=alice application_name=psql                           ==> application_name=psql
            user=alice APPLICATION_NAME=psql                           ==> APPLICATION_NAME=psql
            user=alice client_encoding=UTF8 DateStyle=ISO TimeZone=UTC ==> client_encoding=UTF8,DateStyle=ISO,TimeZone=UTC
            user=alice search_path=app statement_timeout=5s            ==> search_path=app,statement_timeout=5s
            user=alice lock_timeout=1s extra_float_digits=3            ==> lock_timeout=1s,extra_float_digits=3
            user=alice idle_in_transaction_session_timeout=10s         ==> idle_in_transaction_session_timeout=10s
            user=alice fallback_application_name=x intervalstyle=iso_8601 ==> fallback_application_name=x,intervalstyle=iso_8601
            user=alice _pq_.command_id=1                               ==> ``
            user=alice options=-cdefault_transaction_read_only=off     ==> refused: startup parameter 'options' is not allowed through the Portcullis proxy (unset PGOPTIONS)
            user=alice OPTIONS=-cwork_mem=1MB                          ==> refused: startup parameter 'OPTIONS' is not allowed through the Portcullis proxy
            user=alice default_transaction_read_only=off               ==> refused: startup parameter 'default_transaction_read_only' is not allowed through the Portcullis proxy
            user=alice replication=database                            ==> refused: startup parameter 'replication' is not allowed through the Portcullis proxy
            user=alice session_authorization=postgres                  ==> refused: startup parameter 'session_authorization' is not allowed through the Portcullis proxy
            user=alice role=postgres                                   ==> refused: startup parameter 'role' is not allowed through the Portcullis proxy
            user=alice standard_conforming_strings=off                 ==> refused: startup parameter 'standard_conforming_strings' is not allowed through the Portcullis proxy
            user=alice application_name=psql search_path=x,y work_mem=1 ==> refused: startup parameter 'work_mem' is not allowed through the Portcullis proxy
            """)
    void passes(String parameters, String expected) {
        String actual;
        try {
            actual = StartupParameters.passed(parse(parameters)).entrySet().stream()
                    .map(e -> e.getKey() + "=" + e.getValue())
                    .collect(Collectors.joining(","));
        } catch (StartupParameters.Refused e) {
            actual = "refused: " + e.getMessage();
        }
        assertThat(actual).as(parameters).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiterString = " ==> ", textBlock = """
            UTF8        ==> allowed
            utf-8       ==> allowed
            LATIN1      ==> allowed
            SQL_ASCII   ==> allowed
            EUC_JP      ==> allowed
            SJIS        ==> refused
            Shift_JIS   ==> refused
            shift-jis   ==> refused
            BIG5        ==> refused
            GBK         ==> refused
            gb18030     ==> refused
            UHC         ==> refused
            WIN949      ==> refused
            JOHAB       ==> refused
            win936      ==> refused
            """)
    void readOnlyEncodings(String encoding, String expected) {
        String unsafe = StartupParameters.unsafeEncoding(Map.of("Client_Encoding", encoding));
        assertThat(unsafe == null ? "allowed" : "refused").as(encoding).isEqualTo(expected);
    }

    private static Map<String, String> parse(String words) {
        Map<String, String> parameters = new LinkedHashMap<>();
        for (String word : words.split(" ")) {
            int eq = word.indexOf('=');
            parameters.put(word.substring(0, eq), word.substring(eq + 1));
        }
        return parameters;
    }
}
