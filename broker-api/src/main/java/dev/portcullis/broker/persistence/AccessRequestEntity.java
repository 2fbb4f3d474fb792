package dev.portcullis.broker.persistence;

import dev.portcullis.workflow.policy.AccessLevel;
import dev.portcullis.workflow.policy.TargetKind;
import dev.portcullis.workflow.request.AccessRequest;
import dev.portcullis.workflow.request.RequestState;
import dev.portcullis.workflow.request.Review;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * Row of {@code access_request}, for the listings that build their queries from filters; requests are stored and changed
 * with plain JDBC ({@link PostgresAccessRequestRepository}). Never leaves this package: the rest of the broker sees {@link AccessRequest}.
 */
@Entity
@Table(name = "access_request")
class AccessRequestEntity {

    @Id
    UUID id;

    String requester;
    String target;

    @Enumerated(EnumType.STRING)
    TargetKind kind;

    String login;
    String rule;

    @Enumerated(EnumType.STRING)
    AccessLevel access;

    @Column(name = "duration_seconds")
    long durationSeconds;

    String reason;
    String ticket;

    @Enumerated(EnumType.STRING)
    RequestState state;

    @Column(name = "created_at")
    Instant createdAt;

    @Column(name = "pending_until")
    Instant pendingUntil;

    @Column(name = "granted_at")
    Instant grantedAt;

    @Column(name = "ends_at")
    Instant endsAt;

    @Column(name = "ended_at")
    Instant endedAt;

    @Column(name = "ended_by")
    String endedBy;

    @Column(name = "end_reason")
    String endReason;

    @Version
    long version;

    AccessRequest toDomain(List<Review> reviews) {
        return new AccessRequest(
                id,
                requester,
                target,
                kind,
                login,
                rule,
                access,
                Duration.ofSeconds(durationSeconds),
                reason,
                ticket,
                state,
                createdAt,
                pendingUntil,
                reviews,
                grantedAt,
                endsAt,
                endedAt,
                endedBy,
                endReason);
    }
}
