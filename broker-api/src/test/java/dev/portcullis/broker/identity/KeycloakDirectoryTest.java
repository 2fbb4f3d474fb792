package dev.portcullis.broker.identity;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.portcullis.broker.BrokerTestEnvironment;
import dev.portcullis.testkit.LocalKeycloak;
import dev.portcullis.workflow.request.Actor;

/**
 * What a review learns from Keycloak: membership of the groups it asks about, from the groups' member lists when the
 * names are group paths, from the person's own groups otherwise (a nested group named by its bare name), and the
 * enabled flag either way.
 */
@QuarkusTest
@QuarkusTestResource(BrokerTestEnvironment.class)
class KeycloakDirectoryTest {

    @Inject
    KeycloakDirectory directory;

    @Test
    void reviewersAreLookedUpInTheGroupsTheyReviewFor() {
        LocalKeycloak keycloak = LocalKeycloak.shared();
        String team = "team-" + System.nanoTime() % 1_000_000;
        keycloak.createGroup(team);
        keycloak.createGroup(team + "/night-approvers");
        String user = "night-" + System.nanoTime() % 1_000_000;
        keycloak.createUser(user, keycloak.demoPassword(), team + "/night-approvers");

        Actor byPath = directory.lookup(user, Set.of(team + "/night-approvers", "sre-approvers")).orElseThrow();
        assertThat(byPath.groups()).containsExactly(team + "/night-approvers");
        assertThat(byPath.enabled()).isTrue();
        // no top-level group has the bare name as its path: the person's own groups answer, by name
        assertThat(directory.lookup(user, Set.of("night-approvers")).orElseThrow().groups()).containsExactly("night-approvers");
        assertThat(directory.lookup(user, Set.of("no-such-group-anywhere")).orElseThrow().groups()).isEmpty();

        Actor bob = directory.lookup("bob", Set.of("sre-approvers", "dba-approvers")).orElseThrow();
        assertThat(bob.groups()).contains("sre-approvers").doesNotContain("dba-approvers");
        Actor erin = directory.lookup("erin", Set.of("sre-approvers", "dba-approvers")).orElseThrow();
        assertThat(erin.groups()).containsExactly("dba-approvers");

        keycloak.setUserEnabled(user, false);
        assertThat(directory.lookup(user, Set.of(team + "/night-approvers")).orElseThrow().enabled()).as("read after the change").isFalse();
        keycloak.removeUserFromGroup(user, team + "/night-approvers");
        assertThat(directory.lookup(user, Set.of(team + "/night-approvers")).orElseThrow().groups()).isEmpty();
    }
}
