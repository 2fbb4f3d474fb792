package dev.portcullis.bastion.health;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;

/**
 * The bastion's Prometheus metrics, all named {@code portcullis_bastion_*}: sessions open, started, refused and ended,
 * bytes, recording writes, broker calls and grant events. The decorators in this package feed it from the ports the
 * bastion already has (grant authority, session index, recording storage), so no protocol code counts anything itself.
 */
public final class BastionMetrics {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Map<String, AtomicLong> open = new ConcurrentHashMap<>();
    /** Each open session's protocol, so its end is counted under the protocol it started with. */
    private final Map<UUID, String> protocolOf = new ConcurrentHashMap<>();

    private final AtomicLong grantEventLagMillis = new AtomicLong();

    public BastionMetrics() {
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        for (String protocol : new String[] {"ssh", "postgres"}) {
            openGauge(protocol);
        }
        Gauge.builder("portcullis_bastion_grant_events_lag_seconds", grantEventLagMillis, v -> v.get() / 1000.0)
                .description("Time from the broker's grant event to its arrival here, for the latest event")
                .register(registry);
    }

    private AtomicLong openGauge(String protocol) {
        return open.computeIfAbsent(protocol, p -> {
            AtomicLong n = new AtomicLong();
            Gauge.builder("portcullis_bastion_sessions_open", n, AtomicLong::get)
                    .tag("protocol", p)
                    .description("Sessions open now")
                    .register(registry);
            return n;
        });
    }

    void sessionStarted(UUID session, String protocol) {
        protocolOf.put(session, protocol);
        openGauge(protocol).incrementAndGet();
        Counter.builder("portcullis_bastion_sessions_started_total")
                .tag("protocol", protocol)
                .description("Sessions entered in the session index")
                .register(registry)
                .increment();
    }

    void sessionEnded(UUID session, String status, long bytesIn, long bytesOut) {
        String protocol = protocolOf.remove(session);
        if (protocol == null) {
            return; // ended twice, or never started here
        }
        openGauge(protocol).decrementAndGet();
        Counter.builder("portcullis_bastion_sessions_ended_total")
                .tag("protocol", protocol)
                .tag("status", status)
                .description("Sessions ended, by how")
                .register(registry)
                .increment();
        Counter.builder("portcullis_bastion_bytes_in_total")
                .tag("protocol", protocol)
                .description("Bytes from people to targets, counted when each session ends")
                .register(registry)
                .increment(bytesIn);
        Counter.builder("portcullis_bastion_bytes_out_total")
                .tag("protocol", protocol)
                .description("Bytes from targets to people, counted when each session ends")
                .register(registry)
                .increment(bytesOut);
    }

    /** @param reason the broker's refusal code, or what failed on the bastion ("authority_unavailable", ...) */
    void sessionRefused(String protocol, String reason) {
        Counter.builder("portcullis_bastion_sessions_refused_total")
                .tag("protocol", protocol)
                .tag("reason", reason.toLowerCase(Locale.ROOT))
                .description("Sessions and channels refused, by reason")
                .register(registry)
                .increment();
    }

    void recordingWrite(String what, long nanos, boolean ok) {
        Timer.builder("portcullis_bastion_recording_write_seconds")
                .tag("object", what)
                .tag("outcome", ok ? "ok" : "failed")
                .description("Time to store one recording object (header, chunk, checkpoint, manifest)")
                .publishPercentileHistogram()
                .register(registry)
                .record(nanos, TimeUnit.NANOSECONDS);
        if (!ok) {
            Counter.builder("portcullis_bastion_recording_failures_total")
                    .tag("object", what)
                    .description("Recording objects the store failed to take")
                    .register(registry)
                    .increment();
        }
    }

    /** @param depth lines queued for the recording store across every live recording */
    public void recordingQueue(IntSupplier depth) {
        Gauge.builder("portcullis_bastion_recording_queue_depth", depth, d -> d.getAsInt())
                .description("Recorded lines waiting for the recording store, all sessions together")
                .register(registry);
    }

    /** A call to the broker's API and how it went (ok, refused, failed). */
    public void brokerCall(String call, long nanos, String outcome) {
        Timer.builder("portcullis_bastion_broker_call_seconds")
                .tag("call", call)
                .tag("outcome", outcome)
                .description("Calls to the broker's internal API")
                .publishPercentileHistogram()
                .register(registry)
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    public void grantEventLag(Duration lag) {
        grantEventLagMillis.set(Math.max(0, lag.toMillis()));
    }

    /** The Prometheus text exposition. */
    public String scrape() {
        return registry.scrape();
    }
}
