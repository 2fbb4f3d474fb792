package dev.portcullis.broker.persistence;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/** Row of {@code bastion_session}. Never leaves this package: the rest of the broker sees {@link IndexedSession}. */
@Entity
@Table(name = "bastion_session")
class BastionSessionEntity {

    @Id
    UUID id;

    @Column(name = "request_id")
    UUID requestId;

    String username;
    String target;
    String login;
    String protocol;

    @Column(name = "recording_id")
    String recordingId;

    String bastion;

    @Column(name = "client_address")
    String clientAddress;

    @Column(name = "started_at")
    Instant startedAt;

    @Column(name = "ended_at")
    Instant endedAt;

    @Column(name = "bytes_in")
    long bytesIn;

    @Column(name = "bytes_out")
    long bytesOut;

    String status;
    String detail;

    @Column(name = "recording_key")
    String recordingKey;

    @Column(name = "registered_by")
    String registeredBy;

    @Column(name = "bastion_instance")
    UUID bastionInstance;

    @Column(name = "retention_rule")
    String retentionRule;

    @Column(name = "retention_days")
    Integer retentionDays;

    @Column(name = "retain_until")
    Instant retainUntil;

    IndexedSession toView() {
        return new IndexedSession(
                id,
                requestId,
                username,
                target,
                login,
                protocol,
                recordingId,
                bastion,
                clientAddress,
                startedAt,
                endedAt,
                bytesIn,
                bytesOut,
                status,
                detail,
                recordingKey,
                registeredBy,
                retentionRule,
                retentionDays,
                retainUntil);
    }
}
