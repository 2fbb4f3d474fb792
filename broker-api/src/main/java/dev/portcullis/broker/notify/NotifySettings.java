package dev.portcullis.broker.notify;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/** Who is told through which channel, and how the outbox is worked off (README, "Notifications"). */
@ConfigMapping(prefix = "portcullis.notify")
public interface NotifySettings {

    /**
     * Per rule, the channels its notifications go to: {@code rule: channel channel; *: channel}, {@code *} for every
     * other rule. Empty: nobody is told. {@code email} is built in; the others are defined under {@link #channels()}.
     */
    @WithDefault(" ")
    String ruleChannels();

    /** Named chat and webhook channels: {@code portcullis.notify.channels.NAME.kind=slack|mattermost|teams|webhook}. */
    Map<String, ChannelSettings> channels();

    /** Where people open the broker's web UI: the links in messages. */
    @WithDefault("http://127.0.0.1:8080")
    String baseUrl();

    /** The requester is told this long before a grant ends (at its start when the grant is shorter). */
    @WithDefault("10m")
    Duration endingSoonBefore();

    /** Approvers are reminded of a request still pending after this long (never after its pending time ran out). */
    @WithDefault("30m")
    Duration remindAfter();

    /** Attempts per message before it is given up, audited and listed for admins. */
    @WithDefault("8")
    int maxAttempts();

    /** The wait before the first retry; each later one waits twice as long, up to {@link #maxBackoff()}, with jitter. */
    @WithDefault("2s")
    Duration firstBackoff();

    @WithDefault("10m")
    Duration maxBackoff();

    /** Whether this broker sends at all (it still writes the outbox): off on a replica meant only to serve requests. */
    @WithDefault("true")
    boolean send();

    /** How often each broker looks for due messages. */
    @WithDefault("200ms")
    Duration poll();

    /** Messages in flight per broker at once: a dead endpoint holds at most these senders. */
    @WithDefault("16")
    int senders();

    /** A claimed message not reported sent or failed within this long (its broker died) is claimed again. */
    @WithDefault("2m")
    Duration claimFor();

    /** Connect and read timeout of chat and webhook calls. */
    @WithDefault("5s")
    Duration httpTimeout();

    interface ChannelSettings {
        /** slack, mattermost, teams or webhook. */
        String kind();

        /** The incoming webhook's or the receiver's URL (a secret in itself for Slack, Mattermost and Teams). */
        String url();

        /** webhook only: the signing secret in Standard Webhooks' form, {@code whsec_} and base64. */
        Optional<String> secret();
    }
}
