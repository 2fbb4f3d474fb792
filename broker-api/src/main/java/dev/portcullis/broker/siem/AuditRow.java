package dev.portcullis.broker.siem;

import java.time.Instant;

/**
 * One row of {@code audit_log} as the SIEM stream sends it: its sequence number (the row's id, gapless), its content,
 * and the two hashes that let a receiver check continuity (each row's {@code prevHash} is the row before's {@code hash}).
 * {@code details} is the canonical JSON the row stores, sent as a JSON object.
 */
public record AuditRow(
        long seq,
        Instant at,
        String actor,
        String action,
        String subjectType,
        String subjectId,
        String details,
        String prevHash,
        String hash) {}
