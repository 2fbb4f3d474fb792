package dev.portcullis.broker.wiring;

import java.time.Clock;
import java.time.Duration;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import dev.portcullis.broker.identity.KeycloakDirectory;
import dev.portcullis.broker.persistence.HashChainedAuditLog;
import dev.portcullis.broker.persistence.JpaAccessRequestRepository;
import dev.portcullis.broker.policy.FilePolicySource;
import dev.portcullis.workflow.AccessWorkflow;
import dev.portcullis.workflow.port.GrantScheduler;
import dev.portcullis.workflow.port.Notifier;
import dev.portcullis.workflow.request.AccessRequest;

/** Connects the plain-Java workflow to its adapters. The only place that knows which adapter serves which port. */
@ApplicationScoped
public class WorkflowProducer {

    private static final Logger LOG = Logger.getLogger("dev.portcullis.notify");

    /** The broker's clock, for the workflow, grant decisions and certificates alike. */
    @Produces
    @Singleton
    Clock brokerClock() {
        // Microsecond ticks: what PostgreSQL stores, so a request reads back exactly as it was decided.
        return Clock.tick(Clock.systemUTC(), Duration.ofNanos(1000));
    }

    @Produces
    @ApplicationScoped
    AccessWorkflow workflow(FilePolicySource policies, JpaAccessRequestRepository requests, KeycloakDirectory directory,
                            HashChainedAuditLog audit, GrantScheduler scheduler, Notifier notifier, Clock clock) {
        return new AccessWorkflow(policies, requests, directory, audit, scheduler, notifier, clock);
    }

    /** Notifications go to the log until a mail or chat notifier is configured. */
    @Produces
    @ApplicationScoped
    Notifier logNotifier() {
        return new Notifier() {
            @Override
            public void reviewNeeded(AccessRequest request, Set<String> approverGroups) {
                LOG.infof("review needed: %s asks for %s@%s (%s); approvers: %s", request.requester(), request.login(),
                        request.target(), request.id(), approverGroups);
            }

            @Override
            public void stateChanged(AccessRequest request) {
                LOG.infof("request %s is now %s", request.id(), request.state());
            }
        };
    }
}
