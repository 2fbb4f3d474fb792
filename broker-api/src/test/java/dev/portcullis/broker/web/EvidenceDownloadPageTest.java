package dev.portcullis.broker.web;

import static dev.portcullis.broker.Api.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.hasItem;

import dev.portcullis.broker.Api;
import dev.portcullis.broker.BrokerTestEnvironment;
import dev.portcullis.broker.TestBastion;
import dev.portcullis.local.LocalKeycloak;
import dev.portcullis.recording.SessionRecording;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The replay page offers the session's evidence bundle to auditors; anyone else is refused, and audited. */
@QuarkusTest
@QuarkusTestResource(BrokerTestEnvironment.class)
class EvidenceDownloadPageTest {

    private static boolean registered;

    @TestHTTPResource("/")
    URI base;

    @BeforeEach
    void letKeycloakSendBrowsersHere() {
        synchronized (EvidenceDownloadPageTest.class) {
            if (!registered) {
                LocalKeycloak.shared().allowWebUrl(base.toString().replaceAll("/$", ""));
                registered = true;
            }
        }
    }

    @Test
    void auditorsDownloadTheBundleFromTheReplayPageAndOthersAreRefused() throws Exception {
        String owner = Api.newEngineer("evidence-page-");
        String grant = Api.activeWebGrant(owner);
        UUID session = UUID.randomUUID();
        TestBastion bastion = TestBastion.trusted();
        SessionRecording recording = bastion.start(session, owner, grant);
        bastion.register(session, owner, grant, recording.id()).then().statusCode(201);
        recording.terminal().output("$ echo hello\r\nhello\r\n".getBytes(StandardCharsets.UTF_8));
        recording.close("client disconnected", 0);
        TestBastion.end(session, "CLOSED");

        WebSession dave = WebSession.signIn(base, "dave");
        assertThat(dave.get("/ui/sessions/" + session).body())
                .contains("href=\"/ui/sessions/" + session + "/evidence\"");
        HttpResponse<String> bundle = dave.get("/ui/sessions/" + session + "/evidence");
        assertThat(bundle.statusCode()).isEqualTo(200);
        assertThat(bundle.headers().firstValue("Content-Type"))
                .hasValueSatisfying(type -> assertThat(type).startsWith("application/x-tar"));
        assertThat(bundle.body()).startsWith("session-" + session + "/");

        WebSession bob = WebSession.signIn(base, "bob");
        HttpResponse<String> refused = bob.get("/ui/sessions/" + session + "/evidence");
        assertThat(refused.statusCode()).isEqualTo(403);
        assertThat(refused.body()).contains("auditors");
        as("dave")
                .get("/api/v1/audit?action=session.read.refused&subject=" + session)
                .then()
                .statusCode(200)
                .body("actor", hasItem("bob"))
                .body("details.format", hasItem("evidence"));
    }
}
