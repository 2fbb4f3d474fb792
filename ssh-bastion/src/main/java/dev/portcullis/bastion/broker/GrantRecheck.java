package dev.portcullis.bastion.broker;

import dev.portcullis.bastion.session.LiveSessions;
import dev.portcullis.contract.BastionApi.GrantStatus;
import dev.portcullis.contract.BastionApi.GrantStatusAnswer;
import dev.portcullis.contract.BastionApi.GrantStatusRequest;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Asks the broker, every {@code every} (at most 30 s), whether the grants of this bastion's live sessions are still
 * live ({@code POST /internal/v1/grants/status}), and ends the sessions of those that are not. The grant events are
 * the fast path; this bounds what a lost event, a stream that was down, or a bug in either can cost. When the broker
 * cannot be asked the sessions go on (the local end timers still hold) and the next round asks again.
 */
public final class GrantRecheck implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(GrantRecheck.class.getName());
    /** The broker answers about at most this many grants per call. */
    static final int PAGE = 1000;

    private final BrokerClient broker;
    private final LiveSessions live;
    private final Duration every;
    private final ScheduledExecutorService timer;

    public GrantRecheck(BrokerClient broker, LiveSessions live, Duration every) {
        this.broker = broker;
        this.live = live;
        this.every = every;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "grant-recheck");
            t.setDaemon(true);
            return t;
        });
    }

    public GrantRecheck start() {
        timer.scheduleWithFixedDelay(this::recheck, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    /** One round; any failure is logged and left to the next. */
    void recheck() {
        List<UUID> grants = new ArrayList<>(live.grants());
        for (int from = 0; from < grants.size(); from += PAGE) {
            List<UUID> page = grants.subList(from, Math.min(grants.size(), from + PAGE));
            try {
                GrantStatusAnswer answer = broker.post(
                        "/internal/v1/grants/status", new GrantStatusRequest(page), GrantStatusAnswer.class);
                for (GrantStatus g : answer.grants() == null ? List.<GrantStatus>of() : answer.grants()) {
                    if (!g.live()) {
                        UUID grant = Objects.requireNonNull(g.requestId(), "requestId");
                        String state = g.state() == null ? "ENDED" : g.state();
                        String message = GrantEventStream.endedMessage(
                                g.login() == null ? "?" : g.login(),
                                g.target() == null ? "?" : g.target(),
                                ended(state),
                                g.reason());
                        LOG.info(() -> "re-check: grant " + grant + " is no longer live (" + state + ")");
                        live.grantEnded(grant, message);
                    }
                }
            } catch (IOException | RuntimeException e) {
                LOG.warning("cannot re-check " + page.size() + " live grant(s) with the broker (" + e.getMessage()
                        + "); the sessions' own end timers stay armed");
            }
        }
    }

    /** A grant still ACTIVE past its end (the broker has not got round to it yet) has expired all the same. */
    private static String ended(String state) {
        return "ACTIVE".equals(state) ? "EXPIRED" : state;
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
