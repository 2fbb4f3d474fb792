package dev.portcullis.broker.notify;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A team's chat channel through its incoming webhook: Slack and Mattermost (a {@code text} in their own markup, with the
 * Approve and Deny links) or Microsoft Teams (an Adaptive Card with the facts and two Open URL actions). A link only
 * opens the approvals page; nobody approves from the chat itself.
 */
final class ChatChannel implements Channel {

    enum Format {
        SLACK,
        MATTERMOST,
        TEAMS
    }

    private final String name;
    private final URI url;
    private final Format format;
    private final HttpChannels http;
    private final ObjectMapper json;

    ChatChannel(String name, URI url, Format format, HttpChannels http, ObjectMapper json) {
        this.name = name;
        this.url = url;
        this.format = format;
        this.http = http;
        this.json = json;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public boolean carries(NotificationEvent event) {
        return NotificationEvent.CHAT.contains(event);
    }

    @Override
    public void send(Notice notice) throws DeliveryException {
        try {
            http.post(url, json.writeValueAsString(body(notice)), Map.of());
        } catch (JsonProcessingException e) {
            throw new DeliveryException("cannot write the chat message: " + e.getOriginalMessage(), true);
        }
    }

    Map<String, Object> body(Notice notice) {
        MessageText text = MessageText.of(notice);
        Notice.Links links = notice.facts().links();
        boolean decide = notice.event() == NotificationEvent.REQUEST_CREATED
                || notice.event() == NotificationEvent.REQUEST_REMINDER;
        return switch (format) {
            case SLACK ->
                Map.of(
                        "text",
                        "*" + escapeSlack(text.subject()) + "*\n" + escapeSlack(facts(text))
                                + (decide ? "\n<" + links.approve() + "|Approve> · <" + links.deny() + "|Deny>" : "")
                                + "\n<" + links.view() + "|Open the request>");
            case MATTERMOST ->
                Map.of(
                        "text",
                        "**" + escapeMarkdown(text.subject()) + "**\n" + escapeMarkdown(facts(text))
                                + (decide ? "\n[Approve](" + links.approve() + ") · [Deny](" + links.deny() + ")" : "")
                                + "\n[Open the request](" + links.view() + ")");
            case TEAMS -> teams(notice, text, decide);
        };
    }

    private static String facts(MessageText text) {
        // the link lines are given as links of the chat's own markup instead
        return String.join(
                "\n", text.lines().stream().filter(l -> !isLinkLine(l)).toList());
    }

    private static boolean isLinkLine(String line) {
        return line.startsWith("Approve: ")
                || line.startsWith("Deny: ")
                || line.startsWith("Request: ")
                || line.startsWith("The link ");
    }

    private static Map<String, Object> teams(Notice notice, MessageText text, boolean decide) {
        List<Map<String, Object>> facts = new ArrayList<>();
        for (String line : text.lines()) {
            int colon = line.indexOf(": ");
            if (colon > 0 && !isLinkLine(line)) {
                Map<String, Object> fact = new LinkedHashMap<>();
                fact.put("title", line.substring(0, colon));
                fact.put("value", line.substring(colon + 2));
                facts.add(fact);
            }
        }
        List<Map<String, Object>> actions = new ArrayList<>();
        Notice.Links links = notice.facts().links();
        if (decide) {
            actions.add(Map.of("type", "Action.OpenUrl", "title", "Approve", "url", links.approve()));
            actions.add(Map.of("type", "Action.OpenUrl", "title", "Deny", "url", links.deny()));
        }
        actions.add(Map.of("type", "Action.OpenUrl", "title", "Open the request", "url", links.view()));
        Map<String, Object> card = new LinkedHashMap<>();
        card.put("$schema", "http://adaptivecards.io/schemas/adaptive-card.json");
        card.put("type", "AdaptiveCard");
        card.put("version", "1.4");
        card.put(
                "body",
                List.of(
                        Map.of("type", "TextBlock", "text", text.subject(), "weight", "Bolder", "wrap", true),
                        Map.of("type", "FactSet", "facts", facts)));
        card.put("actions", actions);
        return Map.of(
                "type",
                "message",
                "attachments",
                List.of(Map.of("contentType", "application/vnd.microsoft.card.adaptive", "content", card)));
    }

    /** Markdown's link, emphasis and HTML characters: a reason cannot turn into a link. */
    private static String escapeMarkdown(String s) {
        return s.replaceAll("([\\\\\\[\\]*_`<>])", "\\\\$1");
    }

    /** Slack's three control characters; a reason cannot turn into a link or a mention. */
    private static String escapeSlack(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
