package dev.portcullis.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** The demo realm on the real Keycloak: users, groups, clients and what their tokens carry. */
class LocalKeycloakTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void demoUsersGetTokensWithGroupsUsernameAndTheBrokerAudience() throws Exception {
        LocalKeycloak kc = LocalKeycloak.shared();
        JsonNode alice = payload(kc.accessToken("alice"));
        assertThat(alice.get("preferred_username").asText()).isEqualTo("alice");
        assertThat(alice.get("groups")).extracting(JsonNode::asText).containsExactly("/engineers");
        assertThat(audiences(alice)).contains("portcullis-broker");
        assertThat(alice.get("iss").asText()).isEqualTo(kc.issuerUrl());

        JsonNode erin = payload(kc.accessToken("erin"));
        assertThat(erin.get("groups"))
                .extracting(JsonNode::asText)
                .containsExactlyInAnyOrder("/admins", "/dba-approvers");
    }

    @Test
    void wrongPasswordsAreRefused() {
        LocalKeycloak kc = LocalKeycloak.shared();
        assertThatThrownBy(() -> kc.accessToken("alice", "not-the-password")).hasMessageContaining("invalid_grant");
        assertThat(kc.demoPassword()).hasSizeGreaterThanOrEqualTo(16);
    }

    @Test
    void theBastionServiceClientGetsClientCredentialsTokens() throws Exception {
        LocalKeycloak kc = LocalKeycloak.shared();
        JsonNode token = payload(kc.clientCredentialsToken(kc.bastionClientId(), kc.bastionClientSecret()));
        assertThat(token.get("azp").asText()).isEqualTo("portcullis-bastion");
        assertThat(audiences(token)).contains("portcullis-broker");
        assertThatThrownBy(() -> kc.clientCredentialsToken(kc.bastionClientId(), "wrong"))
                .hasMessageContaining("401");
    }

    @Test
    void disabledUsersCannotSignInAndGroupChangesShowInTheNextToken() throws Exception {
        LocalKeycloak kc = LocalKeycloak.shared();
        kc.createUser("tk-frank", "frank-pass-" + Processes.secret(), "sre-approvers", "engineers");
        assertThat(kc.groupsOf("tk-frank")).containsExactly("engineers", "sre-approvers");
        kc.removeUserFromGroup("tk-frank", "sre-approvers");
        assertThat(kc.groupsOf("tk-frank")).containsExactly("engineers");

        kc.createUser("tk-gina", kc.demoPassword(), "engineers");
        assertThat(payload(kc.accessToken("tk-gina")).get("groups"))
                .extracting(JsonNode::asText)
                .containsExactly("/engineers");
        kc.addUserToGroup("tk-gina", "auditors");
        assertThat(payload(kc.accessToken("tk-gina")).get("groups"))
                .extracting(JsonNode::asText)
                .containsExactlyInAnyOrder("/engineers", "/auditors");
        kc.setUserEnabled("tk-gina", false);
        assertThatThrownBy(() -> kc.accessToken("tk-gina")).hasMessageContaining("invalid_grant");
    }

    @Test
    void keycloakKeepsItsDataAsARoleOfItsOwnNotAsThePostgresSuperuser() throws Exception {
        LocalKeycloak.shared().accessToken("alice"); // Keycloak is up and has used its database
        LocalPostgres pg = LocalPostgres.shared();
        try (java.sql.Connection c =
                        java.sql.DriverManager.getConnection(pg.jdbcUrl("postgres"), pg.superuser(), pg.password());
                java.sql.ResultSet rs = c.createStatement()
                        .executeQuery(
                                "select a.usename, r.rolsuper, r.rolcreatedb, r.rolcreaterole"
                                        + " from pg_stat_activity a join pg_roles r on r.rolname = a.usename where a.datname like 'keycloak_%'")) {
            int connections = 0;
            while (rs.next()) {
                connections++;
                assertThat(rs.getString(1)).as("Keycloak's login").startsWith("keycloak_");
                assertThat(rs.getBoolean(2) || rs.getBoolean(3) || rs.getBoolean(4))
                        .as("superuser, createdb or createrole")
                        .isFalse();
            }
            assertThat(connections).as("Keycloak's connections to its database").isPositive();
        }
    }

    static JsonNode payload(String jwt) throws Exception {
        String[] parts = jwt.split("\\.");
        return JSON.readTree(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8));
    }

    static java.util.List<String> audiences(JsonNode token) {
        JsonNode aud = token.get("aud");
        if (aud == null) return java.util.List.of();
        if (aud.isArray()) {
            java.util.List<String> list = new java.util.ArrayList<>();
            aud.forEach(a -> list.add(a.asText()));
            return list;
        }
        return java.util.List.of(aud.asText());
    }
}
