package dev.portcullis.broker.scheduling;

import dev.portcullis.broker.recordings.RetentionSweep;
import jakarta.inject.Inject;
import org.quartz.DisallowConcurrentExecution;
import org.quartz.Job;
import org.quartz.JobExecutionContext;

/**
 * Fired by Quartz's clustered JDBC store, so one broker runs it at a time however many replicas there are
 * ({@link DisallowConcurrentExecution} holds across the cluster); each recording is tombstoned once even if two ran
 * (see {@link RetentionSweep}).
 */
@DisallowConcurrentExecution
public class RetentionJob implements Job {

    @Inject
    RetentionSweep sweep;

    @Override
    public void execute(JobExecutionContext context) {
        sweep.sweep();
    }
}
