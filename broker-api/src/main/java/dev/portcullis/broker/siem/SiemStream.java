package dev.portcullis.broker.siem;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import javax.sql.DataSource;
import org.jboss.logging.Logger;

/**
 * Streams every audit row, in sequence order, to each configured sink (docs/siem.md), one thread per sink. A sink that
 * fails is retried with backoff and jitter, up to {@code portcullis.siem.retry-max} apart, for as long as it takes:
 * its cursor waits, so the backlog goes out in order when it is back. Audit writes never wait for a sink.
 */
@ApplicationScoped
public class SiemStream {

    private static final Logger LOG = Logger.getLogger(SiemStream.class);
    /** A failure that repeats is logged again after this long, not on every retry. */
    private static final Duration RELOG = Duration.ofMinutes(1);

    @Inject
    SiemSettings settings;

    @Inject
    DataSource db;

    private final List<Thread> senders = new ArrayList<>();
    private final List<SiemSink> sinks = new ArrayList<>();
    private volatile boolean stopping;

    void start(@Observes StartupEvent event) {
        List<SiemSink> configured;
        try {
            configured = settings.sinks();
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("SIEM stream: " + e.getMessage());
        }
        SinkCursors cursors = new SinkCursors(db);
        for (SiemSink sink : configured) {
            try {
                cursors.create(sink.name());
            } catch (java.sql.SQLException e) {
                throw new IllegalStateException(
                        "SIEM stream: cannot create the cursor of sink " + sink.name() + ": " + e.getMessage());
            }
            sinks.add(sink);
            Thread sender = new Thread(() -> run(sink, cursors), "siem-" + sink.name());
            sender.setDaemon(true);
            senders.add(sender);
            LOG.infof("SIEM stream: sending the audit trail to sink %s", sink.name());
        }
        senders.forEach(Thread::start);
    }

    void stop(@Observes ShutdownEvent event) {
        stopping = true;
        senders.forEach(Thread::interrupt);
        for (Thread sender : senders) {
            try {
                sender.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        sinks.forEach(SiemSink::close);
    }

    private void run(SiemSink sink, SinkCursors cursors) {
        int failures = 0;
        long loggedAt = 0;
        String logged = null;
        while (!stopping) {
            long pause;
            try {
                SinkCursors.Pass pass = cursors.pass(sink, settings.batchSize());
                if (failures > 0) {
                    LOG.infof("SIEM sink %s takes rows again after %d failed attempts", sink.name(), failures);
                    failures = 0;
                    logged = null;
                }
                // a full batch means a backlog: go on at once
                pause = pass.sent() == settings.batchSize()
                        ? 0
                        : settings.pollInterval().toMillis();
            } catch (Exception e) {
                if (stopping) {
                    break;
                }
                failures++;
                String problem = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
                if (!problem.equals(logged) || System.currentTimeMillis() - loggedAt > RELOG.toMillis()) {
                    LOG.warnf(
                            "SIEM sink %s did not take the next rows (%s); retrying, its cursor waits",
                            sink.name(), problem);
                    logged = problem;
                    loggedAt = System.currentTimeMillis();
                }
                pause = backoff(failures);
            }
            if (pause > 0) {
                try {
                    Thread.sleep(pause);
                } catch (InterruptedException e) {
                    break;
                }
            }
        }
    }

    /** Doubling from the poll interval up to retry-max, with full jitter over its upper half. */
    private long backoff(int failures) {
        long base = settings.pollInterval().toMillis();
        long cap = settings.retryMax().toMillis();
        long wait = Math.min(cap, base << Math.min(failures, 20));
        return wait / 2 + ThreadLocalRandom.current().nextLong(wait / 2 + 1);
    }
}
