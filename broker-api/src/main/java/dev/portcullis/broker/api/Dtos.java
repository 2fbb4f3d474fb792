package dev.portcullis.broker.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.portcullis.broker.persistence.IndexedSession;
import dev.portcullis.broker.persistence.LegalHolds;
import dev.portcullis.broker.ssh.SshCertificateIssuer;
import dev.portcullis.workflow.policy.AccessRule;
import dev.portcullis.workflow.policy.Durations;
import dev.portcullis.workflow.policy.RequestOption;
import dev.portcullis.workflow.request.AccessRequest;
import dev.portcullis.workflow.request.Actor;
import dev.portcullis.workflow.request.RequestState;
import dev.portcullis.workflow.request.Review;
import dev.portcullis.workflow.request.SeparationOfDuties;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** What the REST API reads and writes. Domain objects never go over the wire directly. */
public final class Dtos {

    private Dtos() {}

    /** Body of {@code POST /api/v1/requests}. */
    public record NewRequest(String target, String login, Integer durationMinutes, String reason, String ticket) {}

    /** Body of approve (comment optional), deny and revoke (reason required). */
    public record Decision(String comment, String reason) {}

    /** What {@code GET /api/v1/client-settings} tells the command line before it signs in. */
    public record ClientSettings(String issuer, String clientId, String bastionHost, int bastionSshPort) {}

    public record Me(String username, List<String> groups, boolean auditor, boolean admin) {}

    public record TargetOption(
            String target,
            String kind,
            String login,
            String access,
            String rule,
            int maxDurationMinutes,
            String maxDuration,
            boolean reasonRequired,
            String ticketPattern,
            int approvalsRequired,
            List<String> approverGroups) {
        static TargetOption of(RequestOption o) {
            AccessRule r = o.rule();
            return new TargetOption(
                    o.target().name(),
                    o.target().kind().wireName(),
                    o.login(),
                    r.access().name().toLowerCase(),
                    r.name(),
                    (int) r.maxDuration().toMinutes(),
                    Durations.format(r.maxDuration()),
                    r.reasonRequired(),
                    r.ticketPattern() == null ? null : r.ticketPattern().pattern(),
                    r.approvalsRequired(),
                    r.sortedApproverGroups());
        }
    }

    public record ReviewView(String reviewer, String decision, String comment, Instant at) {
        static ReviewView of(Review r) {
            return new ReviewView(r.reviewer(), r.decision().name(), r.comment(), r.at());
        }
    }

    /**
     * @param approvalsRequired  null when the rule is gone from the policy
     * @param canReview          whether the caller's token groups would let them review now (the server checks again live)
     */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record RequestView(
            UUID id,
            String requester,
            String target,
            String kind,
            String login,
            String access,
            String rule,
            int durationMinutes,
            String reason,
            String ticket,
            RequestState state,
            Instant createdAt,
            Instant pendingUntil,
            Instant grantedAt,
            Instant endsAt,
            Instant endedAt,
            String endedBy,
            String endReason,
            List<ReviewView> reviews,
            long approvals,
            Integer approvalsRequired,
            List<String> approverGroups,
            boolean live,
            boolean canReview) {

        static RequestView of(AccessRequest r, AccessRule rule, Actor viewer, Instant now) {
            return new RequestView(
                    r.id(),
                    r.requester(),
                    r.target(),
                    r.kind().wireName(),
                    r.login(),
                    r.access().name().toLowerCase(),
                    r.rule(),
                    (int) r.duration().toMinutes(),
                    r.reason(),
                    r.ticket(),
                    r.state(),
                    r.createdAt(),
                    r.pendingUntil(),
                    r.grantedAt(),
                    r.endsAt(),
                    r.endedAt(),
                    r.endedBy(),
                    r.endReason(),
                    r.reviews().stream().map(ReviewView::of).toList(),
                    r.approvalCount(),
                    rule == null ? null : rule.approvalsRequired(),
                    rule == null ? List.of() : rule.sortedApproverGroups(),
                    r.isLiveAt(now),
                    rule != null && now.isBefore(r.pendingUntil()) && SeparationOfDuties.mayReview(r, viewer, rule));
        }
    }

    // ---- SSH certificates

    /** Body of {@code POST /api/v1/ssh/certificates}. */
    public record CertificateRequest(String publicKey) {}

    public record UserCertificate(
            String certificate,
            List<String> principals,
            String keyId,
            long serial,
            Instant validAfter,
            Instant validBefore) {
        static UserCertificate of(SshCertificateIssuer.UserCertificate c) {
            return new UserCertificate(
                    c.certificate(), c.principals(), c.keyId(), c.serial(), c.validAfter(), c.validBefore());
        }
    }

    /**
     * A database credential for one target, shown once. {@code connect} is a libpq connection string with ROLE to fill
     * in; it verifies the proxy's certificate against {@code sslRootCert}, a file holding {@code caCertificate} (PEM;
     * null when the broker is not told the proxy's CA, then ask an operator for it).
     */
    public record DatabaseCredential(
            String username,
            String target,
            String password,
            Instant expiresAt,
            String proxyHost,
            int proxyPort,
            String connect,
            String sslRootCert,
            String caCertificate) {
        @Override
        public String toString() {
            return "DatabaseCredential[" + username + ", expires " + expiresAt + "]";
        }
    }

    public record CaKeys(String userCaPublicKey, String hostCaPublicKey, String knownHostsLine) {
        static CaKeys of(SshCertificateIssuer.CaKeys k) {
            return new CaKeys(k.userCaPublicKey(), k.hostCaPublicKey(), k.knownHostsLine());
        }
    }

    // ---- the session index (the bodies bastions send are dev.portcullis.contract.BastionApi's)

    @JsonInclude(JsonInclude.Include.ALWAYS)
    /**
     * @param retention          the retention recorded with the session ({@code 90d}), or {@code for ever}
     * @param retainUntil        the earliest its recording's payload may be deleted, or null: never
     * @param legalHold          whether a live legal hold covers the session (then nothing of it is deleted)
     * @param recordingDeletedAt when the retention job deleted its recording's payload, or null
     */
    public record SessionView(
            UUID id,
            UUID requestId,
            String username,
            String target,
            String login,
            String protocol,
            String recordingId,
            String bastion,
            String clientAddress,
            Instant startedAt,
            Instant endedAt,
            long bytesIn,
            long bytesOut,
            String status,
            String detail,
            String retention,
            Instant retainUntil,
            boolean legalHold,
            Instant recordingDeletedAt) {
        static SessionView of(IndexedSession s) {
            return of(s, false, null);
        }

        static SessionView of(IndexedSession s, boolean held, Instant deletedAt) {
            return new SessionView(
                    s.id(),
                    s.requestId(),
                    s.username(),
                    s.target(),
                    s.login(),
                    s.protocol(),
                    s.recordingId(),
                    s.bastion(),
                    s.clientAddress(),
                    s.startedAt(),
                    s.endedAt(),
                    s.bytesIn(),
                    s.bytesOut(),
                    s.status(),
                    s.detail(),
                    s.retentionDays() == null ? "for ever" : s.retentionDays() + "d",
                    s.retainUntil(),
                    held,
                    deletedAt);
        }
    }

    /** {@code POST /api/v1/holds}: a session or a ticket, and why. */
    public record HoldRequest(UUID session, String ticket, String reason) {}

    public record HoldView(
            UUID id,
            UUID session,
            String ticket,
            String reason,
            String placedBy,
            Instant placedAt,
            boolean live,
            String releasedBy,
            Instant releasedAt,
            String releaseReason) {
        public static HoldView of(LegalHolds.Hold h) {
            return new HoldView(
                    h.id(),
                    h.session(),
                    h.ticket(),
                    h.reason(),
                    h.placedBy(),
                    h.placedAt(),
                    h.live(),
                    h.releasedBy(),
                    h.releasedAt(),
                    h.releaseReason());
        }
    }

    /** @param problem what is wrong, or null when VALID */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record RecordingVerification(String status, String problem) {}
}
