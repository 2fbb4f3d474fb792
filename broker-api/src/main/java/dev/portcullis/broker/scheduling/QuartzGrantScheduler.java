package dev.portcullis.broker.scheduling;

import java.util.Date;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;
import org.quartz.JobBuilder;
import org.quartz.JobKey;
import org.quartz.ObjectAlreadyExistsException;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.SimpleScheduleBuilder;
import org.quartz.Trigger;
import org.quartz.TriggerBuilder;
import org.quartz.TriggerKey;

import io.quarkus.narayana.jta.QuarkusTransaction;

import dev.portcullis.workflow.port.GrantScheduler;
import dev.portcullis.workflow.request.AccessRequest;

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

    private volatile boolean endJobStored;

    @Inject
    Scheduler quartz;

    @Inject
    GrantReconciler reconciler;

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
        Trigger trigger = TriggerBuilder.newTrigger().withIdentity(triggerKey(id, what)).forJob(END_JOB)
                .usingJobData(REQUEST_ID, id.toString()).usingJobData(WHAT, what).startAt(at)
                .withSchedule(SimpleScheduleBuilder.simpleSchedule().withMisfireHandlingInstructionFireNow()).build();
        try {
            QuarkusTransaction.requiringNew().run(() -> {
                try {
                    if (!endJobStored) {
                        storeEndJob();
                    }
                    try {
                        quartz.scheduleJob(trigger);
                    } catch (ObjectAlreadyExistsException again) {
                        quartz.rescheduleJob(trigger.getKey(), trigger); // the same grant started twice: its newest end wins
                    }
                } catch (SchedulerException e) {
                    throw new IllegalStateException(e);
                }
            });
        } catch (RuntimeException e) {
            endJobStored = false; // perhaps someone removed the job: store it again next time
            // The sweeper still ends it on time; say so loudly, since this means the job store is unwell.
            LOG.errorf(e, "cannot store the %s trigger for request %s; the expiry sweep will handle it", what, id);
        }
    }

    /** The durable job all end triggers fire (stored once per broker start; replacing it is harmless across replicas). */
    private void storeEndJob() throws SchedulerException {
        quartz.addJob(JobBuilder.newJob(EndDueRequestJob.class).withIdentity(END_JOB).storeDurably().requestRecovery(true).build(), true);
        endJobStored = true;
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
