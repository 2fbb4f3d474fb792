package dev.portcullis.deploy;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.options.AriaRole;
import dev.portcullis.local.LocalKeycloak;
import dev.portcullis.local.LocalSmtp;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 19's story end to end: a broker process mails through a real SMTP server (GreenMail on loopback); alice
 * requests; bob's mailbox has the request with its Approve link; bob follows it in Debian's Chromium, signs in on
 * Keycloak's page, lands on the request and approves it there; the same link followed by alice, by a non-approver
 * (dave) or after the request ended changes nothing and says why; alice is mailed when her grant starts and before
 * it ends. Screenshots of a failing test go to target/screenshots/notify.
 */
class NotificationEndToEndTest {

    private static final Path SCREENSHOTS = Path.of("target", "screenshots", "notify");
    /** Bounds the waits for mail; a wait, never a figure (the benchmark measures the delay). */
    private static final Duration PATIENCE = Duration.ofSeconds(60);

    private static final Pattern APPROVE_LINK =
            Pattern.compile("Approve: (\\S+/ui/approvals\\?focus=[0-9a-f-]+&decision=approve)");

    private static SystemStack stack;
    private static LocalKeycloak keycloak;
    private static LocalSmtp smtp;
    private static BrokerProcess broker;
    private static Chromium chromium;

    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void stack() throws Exception {
        stack = SystemStack.prepare("notify-e2e");
        keycloak = stack.keycloak;
        smtp = LocalSmtp.shared();
        broker = stack.startBroker(
                "notify_e2e",
                """
                version: 1
                targets:
                  - {name: prod-web-1, kind: ssh, host: 127.0.0.1, port: %d, labels: {env: prod}}
                rules:
                  - name: engineers-prod-ssh
                    requesters: [engineers]
                    targets: [prod-web-1]
                    logins: [%s]
                    maxDuration: 4h
                    reason: required
                    approvals: {required: 2, from: [sre-approvers]}
                """.formatted(stack.target.port(), stack.target.login()),
                Map.of(
                        "QUARKUS_MAILER_HOST", "127.0.0.1",
                        "QUARKUS_MAILER_PORT", String.valueOf(smtp.port()),
                        "QUARKUS_MAILER_START_TLS", "DISABLED",
                        "PORTCULLIS_NOTIFY_RULE_CHANNELS", "engineers-prod-ssh: email"));
        keycloak.allowWebUrl(broker.url());
        chromium = Chromium.launch();
    }

    @AfterAll
    static void stop() throws Exception {
        if (chromium != null) chromium.close();
        if (stack != null) stack.close();
    }

    @AfterEach
    void closePages() {
        chromium.closePages(SCREENSHOTS);
    }

    @Test
    void bobFollowsTheApproveLinkInHisMailSignsInAndHisApprovalCountsThenAliceIsToldOfHerGrant() throws Exception {
        // five minutes: shorter than the ten before the end at which alice is told, so that message is due at once
        String id = request(5, "INC-1 disk full");
        String link = approveLink(mail("bob@example.com", id, "alice asks for"));
        assertThat(link).startsWith(broker.url() + "/ui/approvals?focus=" + id);

        Page bob = chromium.signIn(link, "bob", keycloak.demoPassword());
        assertThat(bob.url()).contains("focus=" + id);
        assertThat(bob.getByTestId("focus")).containsText("Check the request below, then approve or deny it.");
        Locator request = bob.locator("#request-" + id);
        assertThat(request).hasAttribute("data-focus", "true");
        assertThat(field(id, "approvals"))
                .as("following the link decided nothing")
                .isEqualTo("0");

        request.getByRole(
                        AriaRole.BUTTON,
                        new Locator.GetByRoleOptions().setName("Approve").setExact(true))
                .click();
        assertThat(bob.getByTestId("flash")).isVisible();
        assertThat(field(id, "approvals")).isEqualTo("1");
        assertThat(get("/api/v1/requests/" + id, "alice").body()).contains("\"reviewer\":\"bob\"");

        HttpResponse<String> carol = post("/api/v1/requests/" + id + "/approve", "carol");
        assertThat(carol.body()).contains("\"state\":\"ACTIVE\"");
        assertThat(mail("alice@example.com", id, "Your access has started").body())
                .contains("Connect: portcullis ssh prod-web-1");
        mail("alice@example.com", id, "Your access ends at");
    }

    @Test
    void theSameLinkChangesNothingForAliceForANonApproverOrAfterTheRequestEndedAndSaysWhy() throws Exception {
        String id = request(60, "INC-2 logs");
        String link = approveLink(mail("bob@example.com", id, "alice asks for"));

        Page alice = chromium.signIn(link, "alice", keycloak.demoPassword());
        assertThat(alice.getByTestId("focus")).containsText("you cannot approve or deny your own request");
        assertThat(alice.getByTestId("focus")).containsText("This link changed nothing.");
        assertThat(alice.locator("[data-focus=true]")).hasCount(0);

        Page dave = chromium.signIn(link, "dave", keycloak.demoPassword());
        assertThat(dave.getByTestId("focus")).containsText("reviewing this request needs membership of /sre-approvers");
        assertThat(dave.getByTestId("focus")).containsText("This link changed nothing.");
        assertThat(dave.getByRole(
                        AriaRole.BUTTON,
                        new Page.GetByRoleOptions().setName("Approve").setExact(true)))
                .hasCount(0);
        assertThat(field(id, "approvals")).isEqualTo("0");
        assertThat(field(id, "state")).isEqualTo("PENDING");

        // the request ends: approved by two, then given back by alice; bob's link is followed only now
        post("/api/v1/requests/" + id + "/approve", "bob");
        post("/api/v1/requests/" + id + "/approve", "carol");
        assertThat(post("/api/v1/requests/" + id + "/release", "alice").statusCode())
                .isEqualTo(200);
        String ended = field(id, "state");
        Page late = chromium.signIn(link, "bob", keycloak.demoPassword());
        assertThat(late.getByTestId("focus"))
                .containsText("Nothing to decide: alice's request for " + stack.target.login()
                        + " on prod-web-1 is approved, and its grant");
        assertThat(late.getByTestId("focus")).containsText("This link changed nothing.");
        assertThat(late.locator("#request-" + id + "[data-focus=true]")).hasCount(0);
        assertThat(field(id, "state")).isEqualTo(ended);
        assertThat(field(id, "approvals")).isEqualTo("2");
    }

    private String request(int minutes, String reason) throws Exception {
        HttpResponse<String> created = post(
                "/api/v1/requests",
                "alice",
                "{\"target\":\"prod-web-1\",\"login\":\"" + stack.target.login() + "\",\"durationMinutes\":" + minutes
                        + ",\"reason\":\"" + reason + "\"}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        return jsonField(created.body(), "id");
    }

    private static LocalSmtp.Mail mail(String address, String id, String subjectPart) {
        return smtp.await(address, m -> m.body().contains(id) && m.subject().contains(subjectPart), PATIENCE)
                .orElseThrow(
                        () -> new AssertionError("no mail to " + address + " about " + id + " (" + subjectPart + ")"));
    }

    private static String approveLink(LocalSmtp.Mail mail) {
        Matcher link = APPROVE_LINK.matcher(mail.body());
        assertThat(link.find()).as("an Approve link in:\n" + mail.body()).isTrue();
        return link.group(1);
    }

    /** One top-level field of the request as alice's API call shows it. */
    private String field(String id, String name) throws Exception {
        return jsonField(get("/api/v1/requests/" + id, "alice").body(), name);
    }

    private static String jsonField(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\":\"?([^\",}]*)").matcher(json);
        assertThat(m.find()).as(name + " in " + json).isTrue();
        return m.group(1);
    }

    private HttpResponse<String> get(String path, String user) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create(broker.url() + path))
                        .header("Authorization", "Bearer " + keycloak.accessToken(user))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String path, String user) throws Exception {
        return post(path, user, "{}");
    }

    private HttpResponse<String> post(String path, String user, String json) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create(broker.url() + path))
                        .header("Authorization", "Bearer " + keycloak.accessToken(user))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(json))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
