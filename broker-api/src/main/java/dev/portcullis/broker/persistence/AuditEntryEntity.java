package dev.portcullis.broker.persistence;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/** Row of {@code audit_log}; append-only and hash-chained (see {@link HashChainedAuditLog}). */
@Entity
@Table(name = "audit_log")
class AuditEntryEntity {

    @Id
    Long id;

    Instant at;
    String actor;
    String action;

    @Column(name = "subject_type")
    String subjectType;

    @Column(name = "subject_id")
    String subjectId;

    String details;

    @Column(name = "prev_hash")
    String prevHash;

    String hash;
}
