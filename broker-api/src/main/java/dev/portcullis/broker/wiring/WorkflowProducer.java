package dev.portcullis.broker.wiring;

import dev.portcullis.broker.identity.KeycloakDirectory;
import dev.portcullis.broker.persistence.HashChainedAuditLog;
import dev.portcullis.broker.persistence.PostgresAccessRequestRepository;
import dev.portcullis.broker.policy.FilePolicySource;
import dev.portcullis.workflow.AccessWorkflow;
import dev.portcullis.workflow.port.GrantScheduler;
import dev.portcullis.workflow.port.Notifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Duration;

/**
 * Connects the plain-Java workflow to its adapters. The only place that knows which adapter serves which port; the
 * notifier is the outbox's ({@link dev.portcullis.broker.notify.OutboxNotifier}).
 */
@ApplicationScoped
public class WorkflowProducer {

    /** The broker's clock, for the workflow, grant decisions and certificates alike. */
    @Produces
    @Singleton
    Clock brokerClock() {
        // Microsecond ticks: what PostgreSQL stores, so a request reads back exactly as it was decided.
        return Clock.tick(Clock.systemUTC(), Duration.ofNanos(1000));
    }

    @Produces
    @ApplicationScoped
    AccessWorkflow workflow(
            FilePolicySource policies,
            PostgresAccessRequestRepository requests,
            KeycloakDirectory directory,
            HashChainedAuditLog audit,
            GrantScheduler scheduler,
            Notifier notifier,
            Clock clock) {
        return new AccessWorkflow(policies, requests, directory, audit, scheduler, notifier, clock);
    }
}
