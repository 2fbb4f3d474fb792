package dev.portcullis.broker.persistence;

import dev.portcullis.workflow.port.SessionStatus;
import java.time.Instant;
import java.util.UUID;

/**
 * One indexed session, as the rest of the broker sees it.
 *
 * @param recordingKey SHA-256 of the key its recording must be signed with; null for sessions registered before
 *                     bastions said which key they sign with
 * @param retentionRule the rule of the session's grant, as recorded when the session was registered
 * @param retentionDays that rule's retention then, or null: kept for ever
 * @param retainUntil   the earliest moment the recording's payload may be deleted, or null: never
 */
public record IndexedSession(
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
        String recordingKey,
        String registeredBy,
        String retentionRule,
        Integer retentionDays,
        Instant retainUntil) {

    public boolean isOpen() {
        return JpaSessionIndex.OPEN.equals(status);
    }

    /**
     * Whether the bastion said the session ended with its recording closed: every end but RECORDING_FAILED
     * (a store that failed leaves no manifest, honestly) and ABORTED (the bastion was lost before closing it).
     */
    public boolean endedWithClosedRecording() {
        return !isOpen() && !SessionStatus.RECORDING_FAILED.name().equals(status) && !isAborted();
    }

    /** The bastion was lost with the session open; {@code detail} says how and when. */
    public boolean isAborted() {
        return BastionLeases.ABORTED.equals(status);
    }
}
