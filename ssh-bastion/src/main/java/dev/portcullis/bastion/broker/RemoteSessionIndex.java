package dev.portcullis.bastion.broker;

import dev.portcullis.contract.BastionApi.SessionEnded;
import dev.portcullis.contract.BastionApi.SessionOpened;
import dev.portcullis.workflow.port.SessionIndex;
import java.io.IOException;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * {@link SessionIndex} over the broker's internal API. A session's start must reach the broker (otherwise the
 * session is refused); its end is retried in the background until the broker takes it, so no end is lost to a
 * broker restart. Each session's registration names the key that signs its recording (by SHA-256), so the broker
 * verifies that recording with this bastion's key and no other.
 */
public final class RemoteSessionIndex implements SessionIndex, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(RemoteSessionIndex.class.getName());
    private static final int MAX_PENDING = 100_000;

    private final BrokerClient broker;
    private final String recordingKey;
    private final Supplier<UUID> instance;
    private final Queue<Closed> pending = new ConcurrentLinkedQueue<>();
    private final ScheduledExecutorService retry = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "session-index-retry");
        t.setDaemon(true);
        return t;
    });

    /** @param recordingKey SHA-256 (hex) of the X.509 encoding of this bastion's recording-signing public key */
    public RemoteSessionIndex(BrokerClient broker, String recordingKey) {
        this(broker, recordingKey, () -> null);
    }

    /** @param instance the bastion process's lease ({@link BastionLease#instance}) its sessions are registered under */
    public RemoteSessionIndex(BrokerClient broker, String recordingKey, Supplier<UUID> instance) {
        this.broker = broker;
        this.recordingKey = recordingKey;
        this.instance = instance;
        retry.scheduleWithFixedDelay(this::retryPending, 5, 5, TimeUnit.SECONDS);
    }

    @Override
    public void opened(Opened s) {
        SessionOpened body = new SessionOpened(
                s.sessionId(),
                s.requestId(),
                s.username(),
                s.target(),
                s.login(),
                s.protocol(),
                s.recordingId(),
                s.bastion(),
                s.clientAddress(),
                s.startedAt(),
                s.recordingId() == null ? null : recordingKey,
                instance.get());
        try {
            broker.post("/internal/v1/sessions", body);
        } catch (IOException e) {
            throw new IllegalStateException("session index: " + e.getMessage(), e);
        }
    }

    @Override
    public void closed(Closed s) {
        if (!send(s)) {
            if (pending.size() < MAX_PENDING) {
                pending.add(s);
            } else {
                LOG.severe("session index backlog full; the end of session " + s.sessionId() + " is only in this log: "
                        + s);
            }
        }
    }

    public int backlog() {
        return pending.size();
    }

    private boolean send(Closed s) {
        SessionEnded body = new SessionEnded(s.endedAt(), s.bytesIn(), s.bytesOut(), s.status(), s.detail());
        try {
            broker.post("/internal/v1/sessions/" + s.sessionId() + "/end", body);
            return true;
        } catch (BrokerClient.BrokerException e) {
            if (e.status() == 404 || e.status() == 422) {
                LOG.warning("the broker refused the end of session " + s.sessionId() + ": " + e.getMessage());
                return true; // retrying cannot help
            }
            return false;
        } catch (IOException e) {
            return false;
        }
    }

    private void retryPending() {
        int n = pending.size();
        for (int i = 0; i < n; i++) {
            Closed s = pending.poll();
            if (s == null) {
                return;
            }
            if (!send(s)) {
                pending.add(s);
                return; // the broker is still away; try again later
            }
        }
    }

    @Override
    public void close() {
        retryPending();
        retry.shutdownNow();
    }
}
