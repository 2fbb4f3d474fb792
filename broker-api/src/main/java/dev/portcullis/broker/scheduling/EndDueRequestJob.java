package dev.portcullis.broker.scheduling;

import dev.portcullis.workflow.AccessWorkflow;
import dev.portcullis.workflow.request.RequestEvent;
import dev.portcullis.workflow.request.Transition;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.jboss.logging.Logger;
import org.quartz.Job;
import org.quartz.JobExecutionContext;

/** Fired by Quartz at a grant's end time or a pending request's time-out. */
public class EndDueRequestJob implements Job {

    static final String EXPIRE = "expire";
    static final String TIME_OUT = "time-out";
    private static final Logger LOG = Logger.getLogger(EndDueRequestJob.class);

    @Inject
    AccessWorkflow workflow;

    @Override
    public void execute(JobExecutionContext context) {
        UUID id = UUID.fromString(context.getMergedJobDataMap().getString(QuartzGrantScheduler.REQUEST_ID));
        String what = context.getMergedJobDataMap().getString(QuartzGrantScheduler.WHAT);
        RequestEvent event = EXPIRE.equals(what) ? new RequestEvent.Expire() : new RequestEvent.TimeOut();
        Transition result = workflow.applyAsSystem(id, event);
        if (result instanceof Transition.Refused refused
                && "not_due".equals(refused.refusal().code())) {
            // Fired a moment early (this broker's clock or rounding): wait for the due time and try once more.
            Instant due = workflow.find(id)
                    .map(r -> EXPIRE.equals(what) ? r.endsAt() : r.pendingUntil())
                    .orElse(Instant.now());
            long wait = Duration.between(Instant.now(), due).toMillis() + 1;
            if (wait > 0 && wait <= 5_000) {
                try {
                    Thread.sleep(wait);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            result = workflow.applyAsSystem(id, event);
        }
        if (result instanceof Transition.Applied applied) {
            LOG.infof("request %s: %s", id, applied.action());
        } else if (result instanceof Transition.Refused refused
                && !"request_closed".equals(refused.refusal().code())) {
            LOG.warnf(
                    "request %s could not be ended by its trigger: %s",
                    id, refused.refusal().message());
        }
    }
}
