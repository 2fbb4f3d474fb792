package dev.portcullis.bastion.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.workflow.port.GrantAuthority;
import dev.portcullis.workflow.port.GrantAuthority.Ask;
import dev.portcullis.workflow.port.GrantAuthority.Refused;
import dev.portcullis.workflow.port.GrantAuthority.Use;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * How many of a person's refused asks reach the broker: no server, a broker that refuses everyone, a clock set by
 * hand.
 */
@Tag("unit")
class RefusalBackoffTest {

    private final AtomicInteger asked = new AtomicInteger();
    private Instant now = Instant.parse("2026-01-01T00:00:00Z");
    private final GrantAuthority broker = ask -> {
        asked.incrementAndGet();
        return new Refused("no_grant", "no active grant for " + ask.login() + "@" + ask.target());
    };
    private final RefusalBackoff backoff = new RefusalBackoff(broker, Duration.ofSeconds(5), new Clock() {
        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    });

    private static Ask ask(String person, String login) {
        return new Ask(person, "web", login, Use.EXEC);
    }

    @Test
    void theSameAskReachesTheBrokerThreeTimesPerBackoff() {
        for (int i = 0; i < 10; i++) {
            assertThat(backoff.authorize(ask("mallory", "root")))
                    .isEqualTo(new Refused("no_grant", "no active grant for root@web"));
        }
        assertThat(asked).hasValue(3);
        now = now.plusSeconds(6);
        backoff.authorize(ask("mallory", "root"));
        assertThat(asked).as("after the back-off the broker is asked again").hasValue(4);
    }

    @Test
    void aPersonRefusedTwentyTimesIsRefusedFromMemory() {
        for (int i = 0; i < 40; i++) {
            backoff.authorize(ask("mallory", "l" + i));
        }
        assertThat(asked).hasValue(RefusalBackoff.ANY);
        assertThat(backoff.authorize(ask("mallory", "other")))
                .isEqualTo(new Refused(
                        "too_many_refusals", "you were refused 20 times in a row; wait 5 s before trying again"));
        backoff.authorize(ask("alice", "root"));
        assertThat(asked).as("someone else is asked about as ever").hasValue(RefusalBackoff.ANY + 1);
    }

    @Test
    void anUnreachableBrokerIsNeverRemembered() {
        GrantAuthority down = ask -> {
            asked.incrementAndGet();
            throw new GrantAuthority.AuthorityUnavailableException("down", null);
        };
        RefusalBackoff b = new RefusalBackoff(down, Duration.ofSeconds(5), Clock.systemUTC());
        for (int i = 0; i < 5; i++) {
            try {
                b.authorize(ask("alice", "root"));
            } catch (GrantAuthority.AuthorityUnavailableException expected) {
                // an unreachable broker is not a refusal
            }
        }
        assertThat(asked).hasValue(5);
    }
}
