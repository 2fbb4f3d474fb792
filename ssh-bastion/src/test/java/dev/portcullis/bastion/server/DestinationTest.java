package dev.portcullis.bastion.server;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The SSH user name as a destination ({@code login+target}), one case a line, no server: what reaches the broker is
 * only what a policy could name, and anything else is no destination at all.
 */
@Tag("unit")
class DestinationTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiterString = " ==> ", quoteCharacter = '`', nullValues = "NONE", textBlock = """
            ubuntu+prod-web-1                      ==> ubuntu@prod-web-1
            app_ro+db-1                            ==> app_ro@db-1
            _svc+a                                 ==> _svc@a
            deploy.bot-2+web.eu-1_a                ==> deploy.bot-2@web.eu-1_a
            ubuntu+0                               ==> ubuntu@0
            ubuntu                                 ==> NONE
            +prod-web-1                            ==> NONE
            ubuntu+                                ==> NONE
            ubuntu++prod-web-1                     ==> NONE
            ubuntu+prod+web                        ==> NONE
            alice+ubuntu+prod-web-1                ==> NONE
            Ubuntu+prod-web-1                      ==> NONE
            ubuntu+Prod-web-1                      ==> NONE
            1ubuntu+prod-web-1                     ==> NONE
            ubuntu+-prod                           ==> NONE
            ubuntu+.prod                           ==> NONE
            ubuntu+_prod                           ==> NONE
            `ubuntu +prod-web-1`                   ==> NONE
            `ubuntu+prod-web-1 `                   ==> NONE
            ubuntu+prod/web                        ==> NONE
            ubuntu+prod@web                        ==> NONE
            root;id+prod                           ==> NONE
            ubuntu+prod-wéb                        ==> NONE
            ``                                     ==> NONE
            """)
    void parses(String username, String destination) {
        assertThat(Destination.parse(username).map(Destination::toString).orElse(null))
                .as(username)
                .isEqualTo(destination);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiterString = " ==> ", quoteCharacter = '`', textBlock = """
            a                                                                  ==> true
            a23456789012345678901234567890123456789012345678901234567890123    ==> true
            a234567890123456789012345678901234567890123456789012345678901234   ==> false
            prod-web-1                                                         ==> true
            -prod                                                              ==> false
            `prod web`                                                         ==> false
            ``                                                                 ==> false
            """)
    void targetNamesAreAtMost63PolicyCharacters(String target, boolean valid) {
        assertThat(Destination.validTarget(target)).as(target).isEqualTo(valid);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiterString = " ==> ", quoteCharacter = '`', textBlock = """
            ubuntu                                                             ==> true
            _apt                                                               ==> true
            a.b-c_d9                                                           ==> true
            9lives                                                             ==> false
            Root                                                               ==> false
            `ubu ntu`                                                          ==> false
            ubuntu+x                                                           ==> false
            ``                                                                 ==> false
            """)
    void loginsFollowThePolicysRule(String login, boolean valid) {
        assertThat(Destination.validLogin(login)).as(login).isEqualTo(valid);
    }
}
