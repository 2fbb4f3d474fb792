package dev.portcullis.broker.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.broker.Api;
import dev.portcullis.broker.BrokerTestEnvironment;
import dev.portcullis.local.LocalKeycloak;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The web pages on the real broker, PostgreSQL and Keycloak, signed in through Keycloak's own login form:
 * what each person is offered, what they are refused and how the page says so. The browser story is in
 * deploy's WebUiEndToEndTest.
 */
@QuarkusTest
@QuarkusTestResource(BrokerTestEnvironment.class)
class WebPagesTest {

    private static boolean registered;

    @TestHTTPResource("/")
    URI base;

    @BeforeEach
    void letKeycloakSendBrowsersHere() {
        synchronized (WebPagesTest.class) {
            if (!registered) {
                String url = base.toString().replaceAll("/$", "");
                LocalKeycloak.shared().allowWebUrl(url);
                registered = true;
            }
        }
    }

    @Test
    void aBrowserWithoutASessionIsSentToKeycloakWithPkce() {
        HttpResponse<String> r = WebSession.anonymous(base).getNoRedirect("/ui/access");
        assertThat(r.statusCode()).isEqualTo(302);
        String location = r.headers().firstValue("Location").orElseThrow();
        assertThat(location)
                .startsWith(LocalKeycloak.shared().issuerUrl() + "/protocol/openid-connect/auth")
                .contains("client_id=portcullis-web")
                .contains("code_challenge_method=S256");
    }

    @Test
    void theBearerApiStillAnswersWithoutRedirects() {
        HttpResponse<String> r = WebSession.anonymous(base).getNoRedirect("/api/v1/me");
        assertThat(r.statusCode()).isEqualTo(401);
        Api.as("alice").get("/api/v1/me").then().statusCode(200);
    }

    @Test
    void theRequestFormOffersOnlyWhatThePolicyAllows() {
        WebSession alice = WebSession.signIn(base, "alice");
        String page = alice.get("/ui/request").body();
        assertThat(page)
                .contains("Signed in as <strong data-testid=\"username\">alice</strong>")
                .contains(">ubuntu on prod-web-1 (ssh, write)</option>")
                .contains(">app_readonly on prod-db (postgres, read)</option>")
                .contains("data-max-minutes=\"240\"");
        // a link cannot make the page say what its author wants: messages are worded from real requests only
        assertThat(alice.get("/ui/access?done=Your+password+expired,+enter+it+at+evil.example&request=x")
                        .body())
                .doesNotContain("data-testid=\"flash\"")
                .doesNotContain("evil.example");
        assertThat(alice.get("/ui/access?done=approved&request=" + java.util.UUID.randomUUID())
                        .body())
                .doesNotContain("data-testid=\"flash\"");
        // dave is no requester: the page says so instead of showing an empty form
        String davePage = WebSession.signIn(base, "dave").get("/ui/request").body();
        assertThat(davePage)
                .contains("data-testid=\"empty\"")
                .contains("nothing you can request")
                .doesNotContain("<form method=\"post\"");
    }

    @Test
    void validationErrorsAppearBesideTheirFields() {
        WebSession alice = WebSession.signIn(base, "alice");
        HttpResponse<String> tooLong = alice.post(
                "/ui/request",
                Map.of("access", "prod-web-1/ubuntu", "duration", "600", "reason", "disk full", "ticket", ""));
        assertThat(tooLong.statusCode()).isEqualTo(422);
        assertThat(errorOf(tooLong.body(), "duration")).contains("4h");
        assertThat(tooLong.body()).contains("aria-invalid=\"true\"").contains(">disk full</textarea>");

        HttpResponse<String> noTicket = alice.post(
                "/ui/request",
                Map.of("access", "prod-web-1/ubuntu", "duration", "60", "reason", "disk full", "ticket", "see chat"));
        assertThat(noTicket.statusCode()).isEqualTo(422);
        assertThat(errorOf(noTicket.body(), "ticket")).contains("INC-[0-9]+");

        HttpResponse<String> nothingChosen =
                alice.post("/ui/request", Map.of("access", "", "duration", "60", "reason", "", "ticket", ""));
        assertThat(errorOf(nothingChosen.body(), "access")).isEqualTo("choose a target");

        HttpResponse<String> notAllowed = alice.post(
                "/ui/request", Map.of("access", "prod-web-1/root", "duration", "60", "reason", "x", "ticket", "INC-1"));
        assertThat(notAllowed.statusCode()).isEqualTo(403);
        assertThat(notAllowed.body()).contains("no policy rule lets you request root@prod-web-1");
    }

    @Test
    void aRequestMadeInThePageWaitsForOthersAndItsRequesterCannotApproveIt() {
        WebSession alice = WebSession.signIn(base, "alice");
        HttpResponse<String> made = alice.post(
                "/ui/request",
                Map.of(
                        "access",
                        "prod-web-1/ubuntu",
                        "duration",
                        "45",
                        "reason",
                        "INC-77 restart nginx",
                        "ticket",
                        "INC-77"));
        assertThat(made.statusCode()).isEqualTo(200);
        assertThat(made.uri().getPath()).isEqualTo("/ui/access");
        assertThat(made.body())
                .contains("Requested ubuntu on prod-web-1 for 45m")
                .contains("data-testid=\"pending-request\"")
                .contains("0 of 2")
                .containsPattern("data-testid=\"still-can-approve\">[^<]*bob[^<]*carol");
        String id = requestId(made.body());

        String inbox = alice.get("/ui/approvals").body();
        assertThat(inbox)
                .contains("Yours: someone else must approve")
                .contains("disabled aria-disabled=\"true\"")
                .doesNotContain("action=\"/ui/requests/" + id + "/approve\"");

        // another site's form cannot act with alice's session, even where she could act herself
        HttpResponse<String> crossSite =
                alice.postFrom("http://evil.example", "/ui/requests/" + id + "/cancel", Map.of());
        assertThat(crossSite.statusCode()).isEqualTo(403);
        assertThat(crossSite.body()).contains("sent from another site");
        String ownOrigin = base.getScheme() + "://" + base.getRawAuthority();
        assertThat(alice.postFrom(ownOrigin, "/ui/requests/" + id + "/approve", Map.of())
                        .body()) // passes the origin check, and is still her own
                .contains("you cannot approve or deny your own request");

        // the server refuses regardless of the page
        HttpResponse<String> self = alice.post("/ui/requests/" + id + "/approve", Map.of());
        assertThat(self.statusCode()).isEqualTo(403);
        assertThat(self.body()).contains("you cannot approve or deny your own request; someone else must review it");

        WebSession bob = WebSession.signIn(base, "bob");
        assertThat(bob.get("/ui/approvals").body())
                .contains("action=\"/ui/requests/" + id + "/approve\"")
                .contains("INC-77 restart nginx");
        HttpResponse<String> approved = bob.post("/ui/requests/" + id + "/approve", Map.of());
        assertThat(approved.body())
                .contains("Approved alice&#39;s request for ubuntu on prod-web-1; 1 approval so far.");
        HttpResponse<String> denyWithoutReason =
                WebSession.signIn(base, "carol").post("/ui/requests/" + id + "/deny", Map.of("reason", ""));
        assertThat(denyWithoutReason.statusCode()).isEqualTo(422);
        assertThat(denyWithoutReason.body()).contains("say why you deny this request");
    }

    @Test
    void anActiveGrantShowsItsCountdownAndTheExactSshCommand() {
        String name = Api.newEngineer("web-grant-");
        String id = Api.activeWebGrant(name);
        WebSession holder = WebSession.signIn(base, name);
        String page = holder.get("/ui/access").body();
        assertThat(page)
                .contains("id=\"request-" + id + "\"")
                .contains("class=\"countdown\" data-ends-at=\"")
                .contains("value=\"ssh -p 2022 ubuntu+prod-web-1@localhost\"");
        HttpResponse<String> released = holder.post("/ui/requests/" + id + "/release", Map.of());
        assertThat(released.body())
                .contains("Released your grant for ubuntu on prod-web-1")
                .contains("data-testid=\"no-active\"");
    }

    @Test
    void aDatabaseGrantShowsThePsqlCommand() {
        String name = Api.newEngineer("web-db-");
        String id = Api.as(name)
                .body(Map.of(
                        "target",
                        "prod-db",
                        "login",
                        "app_readonly",
                        "durationMinutes",
                        30,
                        "reason",
                        "read the orders"))
                .post("/api/v1/requests")
                .then()
                .statusCode(201)
                .extract()
                .path("id");
        Api.approve("erin", id).then().statusCode(200);
        String page = WebSession.signIn(base, name).get("/ui/access").body();
        assertThat(page)
                .contains(
                        "value=\"psql &quot;host=127.0.0.1 port=6432 sslmode=verify-full sslrootcert=portcullis-db-ca.pem dbname=prod-db user=app_readonly&quot;\"");
    }

    @Test
    void anAdminEndsALiveSessionByRevokingItsGrant() {
        String name = Api.newEngineer("web-live-");
        String grant = Api.activeWebGrant(name);
        String session = java.util.UUID.randomUUID().toString();
        Map<String, Object> opened = new java.util.HashMap<>();
        opened.put("sessionId", session);
        opened.put("requestId", grant);
        opened.put("username", name);
        opened.put("target", "prod-web-1");
        opened.put("login", "ubuntu");
        opened.put("protocol", "ssh");
        opened.put("bastion", "bastion-a");
        opened.put("clientAddress", "192.0.2.10:50522");
        opened.put("startedAt", java.time.Instant.now().toString());
        Api.asBastion().body(opened).post("/internal/v1/sessions").then().statusCode(201);

        WebSession dave = WebSession.signIn(base, "dave");
        String asAuditor =
                dave.get("/ui/sessions?user=" + name + "&status=OPEN").body();
        assertThat(asAuditor)
                .contains("data-testid=\"session-row\"")
                .contains(">OPEN</span>")
                .doesNotContain("action=\"/ui/sessions/" + session + "/terminate\"");
        HttpResponse<String> refused = dave.post("/ui/sessions/" + session + "/terminate", Map.of());
        assertThat(refused.statusCode()).isEqualTo(403);
        assertThat(refused.body()).contains("Ending a live session needs membership of the group /admins");

        WebSession erin = WebSession.signIn(base, "erin");
        assertThat(erin.get("/ui/sessions?user=" + name).body())
                .contains("action=\"/ui/sessions/" + session + "/terminate\"");
        HttpResponse<String> ended =
                erin.post("/ui/sessions/" + session + "/terminate", Map.of("reason", "incident over"));
        assertThat(ended.statusCode()).isEqualTo(200);
        assertThat(ended.body())
                .contains("Revoked " + name
                        + "&#39;s grant for ubuntu on prod-web-1; the bastion closes its live sessions now.");
        Api.as("erin")
                .get("/api/v1/requests/" + grant)
                .then()
                .statusCode(200)
                .body("state", org.hamcrest.Matchers.equalTo("REVOKED"))
                .body("endReason", org.hamcrest.Matchers.equalTo("incident over"));
    }

    @Test
    void auditorPagesNameTheGroupsTheyNeed() {
        String name = Api.newEngineer("web-403-");
        WebSession engineer = WebSession.signIn(base, name);
        for (String path : new String[] {"/ui/sessions", "/ui/audit", "/ui/audit/export.jsonl"}) {
            HttpResponse<String> refused = engineer.get(path);
            assertThat(refused.statusCode()).as(path).isEqualTo(403);
            assertThat(refused.body())
                    .as(path)
                    .contains("members of the group /auditors or /admins")
                    .contains("signed in as " + name + " (/engineers)");
        }
        HttpResponse<String> missing =
                WebSession.signIn(base, "dave").get("/ui/sessions/6c1f7f8e-0000-4000-8000-000000000000");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.body()).contains("there is no session 6c1f7f8e-0000-4000-8000-000000000000");
    }

    @Test
    void auditorsSeeTheAuditLogWithItsChainVerifiedAndCanExportIt() {
        Api.aliceRequestsWeb();
        WebSession dave = WebSession.signIn(base, "dave");
        String page = dave.get("/ui/audit?actor=alice").body();
        assertThat(page)
                .contains("Hash chain verified: all")
                .contains("data-testid=\"audit-row\"")
                .contains("request.created");
        HttpResponse<String> export = dave.get("/ui/audit/export.jsonl");
        assertThat(export.statusCode()).isEqualTo(200);
        assertThat(export.headers().firstValue("Content-Type").orElse("")).startsWith("application/jsonl");
        assertThat(export.body().lines().findFirst().orElse("")).startsWith("{\"id\":1,");
        assertThat(dave.get("/ui/sessions?user=nobody-at-all").body()).contains("No session matches these filters.");
    }

    private static String errorOf(String html, String field) {
        Matcher m = Pattern.compile("<p class=\"error\" id=\"" + field + "-error\">([^<]*)</p>")
                .matcher(html);
        assertThat(m.find()).as("an error beside " + field + " in:\n" + html).isTrue();
        return m.group(1).replace("&#39;", "'").replace("&quot;", "\"");
    }

    private static String requestId(String html) {
        Matcher m = Pattern.compile("id=\"request-([0-9a-f-]{36})\" data-testid=\"pending-request\"")
                .matcher(html);
        assertThat(m.find()).isTrue();
        return m.group(1);
    }
}
