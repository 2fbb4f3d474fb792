package dev.portcullis.workflow.port;

import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * The searchable list of sessions that went through a bastion: who, where, as whom, under which grant,
 * when, how much, how it ended, and which recording holds it. The recording itself lives in the
 * recording store; this is the index auditors search.
 */
public interface SessionIndex {

    /** Records that a session started; called before the first byte reaches the target. */
    void opened(Opened session);

    /** Records how a session ended. Idempotent: a second call for the same id changes nothing. */
    void closed(Closed session);

    /** @param protocol "ssh" or "postgres" */
    record Opened(
            UUID sessionId,
            UUID requestId,
            String username,
            String target,
            String login,
            String protocol,
            String recordingId,
            String bastion,
            String clientAddress,
            Instant startedAt) {
        public Opened {
            Objects.requireNonNull(sessionId, "sessionId");
            Objects.requireNonNull(username, "username");
            Objects.requireNonNull(target, "target");
            Objects.requireNonNull(login, "login");
            Objects.requireNonNull(protocol, "protocol");
            Objects.requireNonNull(startedAt, "startedAt");
        }
    }

    /**
     * @param status       how it ended: the name of a {@link SessionStatus} other than OPEN and ABORTED
     * @param detail       one line for people, or null
     */
    record Closed(UUID sessionId, Instant endedAt, long bytesIn, long bytesOut, String status, String detail) {
        public Closed {
            Objects.requireNonNull(sessionId, "sessionId");
            Objects.requireNonNull(endedAt, "endedAt");
            Objects.requireNonNull(status, "status");
        }

        public Closed(
                UUID sessionId, Instant endedAt, long bytesIn, long bytesOut, SessionStatus status, String detail) {
            this(sessionId, endedAt, bytesIn, bytesOut, status.name(), detail);
        }
    }
}
