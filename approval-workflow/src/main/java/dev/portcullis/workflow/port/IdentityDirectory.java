package dev.portcullis.workflow.port;

import java.util.Optional;

import dev.portcullis.workflow.request.Actor;

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

    final class DirectoryUnavailableException extends RuntimeException {
        public DirectoryUnavailableException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
