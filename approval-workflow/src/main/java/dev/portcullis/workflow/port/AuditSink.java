package dev.portcullis.workflow.port;

/** Appends to the tamper-evident audit trail. Appending must not fail silently: it throws when it cannot persist. */
public interface AuditSink {

    void append(AuditEvent event);
}
