package dev.portcullis.broker.web;

import static org.assertj.core.api.Assertions.assertThat;

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

/** The replay page reads recordings by time range, offers the exact bytes, and marks output that is not all text. */
@QuarkusTest
@QuarkusTestResource(BrokerTestEnvironment.class)
class ReplayPageTest {

    private static boolean registered;

    @TestHTTPResource("/")
    URI base;

    @BeforeEach
    void letKeycloakSendBrowsersHere() {
        synchronized (ReplayPageTest.class) {
            if (!registered) {
                LocalKeycloak.shared().allowWebUrl(base.toString().replaceAll("/$", ""));
                registered = true;
            }
        }
    }

    private static UUID session(byte[]... output) throws Exception {
        String owner = Api.newEngineer("page-");
        String grant = Api.activeWebGrant(owner);
        UUID session = UUID.randomUUID();
        TestBastion bastion = TestBastion.trusted();
        SessionRecording recording = bastion.start(session, owner, grant);
        bastion.register(session, owner, grant, recording.id()).then().statusCode(201);
        for (byte[] part : output) {
            recording.terminal().output(part);
        }
        recording.close("client disconnected", 0);
        TestBastion.end(session, "CLOSED");
        return session;
    }

    @Test
    void thePlayerReadsByRangeAndTheExactBytesAreOffered() throws Exception {
        UUID session = session("$ echo hello\r\nhello\r\n".getBytes(StandardCharsets.UTF_8));
        WebSession dave = WebSession.signIn(base, "dave");
        String page = dave.get("/ui/sessions/" + session).body();
        assertThat(page)
                .contains("data-status=\"VALID\"")
                .contains("data-replay-url=\"/ui/sessions/" + session + "/replay\"")
                .doesNotContain("data-cast-url")
                .contains("href=\"/ui/sessions/" + session + "/recording.bin?stream=output\"")
                .contains("href=\"/ui/sessions/" + session + "/recording.cast?download=true\"")
                .doesNotContain("data-testid=\"not-text\"");
        // the page's script hands the player the range index, never the .cast
        String script = dave.get("/static/portcullis.js").body();
        assertThat(script).contains("format: \"segmented\"").doesNotContain("recording.cast");

        HttpResponse<String> index = dave.get("/ui/sessions/" + session + "/replay");
        assertThat(index.statusCode()).isEqualTo(200);
        assertThat(index.body())
                .contains("\"version\":1")
                .contains("/ui/sessions/" + session + "/replay/range?from=0.0&to=");
        HttpResponse<String> range = dave.get("/ui/sessions/" + session + "/replay/range?from=0&to=10");
        assertThat(range.statusCode()).isEqualTo(200);
        assertThat(range.body()).contains("hello");
        assertThat(dave.get("/ui/sessions/" + session + "/replay/range?from=x&to=10")
                        .statusCode())
                .isEqualTo(422);

        HttpResponse<String> bytes = dave.get("/ui/sessions/" + session + "/recording.bin?stream=output");
        assertThat(bytes.statusCode()).isEqualTo(200);
        assertThat(bytes.body()).isEqualTo("$ echo hello\r\nhello\r\n");
        assertThat(bytes.headers().firstValue("Content-Disposition"))
                .hasValue("attachment; filename=\"session-" + session + ".output.bin\"");

        // not an auditor: no replay page, no ranges, no bytes
        WebSession bob = WebSession.signIn(base, "bob");
        for (String path : new String[] {"", "/replay", "/replay/range?from=0&to=10", "/recording.bin"}) {
            assertThat(bob.get("/ui/sessions/" + session + path).statusCode())
                    .as(path)
                    .isEqualTo(403);
        }
    }

    @Test
    void outputThatIsNotAllTextIsMarkedOnThePage() throws Exception {
        UUID session = session(
                "$ cat blob\r\n".getBytes(StandardCharsets.UTF_8),
                new byte[] {'a', (byte) 0xff, 'b', (byte) 0xc3, '(', (byte) 0x80, '\r', '\n'});
        WebSession dave = WebSession.signIn(base, "dave");
        String page = dave.get("/ui/sessions/" + session).body();
        assertThat(page)
                .contains("data-testid=\"not-text\"")
                .contains("is not all text")
                .contains("/ui/sessions/" + session + "/recording.bin?stream=output");
        assertThat(dave.get("/ui/sessions/" + session + "/replay").body()).contains("\"textFaithful\":false");
    }
}
