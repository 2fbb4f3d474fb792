package dev.portcullis.broker.recordings;

import dev.portcullis.broker.persistence.IndexedSession;
import dev.portcullis.broker.persistence.JpaSessionIndex;
import dev.portcullis.broker.persistence.RecordingVerdicts;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Verifies, in the background, the recordings whose stored verdict is due: each one once its session ended, and each
 * again after {@code portcullis.recordings.recheck-after}, so that the status a search shows is a verification of
 * every stored byte, made without the search waiting for it. Every replica runs it; each recording is claimed by one.
 */
@ApplicationScoped
public class VerdictSweep {

    private static final Logger LOG = Logger.getLogger(VerdictSweep.class);
    private static final int BATCH = 20;
    /** Bounds one run; the next run goes on where this one stopped. */
    private static final int MAX_PER_RUN = 500;
    /** Longer than any one verification takes: a replica that died meanwhile leaves its claims due again after it. */
    private static final Duration CLAIM = Duration.ofMinutes(10);

    @Inject
    RecordingVerdicts verdicts;

    @Inject
    RecordingArchive archive;

    @Inject
    JpaSessionIndex sessions;

    @Scheduled(
            every = "${portcullis.recordings.verdict-sweep-interval:1s}",
            delayed = "2s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            executeWith = Scheduled.SIMPLE)
    void scheduled() {
        sweep();
    }

    /** Verifies what is due now; returns how many recordings it verified. */
    public int sweep() {
        int checked = 0;
        while (checked < MAX_PER_RUN) {
            List<UUID> due = verdicts.claimDue(BATCH, CLAIM);
            for (UUID id : due) {
                check(id);
                checked++;
            }
            if (due.size() < BATCH) {
                break;
            }
        }
        return checked;
    }

    private void check(UUID id) {
        IndexedSession session = sessions.find(id).orElse(null);
        if (session == null || session.recordingId() == null) {
            return;
        }
        try {
            archive.recheck(session);
        } catch (IOException | RuntimeException e) {
            // not a verdict: the store did not answer; the claim runs out and the next run tries again
            LOG.warnf(
                    "the recording of session %s could not be verified now (%s); trying again in %s",
                    id, e.getMessage(), CLAIM);
        }
    }
}
