package dev.portcullis.workflow.port;

import dev.portcullis.workflow.grant.ActiveGrant;
import java.util.Objects;

/**
 * The bastion's question to the broker, asked for every new session and every new channel: may this
 * person use this login on this target, in this way, now? The broker answers from the live grants
 * (in-process when the bastion runs inside the broker, over the internal REST API otherwise).
 * An authority that cannot be asked throws {@link AuthorityUnavailableException}; the bastion then refuses.
 */
public interface GrantAuthority {

    /**
     * The extension of the broker's SSH user certificates that names the person's Keycloak account id ({@code sub}):
     * the bastion asks with it ({@link Ask#account()}), so the certificate is good only for that account's grants.
     */
    String ACCOUNT_EXTENSION = "portcullis-account@portcullis.dev";

    Decision authorize(Ask ask);

    /** What a session or a channel is about to do. */
    enum Use {
        /** Opening the connection to the target at all. */
        SESSION,
        SHELL,
        EXEC,
        SFTP,
        PORT_FORWARDING,
        AGENT_FORWARDING,
        /** A PostgreSQL session through the database proxy. */
        DATABASE
    }

    /**
     * @param account Keycloak's id ({@code sub}) of the person's account as their SSH certificate names it, or null
     *                when the asker knows none (a database credential, a plain key an operator listed): with it, only
     *                grants that this very account asked for count, so a username passed on to a new account does not
     *                pass on the old account's grants
     */
    record Ask(String username, String target, String login, Use use, String account) {
        public Ask {
            Objects.requireNonNull(username, "username");
            Objects.requireNonNull(target, "target");
            Objects.requireNonNull(login, "login");
            Objects.requireNonNull(use, "use");
        }

        public Ask(String username, String target, String login, Use use) {
            this(username, target, login, use, null);
        }
    }

    sealed interface Decision permits Allowed, Refused {}

    record Allowed(ActiveGrant grant) implements Decision {
        public Allowed {
            Objects.requireNonNull(grant, "grant");
        }
    }

    /** @param message one line a person can act on, shown to the user as it is */
    record Refused(String code, String message) implements Decision {
        public Refused {
            Objects.requireNonNull(code, "code");
            Objects.requireNonNull(message, "message");
        }
    }

    final class AuthorityUnavailableException extends RuntimeException {
        public AuthorityUnavailableException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
