package dev.portcullis.broker.web;

import static dev.portcullis.broker.DatabaseAdmin.superuser;
import static dev.portcullis.broker.DatabaseAdmin.tamper;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import dev.portcullis.broker.Api;
import dev.portcullis.broker.BrokerTestEnvironment;
import dev.portcullis.broker.identity.KeycloakDirectory;
import dev.portcullis.local.LocalKeycloak;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.net.URI;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What viewing costs: the audit page verifies only the rows written since its last view (a full verification on demand
 * still finds an edited old row), an approvals page reads each approver group from Keycloak once however many cards it
 * shows, and exporting the whole audit trail through the API leaves a row of its own.
 */
@QuarkusTest
@QuarkusTestResource(BrokerTestEnvironment.class)
class AuditAndApprovalViewsTest {

    private static final Pattern CHAIN =
            Pattern.compile("Hash chain verified: all (\\d+) entries intact \\((\\d+) new entries checked now");
    private static boolean registered;

    @TestHTTPResource("/")
    URI base;

    @Inject
    KeycloakDirectory directory;

    @BeforeEach
    void letKeycloakSendBrowsersHere() {
        synchronized (AuditAndApprovalViewsTest.class) {
            if (!registered) {
                LocalKeycloak.shared().allowWebUrl(base.toString().replaceAll("/$", ""));
                registered = true;
            }
        }
    }

    @Test
    void theAuditPageVerifiesOnlyNewRowsAndAFullVerificationStillFindsAnEditedOldRow() throws Exception {
        WebSession dave = WebSession.signIn(base, "dave");
        long[] first = chainOf(dave.get("/ui/audit").body());
        String id = Api.aliceRequestsWeb();
        Api.approve("bob", id).then().statusCode(200);
        long[] second = chainOf(dave.get("/ui/audit").body());
        assertThat(second[1])
                .as("rows checked by the second view")
                .isEqualTo(second[0] - first[0])
                .isLessThan(second[0]);
        assertThat(second[0] - first[0]).isGreaterThanOrEqualTo(2);

        long rowId = Api.as("dave")
                .get("/api/v1/audit?subject=" + id + "&action=request.created")
                .jsonPath()
                .getLong("[0].id");
        try (Connection db = superuser()) {
            String original = scalar(db, "select actor from audit_log where id = " + rowId);
            try {
                tamper(db, "update audit_log set actor = 'mallory' where id = " + rowId);
                assertThat(dave.get("/ui/audit?full=true").body()).contains("Hash chain BROKEN at entry " + rowId);
                assertThat(dave.get("/ui/audit").body())
                        .as("a failed full verification shows until one passes")
                        .contains("Hash chain BROKEN at entry " + rowId);
                Api.as("dave")
                        .get("/api/v1/audit/verify")
                        .then()
                        .body("valid", equalTo(false))
                        .body("brokenAt", equalTo((int) rowId));
            } finally {
                tamper(db, "update audit_log set actor = '" + original + "' where id = " + rowId);
            }
        }
        Api.as("dave").get("/api/v1/audit/verify").then().body("valid", equalTo(true));
        long[] after = chainOf(dave.get("/ui/audit").body());
        assertThat(after[1]).isLessThan(after[0]);
    }

    @Test
    void pagesThatListWhoMayStillApproveReadEachApproverGroupOnceHoweverManyCardsTheyShow() {
        String requester = Api.newEngineer("cards-");
        for (int i = 0; i < 5; i++) {
            Api.as(requester)
                    .body(java.util.Map.of(
                            "target",
                            "prod-web-1",
                            "login",
                            "ubuntu",
                            "durationMinutes",
                            30,
                            "reason",
                            "INC-" + i + " card",
                            "ticket",
                            "INC-" + i))
                    .post("/api/v1/requests")
                    .then()
                    .statusCode(201);
        }
        WebSession session = WebSession.signIn(base, requester);
        for (String path : new String[] {"/ui/approvals", "/ui/access"}) {
            long before = directory.memberListReads("/sre-approvers");
            String page = session.get(path).body();
            long reads = directory.memberListReads("/sre-approvers") - before;
            assertThat(page.split("INC-\\d card", -1).length - 1)
                    .as(path + ": cards shown")
                    .isGreaterThanOrEqualTo(5);
            assertThat(page).as(path).contains("bob").contains("carol");
            assertThat(reads)
                    .as(path + ": Keycloak reads of /sre-approvers for one view of five cards")
                    .isEqualTo(1);
        }
        WebSession bob = WebSession.signIn(base, "bob");
        long before = directory.memberListReads("/sre-approvers");
        assertThat(bob.get("/ui/approvals").body()).contains("INC-4 card");
        assertThat(directory.memberListReads("/sre-approvers") - before)
                .as("cards to review name nobody: no read")
                .isZero();
    }

    @Test
    void exportingTheAuditTrailThroughTheApiIsAudited() {
        Api.as("dave").get("/api/v1/audit/export").then().statusCode(200);
        Api.as("dave")
                .get("/api/v1/audit?action=audit.exported&actor=dave&limit=1")
                .then()
                .statusCode(200)
                .body("size()", equalTo(1))
                .body("[0].details.via", equalTo("api"))
                .body("[0].details.filters", equalTo("none"));
    }

    /** Entries intact, and entries checked by this view. */
    private static long[] chainOf(String page) {
        Matcher m = CHAIN.matcher(page);
        assertThat(m.find()).as("the chain's line in:\n" + page).isTrue();
        return new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))};
    }

    private static String scalar(Connection db, String sql) throws Exception {
        try (Statement s = db.createStatement();
                ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getString(1);
        }
    }
}
