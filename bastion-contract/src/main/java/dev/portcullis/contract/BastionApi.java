package dev.portcullis.contract;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.portcullis.workflow.grant.ActiveGrant;
import dev.portcullis.workflow.policy.AccessLevel;
import dev.portcullis.workflow.policy.SessionOptions;
import dev.portcullis.workflow.policy.Target;
import dev.portcullis.workflow.policy.TargetKind;
import dev.portcullis.workflow.port.GrantAuthority;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The JSON bodies of the broker's internal API for bastions ({@code /internal/v1}), as the records both sides use:
 * the broker's resources read and answer them, the bastion's clients (its {@code broker} package) send and read them,
 * so a field renamed on one side is renamed on the other by the compiler. The grant-event stream (server-sent events)
 * is not here. Plain records and Jackson annotations only: each side brings its own mapper.
 */
public final class BastionApi {

    private BastionApi() {}

    // ---- grant decisions: POST /internal/v1/grants/authorize and /internal/v1/grants/status

    /** Body of {@code POST /internal/v1/grants/authorize}; {@code use} is a {@link GrantAuthority.Use} name. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record AuthorizeRequest(String username, String target, String login, String use, String account) {
        public static AuthorizeRequest of(GrantAuthority.Ask ask) {
            return new AuthorizeRequest(
                    ask.username(), ask.target(), ask.login(), ask.use().name(), ask.account());
        }
    }

    /** Either {@code allowed} with the grant, or not, with a stable code and a one-line message for the user. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record AuthorizeAnswer(boolean allowed, GrantView grant, String code, String message) {
        public static AuthorizeAnswer of(GrantAuthority.Decision decision) {
            if (decision instanceof GrantAuthority.Allowed allowed) {
                return new AuthorizeAnswer(true, GrantView.of(allowed.grant()), null, null);
            }
            GrantAuthority.Refused refused = (GrantAuthority.Refused) decision;
            return new AuthorizeAnswer(false, null, refused.code(), refused.message());
        }

        /** The decision this answer carries; an answer that is not plainly allowed is a refusal. */
        public GrantAuthority.Decision decision() {
            if (!allowed) {
                return new GrantAuthority.Refused(
                        code == null ? "refused" : code, message == null ? "refused by the broker" : message);
            }
            return new GrantAuthority.Allowed(grant.toGrant());
        }
    }

    public record GrantView(
            UUID requestId,
            String holder,
            TargetView target,
            String login,
            AccessLevel access,
            Instant endsAt,
            SessionOptionsView session) {
        static GrantView of(ActiveGrant g) {
            Target t = g.target();
            SessionOptions s = g.session();
            return new GrantView(
                    g.requestId(),
                    g.holder(),
                    new TargetView(t.name(), t.kind(), t.host(), t.port(), t.database()),
                    g.login(),
                    g.access(),
                    g.endsAt(),
                    new SessionOptionsView(
                            s.portForwarding(), s.agentForwarding(), s.recordInput(), s.recordQueryParameters()));
        }

        ActiveGrant toGrant() {
            Target t =
                    new Target(target.name(), target.kind(), target.host(), target.port(), target.database(), Map.of());
            SessionOptionsView s = session == null ? new SessionOptionsView(null, null, null, null) : session;
            return new ActiveGrant(requestId, holder, t, login, access, endsAt, s.toOptions());
        }
    }

    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record TargetView(String name, TargetKind kind, String host, int port, String database) {}

    /** Absent options read as the safe defaults: no forwarding, everything recorded. */
    public record SessionOptionsView(
            Boolean portForwarding, Boolean agentForwarding, Boolean recordInput, Boolean recordQueryParameters) {
        SessionOptions toOptions() {
            return new SessionOptions(
                    Boolean.TRUE.equals(portForwarding),
                    Boolean.TRUE.equals(agentForwarding),
                    !Boolean.FALSE.equals(recordInput),
                    !Boolean.FALSE.equals(recordQueryParameters));
        }
    }

    /** Body of {@code POST /internal/v1/grants/status}: the grants a bastion has live sessions under. */
    public record GrantStatusRequest(List<UUID> requestIds) {}

    /** Per grant asked about: {@code live} (ACTIVE and before its end) or not, with its state and why it ended. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record GrantStatus(
            UUID requestId, boolean live, String state, String target, String login, Instant endsAt, String reason) {}

    public record GrantStatusAnswer(List<GrantStatus> grants) {}

    // ---- the session index: POST /internal/v1/sessions and /internal/v1/sessions/{id}/end

    /**
     * Body of {@code POST /internal/v1/sessions}: a session a bastion is opening.
     *
     * @param recordingKey SHA-256 (hex) of the X.509 encoding of the key that signs the recording; required with a
     *                     recordingId
     */
    public record SessionOpened(
            UUID sessionId,
            UUID requestId,
            String username,
            String target,
            String login,
            String protocol,
            String recordingId,
            String bastion,
            String clientAddress,
            Instant startedAt,
            String recordingKey,
            UUID bastionInstance) {}

    /** Body of {@code POST /internal/v1/sessions/{id}/end}. */
    public record SessionEnded(Instant endedAt, Long bytesIn, Long bytesOut, String status, String detail) {}

    // ---- bastion leases: POST /internal/v1/bastion-leases

    /** Body of {@code POST /internal/v1/bastion-leases}: a bastion process renews its lease. */
    public record LeaseRenewal(UUID instance, String bastion, UUID previousInstance) {}

    /** @param renewEverySeconds how often the bastion should renew (well inside the lease) */
    public record LeaseView(UUID instance, Instant expiresAt, Long renewEverySeconds, Integer abortedLeftovers) {}

    // ---- database credentials: POST /internal/v1/db/credentials/verify

    public record CredentialToVerify(String credential, String target) {
        @Override
        public String toString() {
            return "CredentialToVerify[redacted]";
        }
    }

    /** @param account Keycloak's id of the account the credential was issued to: only its grants count */
    public record CredentialHolder(String username, String account) {}

    // ---- SSH host certificates: POST /internal/v1/ssh/host-certificates

    /** Body of {@code POST /internal/v1/ssh/host-certificates}. */
    public record HostCertificateRequest(String publicKey, List<String> principals) {}

    public record HostCertificate(String certificate, List<String> principals, Instant validBefore) {}

    // ---- search entries: POST /internal/v1/search/entries

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record EntryBody(String session, Long offsetMicros, String kind, String text, String detail) {}

    public record Batch(List<EntryBody> entries) {}

    public record Taken(int stored, List<String> unknownSessions) {}

    // ---- live view: POST /internal/v1/sessions/{id}/live

    /** One frame as the bastion sends it. */
    public record Frame(Instant at, String kind, String data) {}

    public record Frames(List<Frame> frames) {}

    public record Watchers(List<String> watchers) {}
}
