package dev.portcullis.broker.identity;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.broker.BrokerTestEnvironment;
import dev.portcullis.local.LocalKeycloak;
import io.quarkus.scheduler.Scheduler;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/**
 * Someone who stole the broker's Keycloak client secret, calling Keycloak's admin REST API directly: what the realm's
 * fine-grained admin permissions let the broker's service account do is all they get. Keycloak itself refuses every
 * change outside the members of the JIT groups; the broker's own check ({@link KeycloakDirectory}) is not in the way.
 * That the broker's grants still add and remove JIT members shows in
 * {@code ContinuousVerificationTest#jitGroupMembershipLastsExactlyAsLongAsTheGrant}.
 */
@QuarkusTest
@QuarkusTestResource(BrokerTestEnvironment.class)
class KeycloakAdminScopeAttackTest {

    private static final LocalKeycloak KEYCLOAK = LocalKeycloak.shared();

    @Inject
    Scheduler scheduler;

    private static String stolenToken() {
        return KEYCLOAK.clientCredentialsToken(KEYCLOAK.brokerClientId(), KEYCLOAK.brokerClientSecret());
    }

    private static String unique(String prefix) {
        return prefix + System.nanoTime() % 1_000_000;
    }

    private static void refused(HttpResponse<String> answer, String what) {
        assertThat(answer.statusCode()).as(what + ": " + answer.body()).isEqualTo(403);
    }

    @Test
    void theBrokersClientSecretCannotChangeAnyoneOutsideTheJitGroups() {
        String token = stolenToken();
        String mallory = unique("thief-");
        String malloryId = KEYCLOAK.createUser(mallory, KEYCLOAK.demoPassword(), "engineers");
        String erinId = KEYCLOAK.userId("erin");

        refused(
                KEYCLOAK.adminApiAs(
                        token, "PUT", "/users/" + malloryId + "/groups/" + KEYCLOAK.groupId("/admins"), null),
                "adding a user to /admins");
        refused(
                KEYCLOAK.adminApiAs(
                        token, "PUT", "/users/" + malloryId + "/groups/" + KEYCLOAK.groupId("/sre-approvers"), null),
                "adding a user to an approver group");
        refused(
                KEYCLOAK.adminApiAs(
                        token, "DELETE", "/users/" + erinId + "/groups/" + KEYCLOAK.groupId("/admins"), null),
                "taking an admin out of /admins");
        refused(
                KEYCLOAK.adminApiAs(
                        token,
                        "PUT",
                        "/users/" + erinId + "/reset-password",
                        "{\"type\":\"password\",\"value\":\"stolen-" + mallory + "\",\"temporary\":false}"),
                "resetting a password");
        refused(
                KEYCLOAK.adminApiAs(
                        token, "POST", "/users", "{\"username\":\"" + unique("made-") + "\",\"enabled\":true}"),
                "creating a user");
        refused(
                KEYCLOAK.adminApiAs(
                        token,
                        "POST",
                        "/users/" + malloryId + "/role-mappings/realm",
                        "[" + KEYCLOAK.realmRole("offline_access") + "]"),
                "granting a realm role");
        refused(KEYCLOAK.adminApiAs(token, "PUT", "/users/" + erinId, "{\"enabled\":false}"), "disabling a user");
        refused(
                KEYCLOAK.adminApiAs(token, "PUT", "/users/" + malloryId, "{\"email\":\"mallory@evil.example\"}"),
                "changing a user's e-mail (and so their password reset)");
        refused(KEYCLOAK.adminApiAs(token, "DELETE", "/users/" + erinId, null), "deleting a user");
        refused(
                KEYCLOAK.adminApiAs(
                        token,
                        "POST",
                        "/groups/" + KEYCLOAK.groupId("/jit") + "/children",
                        "{\"name\":\"" + unique("shadow-") + "\"}"),
                "creating a group below /jit");
        refused(
                KEYCLOAK.adminApiAs(
                        token,
                        "POST",
                        "/groups/" + KEYCLOAK.groupId("/jit/prod-db-admins") + "/role-mappings/realm",
                        "[" + KEYCLOAK.realmRole("offline_access") + "]"),
                "giving a JIT group a role");

        // Nothing changed: erin still signs in with her password and is still an admin; mallory is only an engineer.
        assertThat(KEYCLOAK.accessToken("erin")).isNotBlank();
        assertThat(KEYCLOAK.groupsOf("erin")).contains("admins");
        assertThat(KEYCLOAK.groupsOf(mallory)).containsExactly("engineers");
    }

    @Test
    void theBrokersClientSecretReadsAndChangesOnlyJitMembership() {
        String token = stolenToken();
        String holder = unique("jit-holder-");
        String holderId = KEYCLOAK.createUser(holder, KEYCLOAK.demoPassword(), "engineers");
        String jit = KEYCLOAK.groupId("/jit/prod-db-admins");

        // What the broker's directory calls: find a user, read them and their groups, a group by path and its members.
        assertThat(KEYCLOAK.adminApiAs(token, "GET", "/users?exact=true&username=" + holder, null)
                        .statusCode())
                .isEqualTo(200);
        assertThat(KEYCLOAK.adminApiAs(token, "GET", "/users/" + holderId, null).statusCode())
                .isEqualTo(200);
        assertThat(KEYCLOAK.adminApiAs(token, "GET", "/users/" + holderId + "/groups", null)
                        .statusCode())
                .isEqualTo(200);
        assertThat(KEYCLOAK.adminApiAs(token, "GET", "/group-by-path/jit/prod-db-admins", null)
                        .statusCode())
                .isEqualTo(200);
        assertThat(KEYCLOAK.adminApiAs(token, "GET", "/groups/" + KEYCLOAK.groupId("/sre-approvers") + "/members", null)
                        .statusCode())
                .isEqualTo(200);

        // And the one change it may make: the members of the JIT groups (a thief too, until the secret rotates). The
        // broker's JIT pass, which takes a member without a grant out again, waits meanwhile.
        scheduler.pause();
        try {
            assertThat(KEYCLOAK.adminApiAs(token, "PUT", "/users/" + holderId + "/groups/" + jit, null)
                            .statusCode())
                    .isEqualTo(204);
            assertThat(KEYCLOAK.groupsOf(holder)).contains("prod-db-admins");
            assertThat(KEYCLOAK.adminApiAs(token, "DELETE", "/users/" + holderId + "/groups/" + jit, null)
                            .statusCode())
                    .isEqualTo(204);
            assertThat(KEYCLOAK.groupsOf(holder)).containsExactly("engineers");
        } finally {
            scheduler.resume();
        }
    }
}
