package dev.portcullis.workflow.port;

import dev.portcullis.workflow.request.Actor;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The identity provider's current view of a person (Keycloak in production). Asked at the moment of
 * each decision, so group changes and disabled accounts take effect before any token expires.
 */
public interface IdentityDirectory {

    /**
     * @return the person with their current groups and enabled flag, or empty when the directory has no such user
     * @throws DirectoryUnavailableException when the directory cannot be asked; callers must then refuse, never allow
     */
    Optional<Actor> lookup(String username);

    /**
     * The person's membership of these groups now, and whether their account is enabled: for decisions that turn on
     * those groups alone (a review, under its rule's approver groups). The actor's groups are a subset of
     * {@code groups}; someone in none of them may come back as an enabled person with no groups, whether or not
     * the directory knows them. Directories that can answer for many people at once (a group's member list) say so
     * by overriding this.
     *
     * @throws DirectoryUnavailableException when the directory cannot be asked; callers must then refuse, never allow
     */
    default Optional<Actor> lookup(String username, Set<String> groups) {
        return lookup(username)
                .map(person -> new Actor(
                        person.username(),
                        person.groups().stream().filter(groups::contains).collect(Collectors.toUnmodifiableSet()),
                        person.enabled(),
                        person.automated(),
                        person.id()));
    }

    final class DirectoryUnavailableException extends RuntimeException {
        public DirectoryUnavailableException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
