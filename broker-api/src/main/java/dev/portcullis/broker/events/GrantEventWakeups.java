package dev.portcullis.broker.events;

import io.agroal.api.AgroalDataSource;
import io.quarkus.runtime.Startup;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.operators.multi.processors.BroadcastProcessor;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import org.jboss.logging.Logger;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * Tells this replica's grant event streams that an event committed, on any replica: one connection LISTENs on the
 * channel the outbox's trigger NOTIFYs (V21), so a stream reads the outbox at once instead of at its next poll.
 * Only a hurry: a stream still polls and reads from its resume point, so while this connection is down (it reconnects)
 * events arrive as before, none lost.
 */
@ApplicationScoped
@Startup
public class GrantEventWakeups {

    static final String CHANNEL = "portcullis_grant_event";
    private static final Logger LOG = Logger.getLogger(GrantEventWakeups.class);
    private static final int WAIT_MILLIS = 500;

    @Inject
    AgroalDataSource dataSource;

    private final BroadcastProcessor<Long> wakeups = BroadcastProcessor.create();
    private volatile boolean running = true;
    private Thread listener;

    @jakarta.annotation.PostConstruct
    void start() {
        listener = new Thread(this::listen, "grant-event-wakeups");
        listener.setDaemon(true);
        listener.start();
    }

    /** An item each time events committed since the last one (several commits may make one item). */
    public Multi<Long> stream() {
        return wakeups;
    }

    private void listen() {
        long backoff = 500;
        while (running) {
            try (Connection c = dataSource.getConnection();
                    Statement s = c.createStatement()) {
                c.setAutoCommit(true);
                s.execute("listen " + CHANNEL);
                PGConnection pg = c.unwrap(PGConnection.class);
                backoff = 500;
                wakeups.onNext(System.nanoTime()); // whatever committed while this was not listening
                while (running) {
                    PGNotification[] got = pg.getNotifications(WAIT_MILLIS);
                    if (got != null && got.length > 0) {
                        wakeups.onNext(System.nanoTime());
                    }
                }
            } catch (SQLException | RuntimeException e) {
                if (running) {
                    LOG.warnf(
                            "not listening for grant events (%s); the event streams poll until it is back",
                            e.getMessage());
                }
            }
            try {
                Thread.sleep(backoff);
            } catch (InterruptedException e) {
                return;
            }
            backoff = Math.min(backoff * 2, 10_000);
        }
    }

    @PreDestroy
    void stop() {
        running = false;
        if (listener != null) {
            listener.interrupt();
        }
    }
}
