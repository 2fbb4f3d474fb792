package dev.portcullis.broker.scheduling;

import dev.portcullis.workflow.AccessWorkflow;
import dev.portcullis.workflow.request.RequestEvent;
import dev.portcullis.workflow.request.Transition;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * The safety net behind {@link QuartzGrantScheduler}: every few seconds it ends whatever is due but still
 * open (a trigger that could not be stored, or was lost between a commit and its scheduling). Every broker
 * sweeps; the optimistic version check lets exactly one of them apply each transition, and the others are
 * refused with request_closed and write nothing.
 */
@ApplicationScoped
public class ExpirySweeper {

    private static final Logger LOG = Logger.getLogger(ExpirySweeper.class);
    private static final int BATCH = 500;

    @Inject
    EntityManager em;

    @Inject
    AccessWorkflow workflow;

    @Scheduled(
            every = "${portcullis.sweep-interval:5s}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            executeWith = Scheduled.SIMPLE)
    public void sweep() {
        Instant now = Instant.now();
        for (UUID id : due(
                "select r.id from AccessRequestEntity r where r.state = 'ACTIVE' and r.endsAt <= :now order by r.endsAt",
                now)) {
            report(id, workflow.applyAsSystem(id, new RequestEvent.Expire()));
        }
        for (UUID id : due(
                "select r.id from AccessRequestEntity r where r.state = 'PENDING' and r.pendingUntil <= :now order by r.pendingUntil",
                now)) {
            report(id, workflow.applyAsSystem(id, new RequestEvent.TimeOut()));
        }
    }

    private List<UUID> due(String jpql, Instant now) {
        return QuarkusTransaction.requiringNew()
                .call(() -> em.createQuery(jpql, UUID.class)
                        .setParameter("now", now)
                        .setMaxResults(BATCH)
                        .getResultList());
    }

    private static void report(UUID id, Transition result) {
        if (result instanceof Transition.Applied applied) {
            LOG.infof("request %s: %s", id, applied.action());
        } else if (result instanceof Transition.Refused refused
                && !"request_closed".equals(refused.refusal().code())) {
            LOG.warnf("request %s could not be ended: %s", id, refused.refusal().message());
        }
    }
}
