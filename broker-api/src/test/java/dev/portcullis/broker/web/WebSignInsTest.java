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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A web sign-in is bound to the account ({@code sub}) that signed in, not to its username: once Keycloak gives the
 * name to a new account, the old account's browser session is refused on every page, as its API tokens are, and the
 * new account signs in as itself.
 */
@QuarkusTest
@QuarkusTestResource(BrokerTestEnvironment.class)
class WebSignInsTest {

    private static final LocalKeycloak KEYCLOAK = LocalKeycloak.shared();
    private static boolean registered;

    @TestHTTPResource("/")
    URI base;

    @BeforeEach
    void letKeycloakSendBrowsersHere() {
        synchronized (WebSignInsTest.class) {
            if (!registered) {
                KEYCLOAK.allowWebUrl(base.toString().replaceAll("/$", ""));
                registered = true;
            }
        }
    }

    @Test
    void aSignInOfAnAccountWhoseNameWentToAnotherIsRefused() throws InterruptedException {
        String name = "web-reborn-" + System.nanoTime() % 1_000_000;
        KEYCLOAK.createUser(name, KEYCLOAK.demoPassword(), "engineers");
        WebSession old = WebSession.signIn(base, name);
        assertThat(old.get("/ui/access").statusCode()).isEqualTo(200);

        KEYCLOAK.deleteUser(name);
        KEYCLOAK.createUser(name, KEYCLOAK.demoPassword(), "engineers");

        // The broker asks Keycloak again once the recheck interval (1 s in tests) has passed for this sign-in.
        HttpResponse<String> refused = old.get("/ui/access");
        for (int i = 0; i < 40 && refused.statusCode() != 403; i++) {
            Thread.sleep(250);
            refused = old.get("/ui/access");
        }
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(403);
        assertThat(refused.body()).contains("no longer holds the name " + name);
        for (String page : new String[] {"/ui/request", "/ui/approvals", "/ui/access"}) {
            assertThat(old.get(page).statusCode()).as(page).isEqualTo(403);
        }

        WebSession reborn = WebSession.signIn(base, name);
        HttpResponse<String> own = reborn.get("/ui/access");
        assertThat(own.statusCode()).isEqualTo(200);
        assertThat(own.body()).contains("Signed in as <strong data-testid=\"username\">" + name + "</strong>");

        Api.as("dave")
                .get("/api/v1/audit?action=token.refused&actor=" + name)
                .then()
                .statusCode(200)
                .body("details.code", org.hamcrest.Matchers.hasItem("account_mismatch"))
                .body("details.path", org.hamcrest.Matchers.hasItem("/ui/access"));
    }
}
