package dev.portcullis.broker.notify;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portcullis.broker.persistence.HashChainedAuditLog;
import dev.portcullis.workflow.port.AuditEvent;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.scheduler.Scheduled;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;

/**
 * Works off the outbox on every broker replica: claims due messages (each by one replica), sends each on a sender
 * thread of its own, and records the outcome: sent; skipped (the request moved on); retried later with exponential
 * backoff and full jitter; or, after the last attempt, failed, audited and listed for admins
 * ({@code GET /api/v1/notifications/failed}). Only as many messages are claimed as there are free senders, so a dead
 * endpoint holds at most the senders its own messages are on, and nothing it does reaches a decision.
 */
@ApplicationScoped
public class NotificationSender {

    private static final Logger LOG = Logger.getLogger("dev.portcullis.notify");

    @Inject
    NotificationOutbox outbox;

    @Inject
    Channels channels;

    @Inject
    NotifySettings settings;

    @Inject
    HashChainedAuditLog audit;

    @Inject
    ObjectMapper json;

    @Inject
    Clock clock;

    private final AtomicInteger threads = new AtomicInteger();
    private ExecutorService senders;
    private Semaphore free;

    private synchronized void init() {
        if (senders == null) {
            free = new Semaphore(settings.senders());
            senders = Executors.newFixedThreadPool(settings.senders(), r -> {
                Thread t = new Thread(r, "portcullis-notify-" + threads.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
        }
    }

    @Scheduled(
            every = "${portcullis.notify.poll:200ms}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            skipExecutionIf = Scheduled.ApplicationNotRunning.class)
    void sendDue() {
        if (!settings.send()) {
            return;
        }
        init();
        int capacity = free.availablePermits();
        if (capacity == 0) {
            return;
        }
        List<NotificationOutbox.Claimed> claimed;
        try {
            claimed = outbox.claim(capacity, settings.claimFor());
        } catch (RuntimeException e) {
            LOG.warnf("notifications: cannot claim due messages: %s", e.getMessage());
            return;
        }
        for (NotificationOutbox.Claimed message : claimed) {
            free.acquireUninterruptibly();
            senders.execute(() -> {
                try {
                    deliver(message);
                } finally {
                    free.release();
                }
            });
        }
    }

    private void deliver(NotificationOutbox.Claimed message) {
        try {
            if (message.onlyWhile() != null) {
                String state = outbox.stateOf(message.request());
                if (!message.onlyWhile().equals(state)) {
                    outbox.skipped(message.id(), "request is " + state + ", no longer " + message.onlyWhile());
                    return;
                }
            }
            Channel channel = channels.named(message.channel()).orElse(null);
            if (channel == null) {
                giveUp(message, "channel '" + message.channel() + "' is no longer configured");
                return;
            }
            channel.send(json.readValue(message.payload(), Notice.class));
            outbox.sent(message.id());
        } catch (Channel.NobodyToTell e) {
            outbox.skipped(message.id(), e.getMessage());
        } catch (Channel.DeliveryException e) {
            if (e.permanent() || message.attempts() >= settings.maxAttempts()) {
                giveUp(message, e.getMessage());
            } else {
                outbox.retryLater(message.id(), backoff(message.attempts()), e.getMessage());
            }
        } catch (Exception e) {
            // anything else (a broken row, the database away): retried like a failed delivery, never lost
            String why = e.getClass().getSimpleName() + ": " + e.getMessage();
            try {
                if (message.attempts() >= settings.maxAttempts()) {
                    giveUp(message, why);
                } else {
                    outbox.retryLater(message.id(), backoff(message.attempts()), why);
                }
            } catch (RuntimeException again) {
                LOG.warnf("notification %s: %s; its claim runs out and it is tried again", message.id(), why);
            }
        }
    }

    /** Full jitter over an exponential backoff: retries of many messages to one endpoint do not arrive together. */
    Duration backoff(int attempts) {
        long first = settings.firstBackoff().toMillis();
        long cap = settings.maxBackoff().toMillis();
        long ceiling = Math.min(cap, first << Math.min(attempts - 1, 20));
        return Duration.ofMillis(ceiling / 2 + ThreadLocalRandom.current().nextLong(ceiling / 2 + 1));
    }

    private void giveUp(NotificationOutbox.Claimed message, String why) {
        LOG.warnf(
                "notification %s (%s to %s) given up after %d attempts: %s",
                message.id(), message.event(), message.channel(), message.attempts(), why);
        QuarkusTransaction.requiringNew().run(() -> {
            outbox.failed(message.id(), why);
            audit.append(new AuditEvent(
                    clock.instant(),
                    "portcullis",
                    "notification.failed",
                    "access_request",
                    message.request().toString(),
                    Map.of(
                            "message",
                            message.id().toString(),
                            "event",
                            message.event(),
                            "channel",
                            message.channel(),
                            "attempts",
                            Integer.toString(message.attempts()),
                            "error",
                            why == null ? "-" : why)));
        });
    }

    @PreDestroy
    void stop() throws InterruptedException {
        if (senders != null) {
            senders.shutdownNow();
            senders.awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
