package dev.portcullis.broker.identity;

import dev.portcullis.broker.concurrency.Rounds;
import dev.portcullis.workflow.policy.PolicyLoader;
import dev.portcullis.workflow.port.IdentityDirectory;
import dev.portcullis.workflow.port.JitGroups;
import dev.portcullis.workflow.request.Actor;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.ProcessingException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.client.Client;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.resteasy.reactive.client.api.QuarkusRestClientProperties;
import org.keycloak.OAuth2Constants;
import org.keycloak.admin.client.Keycloak;
import org.keycloak.admin.client.KeycloakBuilder;
import org.keycloak.admin.client.resource.RealmResource;
import org.keycloak.admin.client.resource.UserResource;
import org.keycloak.representations.idm.GroupRepresentation;
import org.keycloak.representations.idm.UserRepresentation;

/**
 * Keycloak's current view of a person, read through the admin API at the moment of each decision:
 * the account (enabled, username) and its groups, two calls, never cached. Only the mapping from
 * username to Keycloak's immutable user id is remembered, and it is checked on every use.
 * Groups are full paths ({@code /engineers}, {@code /jit/prod-db-admins}), as in tokens and the policy: a group
 * nested elsewhere under the same name ({@code /teams/x/admins}) is another group and counts for nothing.
 *
 * <p>A review asks about the rule's approver groups only, and those Keycloak answers for everybody at once:
 * the group's member list carries each member's enabled flag. Reviews that arrive together share one read of
 * each list, but a review only ever uses a read that started after it arrived ({@link Rounds}), so removing
 * someone from a group or disabling them in Keycloak stops every review that arrives afterwards. Alone, a review
 * costs the same two calls as a person lookup (the group by path, then its members); under load, a few calls
 * answer a whole batch instead of two calls per review. Reads of one group start at most every
 * {@code portcullis.directory.read-spacing} (100 ms): under load a review may wait that long for its read, and Keycloak
 * answers at most ten member lists a second per group however many reviews arrive (unspaced, the reads alone cost
 * Keycloak a large share of a core: docs/measurements.md).
 */
@ApplicationScoped
// every call's latency, failures tagged with their exception: portcullis_keycloak_calls_seconds{method,exception}
@io.micrometer.core.annotation.Timed(value = "portcullis.keycloak.calls", description = "Calls to Keycloak")
public class KeycloakDirectory implements IdentityDirectory, JitGroups {

    private final Keycloak keycloak;
    private final String realmName;
    /** Username to the client proxy for Keycloak's immutable user id; building a proxy costs more than the call. */
    private final Map<String, UserResource> users = new ConcurrentHashMap<>();
    /** Group path to the shared, always fresh read of its members; empty when no group has that path. */
    private final Map<String, Rounds<Void, Optional<Map<String, Member>>>> memberReads = new ConcurrentHashMap<>();
    /**
     * Username to the shared read of the account that holds it: concurrent checks of one person's tokens (every API
     * call re-checks once the last check is older than the recheck interval, so under load hundreds at the same
     * moment) wait for one read that started after they asked instead of each calling Keycloak and exhausting its
     * connections.
     */
    private final Map<String, Rounds<Void, Optional<UserRepresentation>>> accountReads = new ConcurrentHashMap<>();
    /** Group path to the shared read of its members' addresses, for notifications; spaced like the reviews' reads. */
    private final Map<String, Rounds<Void, Map<String, String>>> emailReads = new ConcurrentHashMap<>();
    /** Member-list reads asked of Keycloak, per group path: what the sharing of reads saves can be counted. */
    private final Map<String, LongAdder> memberListReads = new ConcurrentHashMap<>();
    /** The only group below which the broker adds and removes members (JIT groups). */
    private final String jitParent;

    private static final int PAGE = 1000;
    /** How long a review waits for a read started by another: longer than the read's own calls (token, group, members) can take. */
    private final Duration patience;
    /** The least time between the starts of two reads of one group's members: under load, how often Keycloak is asked. */
    private final Duration readSpacing;

    // One admin client for the broker's lifetime, so its service-account token is reused until it nears
    // expiry instead of being fetched (and signed by Keycloak) again for every call. Every call is bounded: a Keycloak
    // that accepts connections and then says nothing must fail a decision (and so refuse it), not hang it.
    public KeycloakDirectory(
            @ConfigProperty(name = "quarkus.keycloak.admin-client.server-url") String serverUrl,
            @ConfigProperty(name = "portcullis.realm-name") String realmName,
            @ConfigProperty(name = "quarkus.keycloak.admin-client.client-id") String clientId,
            @ConfigProperty(name = "quarkus.keycloak.admin-client.client-secret") String clientSecret,
            @ConfigProperty(name = "portcullis.directory.timeout-seconds", defaultValue = "10") int timeoutSeconds,
            @ConfigProperty(name = "portcullis.directory.read-spacing", defaultValue = "100ms") Duration readSpacing) {
        this(
                serverUrl,
                realmName,
                clientId,
                clientSecret,
                timeoutSeconds,
                readSpacing,
                PolicyLoader.DEFAULT_JIT_PARENT);
    }

    @Inject
    public KeycloakDirectory(
            @ConfigProperty(name = "quarkus.keycloak.admin-client.server-url") String serverUrl,
            @ConfigProperty(name = "portcullis.realm-name") String realmName,
            @ConfigProperty(name = "quarkus.keycloak.admin-client.client-id") String clientId,
            @ConfigProperty(name = "quarkus.keycloak.admin-client.client-secret") String clientSecret,
            @ConfigProperty(name = "portcullis.directory.timeout-seconds", defaultValue = "10") int timeoutSeconds,
            @ConfigProperty(name = "portcullis.directory.read-spacing", defaultValue = "100ms") Duration readSpacing,
            @ConfigProperty(name = "portcullis.jit.parent", defaultValue = "/jit") String jitParent) {
        if (!jitParent.startsWith("/") || PolicyLoader.groupPath(jitParent) == null) {
            throw new IllegalArgumentException(
                    "portcullis.jit.parent must be a group path like /jit, not '" + jitParent + "'");
        }
        this.jitParent = PolicyLoader.groupPath(jitParent);
        if (timeoutSeconds < 1) {
            throw new IllegalArgumentException(
                    "portcullis.directory.timeout-seconds must be at least 1, not " + timeoutSeconds);
        }
        if (readSpacing.isNegative() || readSpacing.compareTo(Duration.ofSeconds(1)) > 0) {
            throw new IllegalArgumentException(
                    "portcullis.directory.read-spacing must be between 0 and 1s, not " + readSpacing);
        }
        this.realmName = realmName;
        this.patience = Duration.ofSeconds(4L * timeoutSeconds);
        this.readSpacing = readSpacing;
        Client client = Keycloak.getClientProvider().newRestEasyClient(null, null, false);
        client.property(QuarkusRestClientProperties.CONNECT_TIMEOUT, timeoutSeconds * 1000L);
        client.property(QuarkusRestClientProperties.READ_TIMEOUT, timeoutSeconds * 1000L);
        this.keycloak = KeycloakBuilder.builder()
                .serverUrl(serverUrl)
                .realm(realmName)
                .clientId(clientId)
                .clientSecret(clientSecret)
                .grantType(OAuth2Constants.CLIENT_CREDENTIALS)
                .resteasyClient(client)
                .build();
    }

    @PreDestroy
    public void close() {
        keycloak.close();
    }

    @Override
    public Optional<Actor> lookup(String username) {
        try {
            Optional<Account> found = account(username);
            if (found.isEmpty()) {
                return Optional.empty();
            }
            Set<String> groups = new HashSet<>();
            for (GroupRepresentation group : found.get().resource().groups(0, 500, true)) {
                // Full paths only: a nested /teams/x/admins must never pass for /admins.
                if (group.getPath() != null && group.getPath().startsWith("/")) {
                    groups.add(group.getPath());
                }
            }
            UserRepresentation user = found.get().representation();
            return Optional.of(Actor.person(username, groups, Boolean.TRUE.equals(user.isEnabled()), user.getId()));
        } catch (ProcessingException | WebApplicationException e) {
            throw new DirectoryUnavailableException("cannot ask Keycloak about " + username + ": " + e.getMessage(), e);
        }
    }

    /**
     * Keycloak's immutable id ({@code sub} in its tokens) of the account that holds this username now, or empty when
     * none does: a token whose {@code sub} differs was issued to an account that has since been renamed or deleted.
     */
    public Optional<String> accountId(String username) {
        return sharedAccount(username).map(UserRepresentation::getId);
    }

    /** The account that holds this username, from a read started after this call and shared with concurrent ones. */
    private Optional<UserRepresentation> sharedAccount(String username) {
        try {
            return accountReads
                    .computeIfAbsent(
                            username,
                            u -> Rounds.ofReads(
                                    () -> {
                                        try {
                                            return account(u).map(Account::representation);
                                        } catch (ProcessingException | WebApplicationException e) {
                                            throw new DirectoryUnavailableException(
                                                    "cannot ask Keycloak about " + u + ": " + e.getMessage(), e);
                                        }
                                    },
                                    patience,
                                    Duration.ZERO))
                    .get();
        } catch (IllegalStateException e) {
            throw new DirectoryUnavailableException("cannot ask Keycloak about " + username + ": " + e.getMessage(), e);
        }
    }

    private record Account(UserResource resource, UserRepresentation representation) {}

    /** The account that has this username now; the remembered id is checked against the username on every use. */
    private Optional<Account> account(String username) {
        RealmResource realm = keycloak.realm(realmName);
        for (int attempt = 0; attempt < 2; attempt++) {
            UserResource user = users.get(username);
            if (user == null) {
                Optional<UserRepresentation> found = realm.users().searchByUsername(username, true).stream()
                        .filter(u -> username.equals(u.getUsername()))
                        .findFirst();
                if (found.isEmpty()) {
                    return Optional.empty();
                }
                user = realm.users().get(found.get().getId());
                users.put(username, user);
            }
            UserRepresentation account;
            try {
                account = user.toRepresentation();
            } catch (WebApplicationException e) {
                if (!isNotFound(e)) {
                    throw e;
                }
                account = null; // deleted since we remembered its id
            }
            if (account == null || !username.equals(account.getUsername())) {
                users.remove(username); // deleted or renamed since we remembered it: look it up afresh
                continue;
            }
            return Optional.of(new Account(user, account));
        }
        return Optional.empty();
    }

    @Override
    public Optional<Actor> lookup(String username, Set<String> groups) {
        Set<String> memberOf = new HashSet<>();
        boolean enabled = true;
        String id = null;
        for (String group : groups) {
            Optional<Map<String, Member>> members = sharedMembers(group);
            // No group at that path has no members; a group elsewhere with the same name is another group.
            Member member = members.map(m -> m.get(username)).orElse(null);
            if (member != null) {
                memberOf.add(group);
                enabled &= member.enabled();
                id = member.id();
            }
        }
        return Optional.of(Actor.person(username, memberOf, enabled, id));
    }

    /** The members of the group at this path, from a read started after this call and shared with concurrent ones. */
    private Optional<Map<String, Member>> sharedMembers(String group) {
        try {
            return memberReads
                    .computeIfAbsent(group, g -> Rounds.ofReads(() -> membersWithStatus(g), patience, readSpacing))
                    .get();
        } catch (IllegalStateException e) {
            throw new DirectoryUnavailableException("cannot read the members of " + group + ": " + e.getMessage(), e);
        }
    }

    /** A direct member of a group: whether their account is enabled, and its id. */
    private record Member(boolean enabled, String id) {}

    /** Every direct member of the group at this path, or empty when there is no such group. */
    private Optional<Map<String, Member>> membersWithStatus(String path) {
        memberListReads.computeIfAbsent(path, p -> new LongAdder()).increment();
        return directMembers(path).map(users -> {
            Map<String, Member> members = new HashMap<>();
            users.forEach(u -> members.put(u.getUsername(), new Member(Boolean.TRUE.equals(u.isEnabled()), u.getId())));
            return members;
        });
    }

    /**
     * For notifications: the email address of each enabled direct member of the group at this path that has one (none
     * when there is no such group). Reads of their own, shared and spaced like the reviews' but apart from them and
     * their count; an address is at most one read spacing old, and a message carries no authority.
     */
    public Map<String, String> memberEmails(String path) {
        try {
            return emailReads
                    .computeIfAbsent(
                            path,
                            p -> Rounds.ofReads(
                                    () -> {
                                        Map<String, String> emails = new HashMap<>();
                                        directMembers(p).orElse(List.of()).stream()
                                                .filter(u -> Boolean.TRUE.equals(u.isEnabled())
                                                        && u.getEmail() != null
                                                        && !u.getEmail().isBlank())
                                                .forEach(u -> emails.put(u.getUsername(), u.getEmail()));
                                        return Map.copyOf(
                                                emails); // one answer for every caller of the round: never changed
                                        // after
                                    },
                                    patience,
                                    readSpacing))
                    .get();
        } catch (IllegalStateException e) {
            throw new DirectoryUnavailableException("cannot read the members of " + path + ": " + e.getMessage(), e);
        }
    }

    /** Every direct member of the group at this path (brief form: id, username, email, enabled); empty: no group. */
    private Optional<List<UserRepresentation>> directMembers(String path) {
        try {
            RealmResource realm = keycloak.realm(realmName);
            String groupId;
            try {
                groupId = realm.getGroupByPath(path).getId();
            } catch (WebApplicationException e) {
                if (!isNotFound(e)) {
                    throw e;
                }
                return Optional.empty();
            }
            List<UserRepresentation> members = new ArrayList<>();
            for (int first = 0; ; first += PAGE) {
                List<UserRepresentation> page = realm.groups().group(groupId).members(first, PAGE, true);
                members.addAll(page);
                if (page.size() < PAGE) {
                    return Optional.of(members);
                }
            }
        } catch (ProcessingException | WebApplicationException e) {
            throw new DirectoryUnavailableException("cannot read the members of " + path + ": " + e.getMessage(), e);
        }
    }

    /** For notifications: the email address of this enabled account, if it has one. */
    public Optional<String> email(String username) {
        return sharedAccount(username)
                .filter(u -> Boolean.TRUE.equals(u.isEnabled()))
                .map(UserRepresentation::getEmail)
                .filter(e -> !e.isBlank());
    }

    /** How many times the members of the group at this path have been read from Keycloak so far. */
    public long memberListReads(String group) {
        LongAdder reads = memberListReads.get(group);
        return reads == null ? 0 : reads.sum();
    }

    @Override
    public void add(String username, String group) {
        membership(username, group, true);
    }

    @Override
    public void remove(String username, String group) {
        membership(username, group, false);
    }

    private void membership(String username, String group, boolean join) {
        if (!group.startsWith(jitParent + "/")) {
            // The policy loader already refuses such a jitGroup, and Keycloak's own admin permissions let the broker's
            // service account change the members of the JIT groups only; this refuses before asking.
            throw new IllegalStateException("refusing to change " + username + "'s membership of " + group
                    + ": the broker manages only groups below " + jitParent + " (portcullis.jit.parent)");
        }
        try {
            RealmResource realm = keycloak.realm(realmName);
            String groupId = realm.getGroupByPath(group).getId();
            Optional<UserRepresentation> user = realm.users().searchByUsername(username, true).stream()
                    .filter(u -> username.equals(u.getUsername()))
                    .findFirst();
            if (user.isEmpty()) {
                if (join) {
                    throw new IllegalStateException(
                            "cannot add " + username + " to " + group + ": no such user in Keycloak");
                }
                return; // a deleted user is in no group
            }
            if (join) {
                realm.users().get(user.get().getId()).joinGroup(groupId);
            } else {
                realm.users().get(user.get().getId()).leaveGroup(groupId);
            }
        } catch (ProcessingException | WebApplicationException e) {
            if (e instanceof WebApplicationException w && isNotFound(w)) {
                throw noJitGroup(group, e);
            }
            if (e instanceof WebApplicationException w
                    && w.getResponse() != null
                    && w.getResponse().getStatus() == 403) {
                // Keycloak's fine-grained admin permissions name each JIT group the service account may change.
                throw new IllegalStateException(
                        "Keycloak refused to change " + username + "'s membership of " + group
                                + " (403): name " + group
                                + " in the realm's admin permission 'portcullis-broker: members of the"
                                + " JIT groups' (deploy/keycloak/README.md)",
                        e);
            }
            throw new DirectoryUnavailableException(
                    "cannot change " + username + "'s membership of " + group + ": " + e.getMessage(), e);
        }
    }

    /** Direct members of the group at this path, from a read shared with concurrent callers (pages, JIT passes). */
    @Override
    public Set<String> members(String group) {
        return new TreeSet<>(
                sharedMembers(group).orElseThrow(() -> noJitGroup(group, null)).keySet());
    }

    private static IllegalStateException noJitGroup(String group, Exception cause) {
        return new IllegalStateException("Keycloak has no group " + group + " (the policy names it)", cause);
    }

    /** The admin client reports a 404 as a plain WebApplicationException (not NotFoundException) in Quarkus. */
    private static boolean isNotFound(WebApplicationException e) {
        return e instanceof NotFoundException
                || (e.getResponse() != null && e.getResponse().getStatus() == 404);
    }
}
