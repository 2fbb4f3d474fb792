package dev.portcullis.bastion.db;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a PostgreSQL server sends, decoded where the proxy needs to understand it: the counterpart of
 * {@link PgFrontend} for the other direction. Every read is bounded by {@link PgMessage.Reader}, so a server's
 * malformed message is a {@link PgProtocolException}, never a read past its end.
 */
final class PgBackend {

    /** A ParameterStatus: the server reports a setting's value. */
    record ParameterStatus(String name, String value) {}

    private PgBackend() {}

    /** The fields of an ErrorResponse or NoticeResponse, by their code letter. */
    static Map<Character, String> errorFields(PgMessage m) throws PgProtocolException {
        Map<Character, String> fields = new LinkedHashMap<>();
        PgMessage.Reader r = m.reader();
        for (byte code = r.int8(); code != 0; code = r.int8()) {
            fields.put((char) code, r.cstring());
        }
        return fields;
    }

    /** CommandComplete's tag: {@code INSERT 0 1}, {@code SELECT 5}, ... */
    static String commandTag(PgMessage m) throws PgProtocolException {
        return m.reader().cstring();
    }

    static ParameterStatus parameterStatus(PgMessage m) throws PgProtocolException {
        PgMessage.Reader r = m.reader();
        String name = r.cstring();
        return new ParameterStatus(name, r.cstring());
    }

    /** ReadyForQuery's transaction status: {@link PgMessageType#IDLE}, in a transaction, or in a failed one. */
    static char transactionStatus(PgMessage m) throws PgProtocolException {
        return (char) m.reader().int8();
    }
}
