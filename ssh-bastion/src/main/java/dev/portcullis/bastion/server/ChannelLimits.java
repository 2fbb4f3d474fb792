package dev.portcullis.bastion.server;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.sshd.common.AttributeRepository.AttributeKey;
import org.apache.sshd.common.session.Session;

/**
 * What one SSH connection may cost the bastion: at most so many channels open at once and so many opened a minute
 * (each asks the broker, which writes an audit row), and a bounded pool for the blocking part of opening one
 * (asking the broker, logging in at the target). A channel beyond a bound is refused at once, with a reason, and
 * without asking the broker; the connection's other channels and everyone else's carry on.
 */
public final class ChannelLimits implements AutoCloseable {

    /**
     * @param maxOpen           channels one connection may hold open at once
     * @param maxOpensPerMinute channels one connection may open in a minute
     * @param openingThreads    channels being opened at once, bastion-wide
     * @param openingQueue      channels waiting for one of those threads; beyond that, refused as busy
     * @param refusalBackoff    how long a person's refused ask is answered again from memory (see RefusalBackoff)
     */
    public record Settings(
            int maxOpen, int maxOpensPerMinute, int openingThreads, int openingQueue, Duration refusalBackoff) {

        public Settings {
            if (maxOpen < 1 || maxOpensPerMinute < 1 || openingThreads < 1 || openingQueue < 1) {
                throw new IllegalArgumentException("channel limits must be at least 1");
            }
            if (refusalBackoff.isNegative()) {
                throw new IllegalArgumentException("the refusal back-off must not be negative");
            }
        }

        public static Settings defaults() {
            return new Settings(10, 120, 64, 1024, Duration.ofSeconds(5));
        }
    }

    private static final AttributeKey<Counter> COUNTER = new AttributeKey<>();

    /** One connection's channels: how many are open, how many were opened in the current minute. */
    private static final class Counter {
        final AtomicInteger open = new AtomicInteger();
        Instant minute = Instant.EPOCH;
        int opened;
    }

    private final Settings settings;
    private final Clock clock;
    private final ThreadPoolExecutor opening;

    public ChannelLimits(Settings settings, Clock clock) {
        AtomicInteger n = new AtomicInteger();
        this.opening = new ThreadPoolExecutor(
                settings.openingThreads(),
                settings.openingThreads(),
                60,
                TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(settings.openingQueue()),
                r -> {
                    Thread t = new Thread(r, "bastion-opening-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        this.opening.allowCoreThreadTimeOut(true);
        this.settings = settings;
        this.clock = clock;
    }

    public Settings settings() {
        return settings;
    }

    /**
     * Counts a channel the connection asks to open; null when it may, else why not. A channel admitted must be
     * {@link #released} when it closes.
     */
    String admit(Session session) {
        Counter c = session.computeAttributeIfAbsent(COUNTER, k -> new Counter());
        synchronized (c) {
            Instant now = clock.instant();
            if (Duration.between(c.minute, now).compareTo(Duration.ofMinutes(1)) >= 0) {
                c.minute = now;
                c.opened = 0;
            }
            if (c.open.get() >= settings.maxOpen()) {
                return "this connection already has " + settings.maxOpen()
                        + " channels open, the most a connection may";
            }
            if (c.opened >= settings.maxOpensPerMinute()) {
                return "this connection opened " + settings.maxOpensPerMinute()
                        + " channels in the last minute, the most it may;"
                        + " wait a minute";
            }
            c.opened++;
            c.open.incrementAndGet();
            return null;
        }
    }

    void released(Session session) {
        Counter c = session.getAttribute(COUNTER);
        if (c != null) {
            c.open.decrementAndGet();
        }
    }

    /**
     * Counts an admitted channel against its connection until it closes, or until its open fails. A channel whose
     * open fails is also unregistered, which MINA does not do, so refused channels do not pile up in a connection.
     */
    org.apache.sshd.client.future.OpenFuture track(
            org.apache.sshd.common.channel.Channel channel, org.apache.sshd.client.future.OpenFuture opening) {
        Session session = channel.getSession();
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        Runnable release = () -> {
            if (done.compareAndSet(false, true)) {
                released(session);
            }
        };
        channel.addCloseFutureListener(f -> release.run());
        opening.addListener(f -> {
            if (!f.isOpened()) {
                release.run();
                forget(channel);
            }
        });
        return opening;
    }

    /** Takes a channel that failed to open out of its connection. */
    static void forget(org.apache.sshd.common.channel.Channel channel) {
        org.apache.sshd.common.session.ConnectionService service =
                channel.getSession().getService(org.apache.sshd.common.session.ConnectionService.class);
        if (service != null) {
            service.unregisterChannel(channel);
        }
    }

    /** Where the blocking part of opening a channel runs; it refuses work when the bastion is saturated. */
    Executor opening() {
        return opening;
    }

    /** The refusal a person sees when {@link #opening()} is saturated. */
    static final String BUSY = "the bastion is busy opening other sessions; try again shortly";

    @Override
    public void close() {
        opening.shutdownNow();
    }
}
