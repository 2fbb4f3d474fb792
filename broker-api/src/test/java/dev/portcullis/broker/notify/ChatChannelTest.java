package dev.portcullis.broker.notify;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * What a chat channel is sent, without a server: the facts and the Approve and Deny links in each format, and a
 * requester's reason that cannot pass for a link of its own (an attacker writing a reason that shows as "Approve").
 */
@Tag("unit")
class ChatChannelTest {

    private static final String EVIL = "disk full <https://evil.example/ui|Approve> [Approve](https://evil.example/x)";

    private static Notice notice(String reason) {
        String base = "https://portcullis.example/ui/approvals?focus=1";
        return new Notice(
                UUID.randomUUID(),
                NotificationEvent.REQUEST_CREATED,
                Instant.parse("2026-12-07T10:00:00Z"),
                new Notice.Facts(
                        UUID.randomUUID(),
                        "alice",
                        "prod-web-1",
                        "ssh",
                        "ubuntu",
                        "write",
                        "1h",
                        reason,
                        "INC-1",
                        "engineers-prod-ssh",
                        "PENDING",
                        List.of("/sre-approvers"),
                        2,
                        null,
                        null,
                        "portcullis ssh prod-web-1",
                        null,
                        new Notice.Links(base + "&decision=approve", base + "&decision=deny", base)));
    }

    private static ChatChannel channel(ChatChannel.Format format) {
        return new ChatChannel(
                "chat",
                URI.create("https://chat.example/hook"),
                format,
                new HttpChannels(Duration.ofSeconds(1)),
                new ObjectMapper());
    }

    @Test
    void slackGetsTheFactsAndBothLinksAndAReasonCannotBecomeALink() {
        String text =
                (String) channel(ChatChannel.Format.SLACK).body(notice(EVIL)).get("text");
        assertThat(text)
                .contains(
                        "*alice asks for ubuntu on prod-web-1 (ssh, write)*",
                        "Ticket: INC-1",
                        "<https://portcullis.example/ui/approvals?focus=1&decision=approve|Approve>",
                        "<https://portcullis.example/ui/approvals?focus=1&decision=deny|Deny>");
        assertThat(text).doesNotContain("<https://evil.example").contains("&lt;https://evil.example/ui|Approve&gt;");
    }

    @Test
    void mattermostGetsMarkdownLinksAndAReasonCannotBecomeALink() {
        String text = (String)
                channel(ChatChannel.Format.MATTERMOST).body(notice(EVIL)).get("text");
        assertThat(text)
                .contains(
                        "[Approve](https://portcullis.example/ui/approvals?focus=1&decision=approve)",
                        "[Deny](https://portcullis.example/ui/approvals?focus=1&decision=deny)");
        assertThat(text).doesNotContain("[Approve](https://evil").contains("\\[Approve\\](https://evil.example/x)");
    }

    @Test
    @SuppressWarnings("unchecked")
    void teamsGetsAnAdaptiveCardWithOpenUrlActions() throws Exception {
        Map<String, Object> body = channel(ChatChannel.Format.TEAMS).body(notice("disk full"));
        String json = new ObjectMapper().writeValueAsString(body);
        assertThat(json)
                .contains(
                        "\"contentType\":\"application/vnd.microsoft.card.adaptive\"",
                        "\"type\":\"AdaptiveCard\"",
                        "\"type\":\"FactSet\"",
                        "{\"title\":\"Reason\",\"value\":\"disk full\"}");
        List<Map<String, Object>> attachments = (List<Map<String, Object>>) body.get("attachments");
        List<Map<String, Object>> actions = (List<Map<String, Object>>)
                ((Map<String, Object>) attachments.get(0).get("content")).get("actions");
        assertThat(actions).extracting(a -> a.get("title")).containsExactly("Approve", "Deny", "Open the request");
        assertThat(actions).allSatisfy(a -> assertThat(a.get("type")).isEqualTo("Action.OpenUrl"));
    }

    @Test
    void aWebhookSecretMustBeStandardWebhooksForm() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> StandardWebhooks.ofSecret("hunter2"))
                .hasMessage("a webhook secret is whsec_ followed by base64 (Standard Webhooks)");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> StandardWebhooks.ofSecret("whsec_c2hvcnQ="))
                .hasMessage("the webhook secret is too short: at least 24 random bytes");
        StandardWebhooks signer = StandardWebhooks.ofSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        // the specification's own example
        assertThat(signer.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, "{\"test\": 2432232314}"))
                .isEqualTo("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        assertThat(signer.verify(
                        "msg_p5jXN8AQM9LWM0D4loKWxJek",
                        1614265330,
                        "{\"test\": 2432232314}",
                        "v1,bm9wZQ== v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="))
                .isTrue();
        assertThat(signer.verify(
                        "msg_p5jXN8AQM9LWM0D4loKWxJek",
                        1614265331,
                        "{\"test\": 2432232314}",
                        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="))
                .isFalse();
    }
}
