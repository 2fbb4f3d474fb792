package dev.portcullis.broker.metrics;

import dev.portcullis.broker.persistence.JpaSessionIndex;
import dev.portcullis.broker.siem.SiemSettings;
import dev.portcullis.workflow.request.RequestState;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.jboss.logging.Logger;

/**
 * The broker's Portcullis figures at /q/metrics, read from PostgreSQL (at most every few seconds, whatever the scrape
 * rate) rather than counted in memory: every replica reports the same true totals, approvals made in the web UI and
 * the API alike, and nothing is counted for a transaction that rolled back. Requests by state, approvals and denials,
 * grant starts and ends, time from request to active, sessions open, leases live, and per SIEM sink how far it is behind
 * the audit trail (rows, and the age of the oldest row it has not taken). Call latencies (Keycloak, audit
 * appends) are timed where the calls are made.
 */
@ApplicationScoped
@Startup
public class PortcullisMetrics {

    private static final Logger LOG = Logger.getLogger(PortcullisMetrics.class);
    private static final Duration FRESH_FOR = Duration.ofSeconds(5);

    private final DataSource db;
    private volatile Map<String, Double> values = Map.of();
    private volatile long readAt;

    @Inject
    public PortcullisMetrics(DataSource db, MeterRegistry registry, SiemSettings siem) {
        this.db = db;
        for (RequestState state : RequestState.values()) {
            Gauge.builder("portcullis_requests", this, m -> m.value("requests." + state.name()))
                    .tag("state", state.name())
                    .description("Access requests by state")
                    .register(registry);
        }
        for (String decision : List.of("APPROVE", "DENY")) {
            FunctionCounter.builder("portcullis_reviews", this, m -> m.value("reviews." + decision))
                    .tag("decision", decision)
                    .description("Approvals and denials given")
                    .register(registry);
        }
        for (String kind : List.of("started", "ended")) {
            FunctionCounter.builder("portcullis_grant_events", this, m -> m.value("grants." + kind))
                    .tag("kind", kind)
                    .description("Grants started and ended")
                    .register(registry);
        }
        for (String stat : List.of("avg", "max")) {
            Gauge.builder("portcullis_request_to_active_seconds", this, m -> m.value("toActive." + stat))
                    .tag("stat", stat)
                    .tag("window", "1h")
                    .description("From a request to its grant being active, over grants activated in the last hour")
                    .register(registry);
        }
        for (String protocol : List.of("ssh", "postgres")) {
            Gauge.builder("portcullis_sessions_open", this, m -> m.value("sessions." + protocol))
                    .tag("protocol", protocol)
                    .description("Sessions OPEN in the index")
                    .register(registry);
        }
        Gauge.builder("portcullis_bastion_leases_live", this, m -> m.value("leases"))
                .description("Bastion processes holding a live lease")
                .register(registry);
        for (String sink : siem.sinkNames()) {
            Gauge.builder("portcullis_siem_lag_rows", this, m -> m.value("siemRows." + sink))
                    .tag("sink", sink)
                    .description("Audit rows the SIEM sink has not acknowledged yet")
                    .register(registry);
            Gauge.builder("portcullis_siem_lag_seconds", this, m -> m.value("siemSeconds." + sink))
                    .tag("sink", sink)
                    .description("Age of the oldest audit row the SIEM sink has not acknowledged; 0 when"
                            + " it has them all")
                    .register(registry);
        }
    }

    private double value(String name) {
        if (System.nanoTime() - readAt > FRESH_FOR.toNanos()) {
            read();
        }
        return values.getOrDefault(name, 0.0);
    }

    private synchronized void read() {
        if (System.nanoTime() - readAt <= FRESH_FOR.toNanos()) {
            return;
        }
        Map<String, Double> v = new HashMap<>();
        try (Connection c = db.getConnection();
                Statement s = c.createStatement()) {
            rows(s, "select 'requests.' || state, count(*) from access_request group by state", v);
            rows(s, "select 'reviews.' || decision, count(*) from request_review group by decision", v);
            rows(s, "select 'grants.' || kind, count(*) from grant_event group by kind", v);
            rows(
                    s,
                    "select 'toActive.avg', coalesce(avg(extract(epoch from granted_at - created_at)), 0) from access_request"
                            + " where granted_at > now() - interval '1 hour' union all select 'toActive.max', coalesce(max(extract("
                            + "epoch from granted_at - created_at)), 0) from access_request where granted_at > now() - interval '1 hour'",
                    v);
            rows(
                    s,
                    "select 'sessions.' || protocol, count(*) from bastion_session where status = '"
                            + JpaSessionIndex.OPEN + "' group by protocol",
                    v);
            rows(s, "select 'leases', count(*) from bastion_lease where ended_at is null and expires_at > now()", v);
            rows(
                    s,
                    "select 'siemRows.' || rtrim(c.sink), h.last_id - c.last_id from siem_cursor c cross join audit_head h",
                    v);
            rows(
                    s,
                    "select 'siemSeconds.' || rtrim(c.sink), coalesce(extract(epoch from now() - a.at), 0) from siem_cursor c"
                            + " left join audit_log a on a.id = c.last_id + 1",
                    v);
            values = v;
        } catch (SQLException e) {
            LOG.warnf(
                    "cannot read the Portcullis metrics from the database (%s); the last values stay", e.getMessage());
        }
        readAt = System.nanoTime();
    }

    private static void rows(Statement s, String sql, Map<String, Double> into) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                into.put(rs.getString(1), rs.getDouble(2));
            }
        }
    }
}
