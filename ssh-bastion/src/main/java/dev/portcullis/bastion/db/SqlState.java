package dev.portcullis.bastion.db;

/**
 * The SQLSTATEs the proxy sends or looks for, named as PostgreSQL's errcodes name them (appendix A of its manual), as
 * pgjdbc's {@code PSQLState} does.
 */
enum SqlState {
    /** The client or the server broke the protocol. */
    PROTOCOL_VIOLATION("08P01"),
    /** The proxy could not reach or log in to the server. */
    UNABLE_TO_CONNECT("08001"),
    INVALID_PARAMETER_VALUE("22023"),
    /** A write under a read-only grant. */
    READ_ONLY_SQL_TRANSACTION("25006"),
    /** Not allowed in: no grant, no TLS, a startup parameter or role the proxy does not let through. */
    INVALID_AUTHORIZATION("28000"),
    INVALID_PASSWORD("28P01"),
    INSUFFICIENT_PRIVILEGE("42501"),
    TOO_MANY_CONNECTIONS("53300"),
    /** The session was ended from outside: its grant ended, an admin ended it, the server or the bastion stopped. */
    ADMIN_SHUTDOWN("57P01"),
    /** Not now: the broker, the index or the recording store is not available; try again shortly. */
    CANNOT_CONNECT_NOW("57P03"),
    INTERNAL_ERROR("XX000");

    private final String code;

    SqlState(String code) {
        this.code = code;
    }

    /** The five characters on the wire. */
    String code() {
        return code;
    }
}
