package dev.portcullis.workflow.port;

import java.util.Objects;
import java.util.Optional;

/**
 * How the database proxy learns who is connecting: people send a short-lived credential from the broker as their
 * PostgreSQL password, and the broker says whose it is. A credential is issued for one target and is nobody's on
 * any other, so one leaked from one database's client cannot be replayed against another. It never says whether
 * the person may reach a database;
 * that is {@link GrantAuthority}'s question, asked next, with the account the credential was issued to. An issuer that
 * cannot be asked throws {@link GrantAuthority.AuthorityUnavailableException}; the proxy then refuses.
 */
public interface DatabaseCredentials {

    /** The holder of the credential, while it is valid and for this target; empty for anything else. */
    Optional<Holder> holderOf(String credential, String target);

    /**
     * @param username the person's name when the credential was issued
     * @param account  Keycloak's id ({@code sub}) of the account it was issued to: the proxy asks for that account's
     *                 grants only ({@link GrantAuthority.Ask#account()}), so a name passed on to a new account does not
     *                 pass on the old account's database grants
     */
    record Holder(String username, String account) {
        public Holder {
            Objects.requireNonNull(username, "username");
            Objects.requireNonNull(account, "account");
        }
    }
}
