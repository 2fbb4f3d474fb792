package dev.portcullis.broker.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.broker.BrokerTestEnvironment;
import dev.portcullis.broker.RetentionTest;
import dev.portcullis.broker.recordings.RetentionSweep;
import dev.portcullis.local.LocalKeycloak;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The session page places and releases holds; the list and the replay page say what retention did. */
@QuarkusTest
@QuarkusTestResource(BrokerTestEnvironment.class)
class RetentionPagesTest {

    @TestHTTPResource("/")
    URI base;

    @Inject
    RetentionSweep sweep;

    private static boolean registered;

    @BeforeEach
    void letKeycloakSendBrowsersHere() {
        synchronized (RetentionPagesTest.class) {
            if (!registered) {
                LocalKeycloak.shared().allowWebUrl(base.toString().replaceAll("/$", ""));
                registered = true;
            }
        }
    }

    @Test
    void auditorsHoldFromTheSessionPageAndADeletedRecordingSaysSo() throws Exception {
        UUID held = RetentionTest.recordedSession(RetentionTest.ticket());
        UUID deleted = RetentionTest.recordedSession(RetentionTest.ticket());
        WebSession dave = WebSession.signIn(base, "dave");
        String page = dave.get("/ui/sessions/" + held).body();
        assertThat(page)
                .contains("recording kept until at least")
                .contains("rule engineers-prod-ssh, 30d")
                .contains("Place legal hold");

        WebSession bob = WebSession.signIn(base, "bob");
        assertThat(bob.post("/ui/sessions/" + held + "/hold", Map.of("reason", "mine"))
                        .statusCode())
                .isEqualTo(403);
        HttpResponse<String> placed = dave.post("/ui/sessions/" + held + "/hold", Map.of("reason", "case 17"));
        assertThat(placed.statusCode()).as(placed.body()).isIn(200, 303);
        page = dave.get("/ui/sessions/" + held).body();
        assertThat(page).contains("under legal hold").contains("case 17").contains("Release hold");
        assertThat(dave.post("/ui/sessions/" + held + "/hold", Map.of("reason", ""))
                        .statusCode())
                .isEqualTo(422);

        sweep.sweep(RetentionTest.duePast(held, deleted));
        HttpResponse<String> replay = dave.get("/ui/sessions/" + deleted);
        assertThat(replay.statusCode()).isEqualTo(200);
        assertThat(replay.body())
                .contains("data-status=\"DELETED_BY_POLICY\"")
                .contains("nothing to replay")
                .contains("recording deleted by policy");
        assertThat(dave.get("/ui/sessions/" + held).body()).contains("data-status=\"VALID\"");
        assertThat(dave.get("/ui/sessions/" + deleted + "/recording.cast").statusCode())
                .isEqualTo(404);
        assertThat(dave.get("/ui/sessions").body())
                .contains("recording deleted by policy")
                .contains("legal hold");
    }
}
