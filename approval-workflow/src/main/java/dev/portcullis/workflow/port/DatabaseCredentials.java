package dev.portcullis.workflow.port;

import java.util.Optional;

/**
 * How the database proxy learns who is connecting: people send a short-lived credential from the broker as their
 * PostgreSQL password, and the broker says whose it is. A credential is issued for one target and is nobody's on
 * any other, so one leaked from one database's client cannot be replayed against another. It never says whether
 * the person may reach a database;
 * that is {@link GrantAuthority}'s question, asked next. An issuer that cannot be asked throws
 * {@link GrantAuthority.AuthorityUnavailableException}; the proxy then refuses.
 */
public interface DatabaseCredentials {

    /** The person the credential was issued to, while it is valid and for this target; empty for anything else. */
    Optional<String> holderOf(String credential, String target);
}
