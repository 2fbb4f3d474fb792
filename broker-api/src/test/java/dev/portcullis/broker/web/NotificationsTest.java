package dev.portcullis.broker.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

import dev.portcullis.broker.Api;
import dev.portcullis.broker.BrokerTestEnvironment;
import dev.portcullis.broker.WebhookReceiver;
import dev.portcullis.local.LocalKeycloak;
import dev.portcullis.local.LocalSmtp;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Approvers and requesters are told, by mail through a real SMTP server and by a signed webhook: the approvers get each
 * new request with its Approve and Deny links; a link opens the approvals page after a normal sign-in and decides
 * nothing by itself; the requester hears of the outcome, the grant's start (with the command) and its coming end; a
 * receiver that is down neither holds up a decision nor loses its message.
 */
@QuarkusTest
@QuarkusTestResource(BrokerTestEnvironment.class)
class NotificationsTest {

    private static final Duration PATIENCE = Duration.ofSeconds(20);
    private static final Pattern APPROVE_LINK =
            Pattern.compile("Approve: \\S+(/ui/approvals\\?focus=[0-9a-f-]+&decision=approve)");
    private static boolean registered;

    @TestHTTPResource("/")
    URI base;

    @BeforeEach
    void letKeycloakSendBrowsersHere() {
        synchronized (NotificationsTest.class) {
            if (!registered) {
                LocalKeycloak.shared().allowWebUrl(base.toString().replaceAll("/$", ""));
                registered = true;
            }
        }
    }

    private static LocalSmtp.Mail mailTo(String address, String id, String subjectPart) {
        return LocalSmtp.shared()
                .await(address, m -> m.body().contains(id) && m.subject().contains(subjectPart), PATIENCE)
                .orElseThrow(
                        () -> new AssertionError("no mail to " + address + " about " + id + " (" + subjectPart + ")"));
    }

    private static String approveLink(LocalSmtp.Mail mail) {
        Matcher link = APPROVE_LINK.matcher(mail.body());
        assertThat(link.find()).as("an Approve link in:\n" + mail.body()).isTrue();
        return link.group(1);
    }

    @Test
    void approversAreMailedEachNewRequestWithItsFactsAndLinksAndTheRequesterIsNot() {
        String id = Api.aliceRequestsWeb();

        LocalSmtp.Mail bob = mailTo("bob@example.com", id, "alice asks for ubuntu on prod-web-1");
        assertThat(bob.body())
                .contains(
                        "Requester: alice",
                        "Target: prod-web-1 (ssh)",
                        "Login: ubuntu",
                        "Duration: 1h",
                        "Reason: INC-1234 disk full on prod-web-1",
                        "Ticket: INC-1234",
                        "Approve: ",
                        "&decision=approve",
                        "Deny: ",
                        "&decision=deny");
        assertThat(bob.messageId()).contains(".bob@portcullis>");
        mailTo("carol@example.com", id, "alice asks for");
        assertThat(LocalSmtp.shared().inbox("alice@example.com"))
                .as("the requester approves nothing")
                .noneMatch(m -> m.body().contains(id) && m.subject().contains("asks for"));
        assertThat(LocalSmtp.shared().inbox("dave@example.com"))
                .as("not an approver of the rule")
                .noneMatch(m -> m.body().contains(id));
    }

    @Test
    void theApproveLinkLandsTheApproverOnTheRequestAfterSignInAndOnlyHisClickCounts() {
        String id = Api.aliceRequestsWeb();
        String link = approveLink(mailTo("bob@example.com", id, "asks for"));

        WebSession bob = WebSession.signIn(base, "bob", link);
        HttpResponse<String> landed = bob.landing();
        assertThat(landed.uri().toString()).contains("focus=" + id);
        assertThat(landed.body())
                .contains(
                        "data-focus=\"true\"",
                        "id=\"request-" + id + "\"",
                        "Check the request below, then approve or deny it.");
        Api.as("alice")
                .get("/api/v1/requests/" + id)
                .then()
                .body("approvals", equalTo(0)); // following it decided nothing

        bob.post("/ui/requests/" + id + "/approve", Map.of("comment", "from the mail"));
        Api.as("alice")
                .get("/api/v1/requests/" + id)
                .then()
                .body("approvals", equalTo(1))
                .body("reviews.reviewer", equalTo(List.of("bob")));
    }

    @Test
    void theLinkChangesNothingForTheRequesterANonApproverOrAfterTheRequestEndedAndSaysWhy() {
        String id = Api.aliceRequestsWeb();
        String link = approveLink(mailTo("bob@example.com", id, "asks for"));

        assertThat(WebSession.signIn(base, "alice", link).landing().body())
                .contains(
                        "data-testid=\"focus\"",
                        "you cannot approve or deny your own request",
                        "This link changed nothing.")
                .doesNotContain("data-focus=\"true\"");
        assertThat(WebSession.signIn(base, "dave", link).landing().body())
                .contains("reviewing this request needs membership of /sre-approvers", "This link changed nothing.");
        Api.as("alice")
                .get("/api/v1/requests/" + id)
                .then()
                .body("approvals", equalTo(0))
                .body("state", equalTo("PENDING"));

        Api.approve("bob", id).then().statusCode(200);
        Api.approve("carol", id).then().statusCode(200).body("state", equalTo("ACTIVE"));
        assertThat(WebSession.signIn(base, "bob", link).landing().body())
                .contains(
                        "Nothing to decide: alice&#39;s request for ubuntu on prod-web-1 is already approved and active.");
        Api.as("alice").get("/api/v1/requests/" + id).then().body("approvals", equalTo(2));
    }

    @Test
    void theRequesterIsToldOfTheApprovalTheStartWithTheCommandAndTheComingEnd() {
        // five minutes: less than the ten before the end at which the requester is told, so that message is due at once
        String id = Api.as("alice")
                .body(Map.of(
                        "target",
                        "prod-web-1",
                        "login",
                        "ubuntu",
                        "durationMinutes",
                        5,
                        "reason",
                        "INC-1234 quick look",
                        "ticket",
                        "INC-1234"))
                .post("/api/v1/requests")
                .then()
                .statusCode(201)
                .extract()
                .path("id");
        Api.approve("bob", id).then().statusCode(200);
        Api.approve("carol", id).then().statusCode(200).body("state", equalTo("ACTIVE"));

        mailTo("alice@example.com", id, "Approved: ubuntu on prod-web-1");
        assertThat(mailTo("alice@example.com", id, "Your access has started").body())
                .contains("Connect: portcullis ssh prod-web-1", "Ends: ");
        mailTo("alice@example.com", id, "Your access ends at");

        Api.as("alice").post("/api/v1/requests/" + id + "/release").then().statusCode(200);
        mailTo("alice@example.com", id, "Your access has ended");
    }

    @Test
    void aDeniedRequestIsToldToTheRequesterWithTheReason() {
        String id = Api.aliceRequestsWeb();
        Api.as("bob")
                .body(Map.of("reason", "not during the freeze"))
                .post("/api/v1/requests/" + id + "/deny")
                .then()
                .statusCode(200);
        assertThat(mailTo("alice@example.com", id, "Denied: ubuntu on prod-web-1")
                        .body())
                .contains("not during the freeze");
    }

    @Test
    void webhooksAreSignedAndAReceiverThatIsDownNeitherHoldsUpNorLosesADecision() throws Exception {
        WebhookReceiver receiver = WebhookReceiver.shared();
        receiver.stop();
        String id;
        try {
            id = Api.aliceRequestsWeb();
            Api.approve("bob", id).then().statusCode(200);
            Api.approve("carol", id).then().statusCode(200).body("state", equalTo("ACTIVE"));
            mailTo("alice@example.com", id, "Your access has started"); // other channels go on meanwhile
        } finally {
            receiver.start();
        }
        for (String type : List.of("request.created", "request.approved", "grant.started")) {
            WebhookReceiver.Delivery d = receiver.await(
                            m -> m.type().equals(type)
                                    && m.data().path("request").asText().equals(id),
                            PATIENCE)
                    .orElseThrow(
                            () -> new AssertionError("no " + type + " for " + id + " after the receiver came back"));
            assertThat(d.id()).startsWith("msg_");
            assertThat(d.data().path("requester").asText()).isEqualTo("alice");
        }
        assertThat(receiver.rejected())
                .as("every delivery carried a signature that verifies")
                .isEmpty();
        long created = receiver.accepted().stream()
                .filter(d -> d.type().equals("request.created")
                        && d.data().path("request").asText().equals(id))
                .map(WebhookReceiver.Delivery::id)
                .distinct()
                .count();
        assertThat(created).as("one message id however often it was tried").isEqualTo(1);
    }

    @Test
    void aMessageTheReceiverRefusesForGoodIsAuditedAndListedForAdmins() {
        String id = Api.as("alice")
                .body(Map.of(
                        "target",
                        "prod-web-1",
                        "login",
                        "ubuntu",
                        "durationMinutes",
                        30,
                        "reason",
                        "INC-1234 " + WebhookReceiver.REFUSE,
                        "ticket",
                        "INC-1234"))
                .post("/api/v1/requests")
                .then()
                .statusCode(201)
                .extract()
                .path("id");
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        List<String> failed;
        do {
            failed = Api.as("erin")
                    .get("/api/v1/notifications/failed")
                    .then()
                    .statusCode(200)
                    .extract()
                    .path("request");
        } while (!failed.contains(id) && System.nanoTime() < deadline && sleep());
        assertThat(failed).contains(id);
        Api.as("erin")
                .get("/api/v1/notifications/failed")
                .then()
                .body("find { it.request == '" + id + "' }.event", equalTo("request.created"))
                .body("find { it.request == '" + id + "' }.channel", equalTo("hooks"))
                .body("find { it.request == '" + id + "' }.lastError", equalTo("POST 127.0.0.1 answered 410"));
        Api.as("dave").get("/api/v1/audit?subject=" + id).then().body("action", hasItem("notification.failed"));
        Api.as("alice").get("/api/v1/notifications/failed").then().statusCode(403);
        Api.as("dave").get("/api/v1/notifications/failed").then().statusCode(403);
    }

    private static boolean sleep() {
        try {
            Thread.sleep(100);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
