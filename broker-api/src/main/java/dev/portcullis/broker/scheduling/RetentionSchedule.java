package dev.portcullis.broker.scheduling;

import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Date;
import java.util.Map;
import java.util.Set;
import org.eclipse.microprofile.config.inject.ConfigProperty;
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
 * Stores the retention job and its repeating trigger in the clustered job store at each broker's start (every replica
 * stores the same keys, replacing them: still one job and one trigger, which fires on one broker at a time).
 */
@ApplicationScoped
public class RetentionSchedule {

    public static final JobKey JOB = JobKey.jobKey("recording-retention", QuartzGrantScheduler.GROUP);
    public static final TriggerKey TRIGGER = TriggerKey.triggerKey("recording-retention", QuartzGrantScheduler.GROUP);

    @Inject
    Scheduler quartz;

    @ConfigProperty(name = "portcullis.retention.sweep-interval", defaultValue = "1h")
    Duration interval;

    void store(@Observes StartupEvent event) {
        if (interval.compareTo(Duration.ofMinutes(1)) < 0 || interval.compareTo(Duration.ofDays(1)) > 0) {
            throw new IllegalStateException(
                    "portcullis.retention.sweep-interval is " + interval + "; it must be between 1 minute and 1 day");
        }
        JobDetail job = JobBuilder.newJob(RetentionJob.class)
                .withIdentity(JOB)
                .storeDurably()
                .build();
        Trigger trigger = TriggerBuilder.newTrigger()
                .withIdentity(TRIGGER)
                .forJob(JOB)
                .startAt(new Date(System.currentTimeMillis() + Math.min(interval.toMillis(), 60_000)))
                .withSchedule(SimpleScheduleBuilder.simpleSchedule()
                        .withIntervalInMilliseconds(interval.toMillis())
                        .repeatForever()
                        .withMisfireHandlingInstructionNextWithRemainingCount())
                .build();
        QuarkusTransaction.requiringNew().run(() -> {
            try {
                quartz.scheduleJobs(Map.of(job, Set.of(trigger)), true);
            } catch (SchedulerException e) {
                throw new IllegalStateException(
                        "cannot store the retention job in the Quartz job store: " + e.getMessage(), e);
            }
        });
    }
}
