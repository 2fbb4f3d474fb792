package dev.portcullis.bastion.db;

/**
 * The type bytes of the PostgreSQL protocol (v3), named as the protocol's documentation names the messages. Clients
 * and servers reuse letters for different messages ('E' is Execute from a client, ErrorResponse from a server), so
 * each name says which side sends it. Constants rather than an enum, so that they serve as case labels on the raw byte.
 */
final class PgMessageType {

    // ---- sent by clients (frontend)
    static final char BIND = 'B';
    static final char CLOSE = 'C';
    static final char COPY_DATA = 'd';
    static final char COPY_DONE = 'c';
    static final char COPY_FAIL = 'f';
    static final char DESCRIBE = 'D';
    static final char EXECUTE = 'E';
    static final char FLUSH = 'H';
    static final char FUNCTION_CALL = 'F';
    static final char PARSE = 'P';
    /** PasswordMessage, and the SASL messages that share its type. */
    static final char PASSWORD = 'p';

    static final char QUERY = 'Q';
    static final char SYNC = 'S';
    static final char TERMINATE = 'X';

    // ---- sent by servers (backend)
    static final char AUTHENTICATION = 'R';
    static final char BACKEND_KEY_DATA = 'K';
    static final char COMMAND_COMPLETE = 'C';
    static final char DATA_ROW = 'D';
    static final char EMPTY_QUERY_RESPONSE = 'I';
    static final char ERROR_RESPONSE = 'E';
    static final char NEGOTIATE_PROTOCOL_VERSION = 'v';
    static final char NOTICE_RESPONSE = 'N';
    static final char NOTIFICATION_RESPONSE = 'A';
    static final char PARAMETER_STATUS = 'S';
    static final char PORTAL_SUSPENDED = 's';
    static final char READY_FOR_QUERY = 'Z';
    static final char ROW_DESCRIPTION = 'T';

    // ---- the one byte a server answers an SSLRequest or GSSENCRequest with
    static final char ENCRYPTION_ACCEPTED = 'S';
    static final char ENCRYPTION_REFUSED = 'N';

    // ---- inside messages
    /** ReadyForQuery's transaction status: idle, outside a transaction. */
    static final char IDLE = 'I';
    /** Close and Describe name a prepared statement or a portal. */
    static final char PREPARED_STATEMENT = 'S';

    static final char PORTAL = 'P';
    /** Fields of ErrorResponse and NoticeResponse. */
    static final char FIELD_SEVERITY = 'S';

    static final char FIELD_SEVERITY_NONLOCALIZED = 'V';
    static final char FIELD_SQLSTATE = 'C';
    static final char FIELD_MESSAGE = 'M';
    static final char FIELD_HINT = 'H';

    private PgMessageType() {}
}
