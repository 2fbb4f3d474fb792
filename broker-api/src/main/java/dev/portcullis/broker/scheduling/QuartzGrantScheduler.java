package dev.portcullis.broker.scheduling;

import dev.portcullis.broker.concurrency.Rounds;
import dev.portcullis.workflow.port.GrantScheduler;
import dev.portcullis.workflow.request.AccessRequest;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jboss.logging.Logger;
import org.quartz.JobBuilder;
import org.quartz.JobDetail;
import org.quartz.JobKey;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.SimpleScheduleBuilder;
import org.quartz.Trigger;
import org.quartz.TriggerBuilder;
import org.quartz.TriggerKey;

/**
 * Stores a Quartz trigger for each grant's end, in the clustered JDBC
 * job store that lives in the broker's PostgreSQL: it survives any broker's death, fires on exactly one
 * broker, and a trigger whose time passed while every broker was down fires at once on the next start.
 * {@link ExpirySweeper} stays as a safety net for the moment between a commit and its trigger, and times out
 * pending requests (no review counts after a request's pending time anyway, so those need no trigger of their
 * own: each one cost the job store a locked insert and a locked delete). Time-out triggers stored by earlier
 * versions still fire, harmlessly.
 */
@ApplicationScoped
public class QuartzGrantScheduler implements GrantScheduler {

    static final String GROUP = "portcullis";
    static final String REQUEST_ID = "requestId";
    static final String WHAT = "what";
    private static final Logger LOG = Logger.getLogger(QuartzGrantScheduler.class);
    static final JobKey END_JOB = JobKey.jobKey("end-due-request", GROUP);

    @Inject
    Scheduler quartz;

    @Inject
    GrantReconciler reconciler;

    /**
     * Grants that start together store their end triggers together: one transaction, one pass through the job store's
     * lock and one wake-up of Quartz's scheduler thread for the whole batch (each of those per grant had approvals queueing
     * for the lock). Batches start at most every {@link #TRIGGER_SPACING}: every batch wakes the idle scheduler thread, which
     * then looks for due triggers (a query under the same lock); unspaced, those queries were a large share of
     * PostgreSQL's work under load (docs/measurements.md). A grant's approval still returns only after its trigger has
     * committed.
     */
    static final Duration TRIGGER_SPACING = Duration.ofMillis(50);

    private final Rounds<Trigger, Void> triggerWrites =
            new Rounds<>(this::store, Duration.ofMinutes(2), TRIGGER_SPACING);

    @Override
    public void grantStarted(AccessRequest grant) {
        schedule(grant.id(), EndDueRequestJob.EXPIRE, notBefore(grant.endsAt()));
        reconciler.grantChanged(grant);
    }

    @Override
    public void requestClosed(AccessRequest request) {
        if (request.grantedAt() != null) { // only a grant that started has an end trigger
            unschedule(request.id(), EndDueRequestJob.EXPIRE);
            reconciler.grantChanged(request);
        }
    }

    private void schedule(UUID id, String what, Date at) {
        // One durable job for every grant, the grant on its trigger: a grant then costs the job store a trigger, not
        // also a job of its own (a select and an insert with a serialized data map on every approval that activates).
        Trigger trigger = TriggerBuilder.newTrigger()
                .withIdentity(triggerKey(id, what))
                .forJob(END_JOB)
                .usingJobData(REQUEST_ID, id.toString())
                .usingJobData(WHAT, what)
                .startAt(at)
                .withSchedule(SimpleScheduleBuilder.simpleSchedule().withMisfireHandlingInstructionFireNow())
                .build();
        try {
            triggerWrites.join(trigger);
        } catch (RuntimeException e) {
            // The sweeper still ends it on time; say so loudly, since this means the job store is unwell.
            LOG.errorf(e, "cannot store the %s trigger for request %s; the expiry sweep will handle it", what, id);
        }
    }

    /**
     * Stores a batch of triggers with the durable job they fire, in one transaction (storing the job again is harmless
     * across replicas, and brings it back if someone removed it); a trigger already there for the same grant (started
     * twice) is replaced: its newest end wins.
     */
    private Void store(List<Trigger> triggers) {
        JobDetail job = JobBuilder.newJob(EndDueRequestJob.class)
                .withIdentity(END_JOB)
                .storeDurably()
                .requestRecovery(true)
                .build();
        Map<TriggerKey, Trigger> newest = new LinkedHashMap<>();
        triggers.forEach(trigger -> newest.put(trigger.getKey(), trigger));
        QuarkusTransaction.requiringNew().run(() -> {
            try {
                quartz.scheduleJobs(Map.of(job, new LinkedHashSet<>(newest.values())), true);
            } catch (SchedulerException e) {
                throw new IllegalStateException(e);
            }
        });
        return null;
    }

    private void unschedule(UUID id, String what) {
        try {
            QuarkusTransaction.requiringNew().run(() -> {
                try {
                    // a job of its own (stored by earlier versions) goes with its last trigger
                    quartz.unscheduleJob(triggerKey(id, what));
                } catch (SchedulerException e) {
                    throw new IllegalStateException(e);
                }
            });
        } catch (RuntimeException e) {
            // A leftover trigger is harmless: ending an already closed request is refused and writes nothing.
            LOG.warnf("cannot remove the %s trigger of request %s: %s", what, id, e.getMessage());
        }
    }

    /** Quartz counts milliseconds and times are kept in microseconds: round up, or the trigger fires a hair early. */
    static Date notBefore(java.time.Instant at) {
        long millis = at.toEpochMilli();
        return new Date(at.isAfter(java.time.Instant.ofEpochMilli(millis)) ? millis + 1 : millis);
    }

    private static TriggerKey triggerKey(UUID id, String what) {
        return TriggerKey.triggerKey(what + "-" + id, GROUP);
    }
}
