package dev.portcullis.bastion.db;

import java.io.IOException;

/**
 * The peer broke the PostgreSQL protocol: a wrong length, an unknown message type, a message where none may be. The
 * connection is closed with this message as its protocol error; nothing of the offending message is forwarded.
 */
public final class PgProtocolException extends IOException {

    public PgProtocolException(String message) {
        super(message);
    }
}
