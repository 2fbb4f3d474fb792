package dev.portcullis.broker.siem;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The JSON every sink carries for an audit row (docs/siem.md). Written in ASCII (other characters as \\u escapes), so
 * a syslog message needs no BOM and a byte count is a character count.
 */
public final class SiemJson {

    static final ObjectMapper JSON = new ObjectMapper().configure(JsonGenerator.Feature.ESCAPE_NON_ASCII, true);

    private SiemJson() {}

    /** The row as a JSON object: seq, at, actor, action, subjectType, subjectId, details, prevHash, hash. */
    public static ObjectNode event(AuditRow row) {
        ObjectNode event = JSON.createObjectNode();
        event.put("seq", row.seq());
        event.put("at", row.at().toString());
        event.put("actor", row.actor());
        event.put("action", row.action());
        event.put("subjectType", row.subjectType());
        event.put("subjectId", row.subjectId());
        try {
            event.set("details", JSON.readTree(row.details()));
        } catch (IOException e) {
            // the chain stores canonical JSON; should a row hold anything else, it travels as a string, unchanged
            event.put("details", row.details());
        }
        event.put("prevHash", row.prevHash());
        event.put("hash", row.hash());
        return event;
    }

    static String write(Object node) {
        try {
            return JSON.writeValueAsString(node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
