package dev.portcullis.broker.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.broker.BrokerTestEnvironment;
import dev.portcullis.local.LocalKeycloak;
import dev.portcullis.workflow.request.Actor;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * What a review learns from Keycloak: membership of the groups it asks about, by full path, from the groups' member
 * lists, and the enabled flag; a group nested elsewhere under the same name is another group. The broker changes
 * the members of JIT groups only, below portcullis.jit.parent.
 */
@QuarkusTest
@QuarkusTestResource(BrokerTestEnvironment.class)
class KeycloakDirectoryTest {

    @Inject
    KeycloakDirectory directory;

    @Test
    void reviewersAreLookedUpInTheGroupsTheyReviewFor() {
        LocalKeycloak keycloak = LocalKeycloak.shared();
        String team = "/team-" + System.nanoTime() % 1_000_000;
        keycloak.createGroup(team);
        keycloak.createGroup(team + "/night-approvers");
        keycloak.createGroup(team + "/sre-approvers");
        String user = "night-" + System.nanoTime() % 1_000_000;
        keycloak.createUser(user, keycloak.demoPassword(), team + "/night-approvers", team + "/sre-approvers");

        Actor byPath = directory
                .lookup(user, Set.of(team + "/night-approvers", "/sre-approvers"))
                .orElseThrow();
        assertThat(byPath.groups())
                .as("a nested sre-approvers is not /sre-approvers")
                .containsExactly(team + "/night-approvers");
        assertThat(byPath.enabled()).isTrue();
        assertThat(directory
                        .lookup(user, Set.of("/night-approvers"))
                        .orElseThrow()
                        .groups())
                .as("no such top-level group")
                .isEmpty();
        assertThat(directory.lookup(user).orElseThrow().groups())
                .containsExactlyInAnyOrder(team + "/night-approvers", team + "/sre-approvers");
        assertThat(directory.lookup(user).orElseThrow().id()).isNotBlank();

        Actor bob = directory
                .lookup("bob", Set.of("/sre-approvers", "/dba-approvers"))
                .orElseThrow();
        assertThat(bob.groups()).contains("/sre-approvers").doesNotContain("/dba-approvers");
        Actor erin = directory
                .lookup("erin", Set.of("/sre-approvers", "/dba-approvers"))
                .orElseThrow();
        assertThat(erin.groups()).containsExactly("/dba-approvers");
        assertThat(directory.lookup("erin").orElseThrow().groups())
                .containsExactlyInAnyOrder("/admins", "/dba-approvers");

        keycloak.setUserEnabled(user, false);
        assertThat(directory
                        .lookup(user, Set.of(team + "/night-approvers"))
                        .orElseThrow()
                        .enabled())
                .as("read after the change")
                .isFalse();
        keycloak.removeUserFromGroup(user, team + "/night-approvers");
        assertThat(directory
                        .lookup(user, Set.of(team + "/night-approvers"))
                        .orElseThrow()
                        .groups())
                .isEmpty();
    }

    @Test
    void theBrokerAddsNobodyToAGroupOutsideTheJitParent() {
        LocalKeycloak keycloak = LocalKeycloak.shared();
        String user = "jit-climber-" + System.nanoTime() % 1_000_000;
        keycloak.createUser(user, keycloak.demoPassword(), "engineers");
        assertThatThrownBy(() -> directory.add(user, "/admins"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("refusing to change " + user
                        + "'s membership of /admins: the broker manages only groups below /jit"
                        + " (portcullis.jit.parent)");
        assertThatThrownBy(() -> directory.add(user, "/jitters")).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> directory.remove("erin", "/admins")).isInstanceOf(IllegalStateException.class);
        assertThat(directory.lookup(user).orElseThrow().groups()).containsExactly("/engineers");
        assertThat(directory.lookup("erin").orElseThrow().groups()).contains("/admins");
    }
}
