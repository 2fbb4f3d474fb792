package dev.portcullis.bastion.broker;

import dev.portcullis.contract.BastionApi.LeaseRenewal;
import dev.portcullis.contract.BastionApi.LeaseView;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * This bastion process's lease with the broker ({@code POST /internal/v1/bastion-leases}), renewed well inside its
 * term. Every session is registered under the lease; when the process dies without a goodbye the lease lapses and the
 * broker marks its open sessions ABORTED instead of leaving them OPEN for good. The instance id is kept in the state
 * directory, so the next start names the previous one and the broker closes its leftovers at once. If the broker says
 * the lease has ended (it lapsed while the broker could not be reached), this bastion's sessions are already ABORTED
 * in the index: they are ended here too, honestly, and a new lease is taken.
 */
public final class BastionLease implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(BastionLease.class.getName());
    private static final long RETRY_SECONDS = 2;

    private final BrokerClient broker;
    private final String bastionName;
    private final Runnable endAllSessions;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "bastion-lease");
        t.setDaemon(true);
        return t;
    });
    private volatile UUID instance = UUID.randomUUID();
    private volatile UUID previous;
    private volatile Instant expiresAt = Instant.EPOCH;

    /**
     * @param instanceFile   where the instance id lives between starts (in the bastion's state directory)
     * @param endAllSessions ends every live session, for when the broker says the lease is gone
     */
    public BastionLease(BrokerClient broker, String bastionName, Path instanceFile, Runnable endAllSessions)
            throws IOException {
        this.broker = broker;
        this.bastionName = bastionName;
        this.endAllSessions = endAllSessions;
        if (Files.exists(instanceFile)) {
            try {
                previous = UUID.fromString(Files.readString(instanceFile).strip());
            } catch (IllegalArgumentException e) {
                LOG.warning(instanceFile
                        + " holds no instance id; the previous instance's sessions end when its lease lapses");
            }
        }
        Path tmp = instanceFile.resolveSibling(instanceFile.getFileName() + ".tmp");
        Files.writeString(tmp, instance + "\n");
        Files.move(tmp, instanceFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Takes the lease now if the broker answers (so the first session finds it), then keeps it renewed. */
    public BastionLease start() {
        renewAndReschedule();
        return this;
    }

    /** The instance sessions are registered under. */
    public UUID instance() {
        return instance;
    }

    /** Whether the broker granted the lease and it has not run out since. */
    public boolean held() {
        return Instant.now().isBefore(expiresAt);
    }

    private void renewAndReschedule() {
        long next = RETRY_SECONDS;
        try {
            next = renew();
        } catch (BrokerClient.BrokerException e) {
            if (e.status() == 409) {
                lost();
            } else {
                LOG.warning("the broker refused this bastion's lease (" + e.getMessage() + ")");
            }
        } catch (IOException | RuntimeException e) {
            LOG.warning("cannot renew this bastion's lease (" + e.getMessage() + "); trying again in " + next + " s");
        }
        if (!timer.isShutdown()) {
            timer.schedule(this::renewAndReschedule, next, TimeUnit.SECONDS);
        }
    }

    /** @return seconds until the next renewal */
    long renew() throws IOException {
        LeaseView answer = broker.post(
                "/internal/v1/bastion-leases", new LeaseRenewal(instance, bastionName, previous), LeaseView.class);
        expiresAt = Objects.requireNonNull(answer.expiresAt(), "the broker's lease names no expiresAt");
        if (previous != null) {
            int leftovers = answer.abortedLeftovers() == null ? 0 : answer.abortedLeftovers();
            UUID was = previous;
            LOG.info(() -> "lease taken as instance " + instance + "; the previous instance " + was + " left "
                    + leftovers + " session(s) open, now marked ABORTED");
            previous = null;
        }
        return Math.max(1, answer.renewEverySeconds() == null ? 5 : answer.renewEverySeconds());
    }

    /** The lease lapsed while the broker was away: the index says this bastion's sessions were aborted. */
    private void lost() {
        UUID old = instance;
        LOG.severe("the broker ended this bastion's lease " + old
                + " (it lapsed); its sessions are marked ABORTED there" + " and end here too; taking a new lease");
        endAllSessions.run();
        previous = null;
        instance = UUID.randomUUID();
        expiresAt = Instant.EPOCH;
    }

    /** Ends the lease: the broker aborts whatever session end this bastion could not report. */
    @Override
    public void close() {
        timer.shutdownNow();
        try {
            broker.post("/internal/v1/bastion-leases/" + instance + "/end", Map.of());
        } catch (IOException | RuntimeException e) {
            LOG.warning("cannot end this bastion's lease (" + e.getMessage() + "); it lapses on its own");
        }
    }
}
