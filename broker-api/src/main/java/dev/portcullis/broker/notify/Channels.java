package dev.portcullis.broker.notify;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.mailer.Mailer;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The configured channels, and which of them each rule's notifications go to ({@code portcullis.notify.rule-channels}).
 * A setting that names an unknown channel, a channel of an unknown kind, a bad URL or a webhook without a proper secret
 * stops the broker at start with one line saying which: nothing is silently left untold.
 */
@ApplicationScoped
public class Channels {

    private final Map<String, Channel> byName = new LinkedHashMap<>();
    private final Map<String, List<Channel>> byRule = new LinkedHashMap<>();

    @Inject
    public Channels(NotifySettings settings, Mailer mailer, Recipients recipients, ObjectMapper json) {
        HttpChannels http = new HttpChannels(settings.httpTimeout());
        byName.put(EmailChannel.NAME, new EmailChannel(mailer, recipients));
        settings.channels().forEach((name, c) -> {
            if (EmailChannel.NAME.equals(name)) {
                throw new IllegalStateException(
                        "portcullis.notify.channels.email: 'email' is the built-in mail channel");
            }
            URI url = url(name, c.url());
            Channel channel = switch (c.kind().toLowerCase(Locale.ROOT)) {
                case "slack" -> new ChatChannel(name, url, ChatChannel.Format.SLACK, http, json);
                case "mattermost" -> new ChatChannel(name, url, ChatChannel.Format.MATTERMOST, http, json);
                case "teams" -> new ChatChannel(name, url, ChatChannel.Format.TEAMS, http, json);
                case "webhook" -> new WebhookChannel(name, url, signer(name, c.secret()), http, json);
                default ->
                    throw new IllegalStateException("portcullis.notify.channels." + name + ".kind: '" + c.kind()
                            + "' is none of slack, mattermost, teams, webhook");
            };
            byName.put(name, channel);
        });
        parse(settings.ruleChannels()).forEach((rule, names) -> {
            List<Channel> channels = new ArrayList<>();
            for (String name : names) {
                Channel channel = byName.get(name);
                if (channel == null) {
                    throw new IllegalStateException("portcullis.notify.rule-channels: rule " + rule + " names channel '"
                            + name + "', which is neither 'email' nor defined under portcullis.notify.channels");
                }
                channels.add(channel);
            }
            byRule.put(rule, List.copyOf(channels));
        });
    }

    /** The channels of this rule's notifications: its own entry, else the {@code *} entry, else none. */
    public List<Channel> forRule(String rule) {
        List<Channel> own = byRule.get(rule);
        return own != null ? own : byRule.getOrDefault("*", List.of());
    }

    /** Whether any rule's channels carry such events. */
    public boolean anyCarries(NotificationEvent event) {
        return byRule.values().stream().flatMap(List::stream).anyMatch(c -> c.carries(event));
    }

    public Optional<Channel> named(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /** {@code rule: channel channel; *: channel}; blank: no entries. */
    static Map<String, List<String>> parse(String text) {
        Map<String, List<String>> parsed = new LinkedHashMap<>();
        for (String entry : text.split(";")) {
            if (entry.isBlank()) {
                continue;
            }
            int colon = entry.indexOf(':');
            String rule = colon < 0 ? "" : entry.substring(0, colon).trim();
            List<String> names = colon < 0
                    ? List.of()
                    : List.of(entry.substring(colon + 1).trim().split("[\\s,]+"));
            if (rule.isEmpty() || names.isEmpty() || names.get(0).isEmpty() || parsed.put(rule, names) != null) {
                throw new IllegalStateException("portcullis.notify.rule-channels: '" + entry.trim()
                        + "' is not 'rule: channel channel' (each rule once; * for every other rule)");
            }
        }
        return parsed;
    }

    private static URI url(String name, String value) {
        try {
            URI url = URI.create(value.trim());
            if (!"https".equals(url.getScheme()) && !"http".equals(url.getScheme()) || url.getHost() == null) {
                throw new IllegalArgumentException("not an http(s) URL");
            }
            return url;
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("portcullis.notify.channels." + name + ".url: not an http(s) URL");
        }
    }

    private static StandardWebhooks signer(String name, Optional<String> secret) {
        try {
            return StandardWebhooks.ofSecret(secret.orElse(null));
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("portcullis.notify.channels." + name + ".secret: " + e.getMessage());
        }
    }
}
