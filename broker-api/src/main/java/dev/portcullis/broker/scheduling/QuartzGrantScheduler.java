package dev.portcullis.broker.scheduling;

import java.util.Date;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;
import org.quartz.JobBuilder;
import org.quartz.JobDetail;
import org.quartz.JobKey;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.SimpleScheduleBuilder;
import org.quartz.Trigger;
import org.quartz.TriggerBuilder;

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
        JobDetail job = JobBuilder.newJob(EndDueRequestJob.class).withIdentity(key(id, what))
                .usingJobData(REQUEST_ID, id.toString()).usingJobData(WHAT, what).requestRecovery(true).build();
        Trigger trigger = TriggerBuilder.newTrigger().withIdentity(what + "-" + id, GROUP).forJob(job).startAt(at)
                .withSchedule(SimpleScheduleBuilder.simpleSchedule().withMisfireHandlingInstructionFireNow()).build();
        try {
            QuarkusTransaction.requiringNew().run(() -> {
                try {
                    quartz.scheduleJob(job, java.util.Set.of(trigger), true);
                } catch (SchedulerException e) {
                    throw new IllegalStateException(e);
                }
            });
        } catch (RuntimeException e) {
            // The sweeper still ends it on time; say so loudly, since this means the job store is unwell.
            LOG.errorf(e, "cannot store the %s trigger for request %s; the expiry sweep will handle it", what, id);
        }
    }

    private void unschedule(UUID id, String what) {
        try {
            QuarkusTransaction.requiringNew().run(() -> {
                try {
                    quartz.deleteJob(key(id, what));
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

    private static JobKey key(UUID id, String what) {
        return JobKey.jobKey(what + "-" + id, GROUP);
    }
}
