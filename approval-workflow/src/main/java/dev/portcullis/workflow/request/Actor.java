package dev.portcullis.workflow.request;

import java.util.Objects;
import java.util.Set;

/**
 * Who is acting, as the identity directory sees them right now (not as an old token said).
 * The scheduler and other automatic processes act as {@link #system()}.
 */
public record Actor(String username, Set<String> groups, boolean enabled, boolean automated) {

    private static final Actor SYSTEM = new Actor("portcullis", Set.of(), true, true);

    public Actor {
        Objects.requireNonNull(username, "username");
        groups = Set.copyOf(groups);
    }

    public static Actor person(String username, Set<String> groups, boolean enabled) {
        return new Actor(username, groups, enabled, false);
    }

    public static Actor system() {
        return SYSTEM;
    }

    public boolean isMemberOfAny(Set<String> wanted) {
        return groups.stream().anyMatch(wanted::contains);
    }
}
