package dev.portcullis.broker.scheduling;

import dev.portcullis.broker.persistence.BastionLeases;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Every few seconds, on every broker: the sessions of bastions whose lease lapsed are marked ABORTED. The lease rows
 * are locked with skip-locked, so two brokers sweeping at once never handle the same lease twice.
 *
 * <p>A lease that ran out while no broker could take renewals (every broker down, or the database) says nothing about
 * its bastion, which was retrying all along. So this broker ends leases only once it has itself been able to take
 * renewals, without a break, for a whole lease term: a bastion that is alive has renewed by then.
 */
@ApplicationScoped
public class LapsedLeaseSweeper {

    private static final Logger LOG = Logger.getLogger(LapsedLeaseSweeper.class);

    @Inject
    BastionLeases leases;

    @ConfigProperty(name = "portcullis.bastion.lease-duration", defaultValue = "15s")
    Duration leaseDuration;

    /** Since when this broker has reached the database at every sweep; null after a failure. */
    private Instant upSince;

    @Scheduled(
            every = "${portcullis.bastion.lease-sweep-interval:5s}",
            delayed = "1s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            executeWith = Scheduled.SIMPLE)
    public void sweep() {
        Instant now = Instant.now();
        try {
            if (upSince == null || now.isBefore(upSince.plus(leaseDuration))) {
                leases.live(); // the database answers: the clock of the grace term runs
                if (upSince == null) {
                    upSince = now;
                }
                return;
            }
            int aborted = leases.endLapsed();
            if (aborted > 0) {
                LOG.infof("%d session(s) of lost bastions marked ABORTED", aborted);
            }
        } catch (RuntimeException e) {
            upSince = null;
            LOG.warnf("could not end lapsed bastion leases (%s); trying again", e.toString());
        }
    }
}
