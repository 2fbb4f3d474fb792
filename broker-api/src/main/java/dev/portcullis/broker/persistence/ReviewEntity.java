package dev.portcullis.broker.persistence;

import dev.portcullis.workflow.request.Review;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/** Row of {@code request_review}; append-only. */
@Entity
@Table(name = "request_review")
class ReviewEntity {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    Long id;

    @Column(name = "request_id")
    UUID requestId;

    String reviewer;

    @Enumerated(EnumType.STRING)
    Review.Decision decision;

    String comment;

    @Column(name = "reviewed_at")
    Instant reviewedAt;

    Review toDomain() {
        return new Review(reviewer, decision, comment, reviewedAt);
    }
}
