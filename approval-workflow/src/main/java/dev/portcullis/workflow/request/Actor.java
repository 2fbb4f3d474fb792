package dev.portcullis.workflow.request;

import java.util.Objects;
import java.util.Set;

/**
 * Who is acting, as the identity directory sees them right now (not as an old token said).
 * The scheduler and other automatic processes act as {@link #system()}.
 *
 * @param groups full group paths ({@code /engineers}, {@code /jit/prod-db-admins}), never bare names
 * @param id     the directory's immutable id of the account (Keycloak's user id, a token's {@code sub}), or null when
 *               not known: usernames can be given to another account after a rename or deletion, ids cannot
 */
public record Actor(String username, Set<String> groups, boolean enabled, boolean automated, String id) {

    private static final Actor SYSTEM = new Actor("portcullis", Set.of(), true, true);

    public Actor {
        Objects.requireNonNull(username, "username");
        groups = Set.copyOf(groups);
    }

    public Actor(String username, Set<String> groups, boolean enabled, boolean automated) {
        this(username, groups, enabled, automated, null);
    }

    public static Actor person(String username, Set<String> groups, boolean enabled) {
        return new Actor(username, groups, enabled, false, null);
    }

    public static Actor person(String username, Set<String> groups, boolean enabled, String id) {
        return new Actor(username, groups, enabled, false, id);
    }

    public static Actor system() {
        return SYSTEM;
    }

    public boolean isMemberOfAny(Set<String> wanted) {
        return groups.stream().anyMatch(wanted::contains);
    }
}
