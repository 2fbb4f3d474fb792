package dev.portcullis.broker.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.broker.BrokerTestEnvironment;
import dev.portcullis.local.LocalKeycloak;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What a browser is told with each page: never to sniff types, never to show the page in another site's frame (an
 * Approve button under a decoy), and, behind the TLS-terminating ingress, to send the session cookies over https only.
 */
@QuarkusTest
@QuarkusTestResource(BrokerTestEnvironment.class)
class WebHeadersTest {

    @TestHTTPResource("/")
    URI base;

    @BeforeEach
    void letKeycloakSendBrowsersHere() {
        LocalKeycloak.shared().allowWebUrl(base.toString().replaceAll("/$", ""));
    }

    @Test
    void pagesRefuseFramingAndSniffing() {
        HttpResponse<String> page = WebSession.signIn(base, "bob").get("/ui/approvals");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        assertThat(page.headers().firstValue("X-Frame-Options")).hasValue("DENY");
        assertThat(page.headers().firstValue("Content-Security-Policy"))
                .hasValueSatisfying(csp -> assertThat(csp).contains("frame-ancestors 'none'"));
        HttpResponse<String> api = WebSession.anonymous(base).getNoRedirect("/api/v1/ssh/ca");
        assertThat(api.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
    }

    @Test
    void behindTheIngressTheSignInGoesToHttpsAndItsCookiesAreSecure() throws Exception {
        HttpResponse<String> r = HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NEVER)
                .build()
                .send(
                        HttpRequest.newBuilder(base.resolve("/ui/access"))
                                .header("X-Forwarded-Proto", "https")
                                .header("X-Forwarded-For", "203.0.113.7")
                                .timeout(Duration.ofSeconds(30))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(302);
        assertThat(r.headers().firstValue("Location").orElseThrow()).contains("redirect_uri=https");
        List<String> cookies = r.headers().allValues("Set-Cookie");
        assertThat(cookies).isNotEmpty().allSatisfy(c -> assertThat(c).containsIgnoringCase("; Secure"));
    }
}
