package dev.portcullis.broker.recordings;

import dev.portcullis.broker.persistence.IndexedSession;
import dev.portcullis.broker.persistence.JpaSessionIndex;
import dev.portcullis.broker.persistence.RecordingTombstones;
import dev.portcullis.broker.persistence.RetentionLedger;
import dev.portcullis.recording.RecordingVerifier;
import dev.portcullis.workflow.policy.AccessRule;
import dev.portcullis.workflow.port.PolicySource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Deletes the payload of each recording whose retention has run out and that no legal hold covers, in two steps: first
 * the signed tombstone goes into the audit chain (with the hold check, under the hold lock), then the chunks go from
 * the store. A crash between the two leaves a tombstone whose chunks are deleted on the next run; never chunks gone
 * without a tombstone.
 *
 * <p>The retention that counts is the one recorded with the session when it was registered; the policy now can only
 * lengthen it: when the session's rule still exists and keeps recordings longer (or for ever), the recording waits.
 * A session's retention runs from its registration (broker clock) and, as well, from its end as its bastion reported
 * it, whichever is later. A recording that does not verify is never deleted: it stays, reading TAMPERED.
 */
@ApplicationScoped
public class RetentionSweep {

    private static final Logger LOG = Logger.getLogger(RetentionSweep.class);
    private static final int PAGE = 200;
    /** Bounds one run; the next run goes on where this one stopped. */
    private static final int MAX_PER_RUN = 10_000;

    @Inject
    RetentionLedger ledger;

    @Inject
    RecordingArchive archive;

    @Inject
    PolicySource policies;

    @Inject
    JpaSessionIndex sessions;

    @Inject
    Clock clock;

    /** What one run did. */
    public record Result(int deleted, int lengthened, int failed) {}

    public Result sweep() {
        return sweep(clock.instant());
    }

    /** Deletes what is due at {@code now}; safe to run on several brokers at once (each recording goes once). */
    public Result sweep(Instant now) {
        int failed = finishUnfinished();
        int deleted = 0;
        int lengthened = 0;
        Instant afterUntil = Instant.EPOCH;
        UUID afterId = new UUID(0, 0);
        int seen = 0;
        while (seen < MAX_PER_RUN) {
            List<RetentionLedger.Due> page = ledger.due(now, afterUntil, afterId, PAGE);
            for (RetentionLedger.Due due : page) {
                Optional<Integer> days = effectiveDays(due, now);
                if (days.isEmpty()) {
                    lengthened++;
                    continue;
                }
                try {
                    if (delete(due, days.get())) {
                        deleted++;
                    }
                } catch (IOException | RuntimeException e) {
                    failed++;
                    LOG.errorf(
                            "the payload of recording %s (session %s) was not deleted: %s; trying again next run",
                            due.recordingId(), due.session(), e.getMessage());
                }
            }
            seen += page.size();
            if (page.size() < PAGE) {
                break;
            }
            RetentionLedger.Due last = page.get(page.size() - 1);
            afterUntil = last.retainUntil();
            afterId = last.session();
        }
        if (deleted > 0 || failed > 0) {
            LOG.infof(
                    "retention: payload of %d recording(s) deleted, %d kept longer by the policy now, %d failed",
                    deleted, lengthened, failed);
        }
        return new Result(deleted, lengthened, failed);
    }

    /** The retention in days that applies now, or empty when the policy now keeps the recording longer. */
    private Optional<Integer> effectiveDays(RetentionLedger.Due due, Instant now) {
        Optional<AccessRule> rule = policies.current().rule(due.rule());
        if (rule.isEmpty()) {
            return Optional.of(due.retentionDays()); // the rule is gone: what was recorded stands
        }
        Duration current = rule.get().retention();
        if (current == null) {
            return Optional.empty(); // the rule keeps recordings for ever now
        }
        int days = (int) current.toDays();
        if (days <= due.retentionDays()) {
            return Optional.of(due.retentionDays());
        }
        return due.registeredAt().plus(days, ChronoUnit.DAYS).isAfter(now) ? Optional.empty() : Optional.of(days);
    }

    private boolean delete(RetentionLedger.Due due, int days) throws IOException {
        // A recording that does not verify is kept: a tombstone would explain its missing or changed parts away.
        IndexedSession session = sessions.find(due.session()).orElseThrow();
        RecordingVerifier.Verification verdict = archive.verify(session);
        if (verdict.status() == RecordingVerifier.Status.TAMPERED) {
            LOG.warnf(
                    "the recording %s of session %s is past its retention but does not verify (%s); kept, so that "
                            + "it goes on reading as TAMPERED",
                    due.recordingId(), due.session(), verdict.problem());
            return false;
        }
        Optional<String> manifest;
        try {
            manifest = archive.manifestSha256(session);
        } catch (NoSuchFileException e) {
            return false; // removed since it verified: the next run finds it TAMPERED
        }
        RecordingTombstones.Tombstone tombstone = new RecordingTombstones.Tombstone(
                due.session(),
                due.recordingId(),
                due.rule(),
                days + "d",
                clock.instant().truncatedTo(ChronoUnit.MICROS),
                manifest.orElse(null));
        if (!ledger.tombstone(due, tombstone, days)) {
            return false; // held since it was read, or another broker took it
        }
        archive.deletePayload(session);
        ledger.chunksDeleted(due.session(), clock.instant());
        return true;
    }

    /** Deletes the chunks of recordings tombstoned by a run that did not get to delete them. */
    private int finishUnfinished() {
        int failed = 0;
        for (RetentionLedger.Unfinished u : ledger.unfinished(PAGE)) {
            try {
                archive.deletePayload(sessions.find(u.session()).orElseThrow());
                ledger.chunksDeleted(u.session(), clock.instant());
            } catch (IOException | RuntimeException e) {
                failed++;
                LOG.errorf(
                        "the payload of recording %s (session %s, tombstoned) is still not deleted: %s",
                        u.recordingId(), u.session(), e.getMessage());
            }
        }
        return failed;
    }
}
