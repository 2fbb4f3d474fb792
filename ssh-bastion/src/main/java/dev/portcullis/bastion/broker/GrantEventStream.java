package dev.portcullis.bastion.broker;

import com.fasterxml.jackson.databind.JsonNode;
import dev.portcullis.bastion.live.SessionInstructions;
import dev.portcullis.bastion.session.LiveSessions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.UUID;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * Follows the broker's grant events ({@code GET /internal/v1/grant-events}) and closes the sessions of every grant
 * that ends. Reconnects with the last SSE id it saw, so an event published while the stream was down still arrives.
 * The broker's SSE ids are resume points that never pass an event still to come (ids commit out of order), and every
 * stream opens with a {@code position} event, so even a bastion that has seen no grant event resumes from where it
 * was rather than from "now". While the broker is away the bastion's own timers still end sessions at their grants'
 * end, and {@link GrantRecheck} asks about every live grant, so a missed event costs at most its interval.
 * The same stream carries instructions about one session ({@link SessionInstructions}): watch it, end it.
 */
public final class GrantEventStream implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(GrantEventStream.class.getName());

    private final BrokerClient broker;
    private final LiveSessions live;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile Stream<String> current;
    private volatile String lastEventId;
    private volatile boolean connected;
    private volatile java.util.function.Consumer<java.time.Duration> lag = d -> {};

    public GrantEventStream(BrokerClient broker, LiveSessions live) {
        this.broker = broker;
        this.live = live;
        this.thread = new Thread(this::run, "grant-events");
        this.thread.setDaemon(true);
    }

    public GrantEventStream start() {
        thread.start();
        return this;
    }

    /** Told, for each grant event, how long after the broker wrote it the event arrived here. */
    public GrantEventStream observeLag(java.util.function.Consumer<java.time.Duration> lag) {
        this.lag = lag;
        return this;
    }

    public boolean connected() {
        return connected;
    }

    private void run() {
        long backoff = 500;
        while (running) {
            try (Stream<String> lines = broker.events("/internal/v1/grant-events", lastEventId)) {
                current = lines;
                connected = true;
                backoff = 500;
                consume(lines.iterator());
            } catch (IOException | UncheckedIOException | IllegalStateException e) {
                if (running) {
                    LOG.warning("grant event stream interrupted (" + e.getMessage()
                            + "); reconnecting, local timers stay armed");
                }
            } finally {
                connected = false;
            }
            if (!running) {
                return;
            }
            try {
                Thread.sleep(backoff);
            } catch (InterruptedException e) {
                return;
            }
            backoff = Math.min(backoff * 2, 10_000);
        }
    }

    private void consume(Iterator<String> lines) {
        String event = null;
        String id = null;
        StringBuilder data = new StringBuilder();
        while (running && lines.hasNext()) {
            String line = lines.next();
            if (line.isEmpty()) {
                if (id != null) {
                    lastEventId = id;
                }
                if (data.length() > 0) {
                    dispatch(event, data.toString());
                }
                event = null;
                id = null;
                data.setLength(0);
            } else if (line.startsWith("event:")) {
                event = line.substring(6).trim();
            } else if (line.startsWith("id:")) {
                id = line.substring(3).trim();
            } else if (line.startsWith("data:")) {
                if (data.length() > 0) {
                    data.append('\n');
                }
                data.append(line.substring(5).trim());
            }
        }
    }

    /** The resume point the last event or {@code position} of the broker carried; null before the first. */
    public String position() {
        return lastEventId;
    }

    private void dispatch(String event, String data) {
        // "started" needs nothing (a grant's sessions are authorized one by one), and a position is the event's SSE id,
        // taken for every event in consume()
        if ("position".equals(event)) {
            LOG.info(() -> "grant event stream at position " + data);
            return;
        }
        JsonNode e;
        try {
            e = BrokerClient.JSON.readTree(data);
            if (e.hasNonNull("at")) {
                lag.accept(java.time.Duration.between(
                        java.time.Instant.parse(e.get("at").asText()), java.time.Instant.now()));
            }
        } catch (IOException | RuntimeException ex) {
            LOG.warning("unreadable grant event ignored: " + ex.getMessage());
            return;
        }
        if (SessionInstructions.isOne(event)) {
            try {
                SessionInstructions.apply(event, e, live.views());
            } catch (RuntimeException ex) {
                LOG.warning("unreadable session instruction ignored: " + ex.getMessage());
            }
            return;
        }
        if (!"ended".equals(event)) {
            return;
        }
        try {
            UUID grant = UUID.fromString(e.get("requestId").asText());
            LOG.info(() -> "grant-ended event for " + grant);
            live.grantEnded(
                    grant,
                    endedMessage(
                            e.path("login").asText(),
                            e.path("target").asText(),
                            e.path("state").asText("ENDED"),
                            e.hasNonNull("reason") ? e.get("reason").asText() : null));
        } catch (RuntimeException ex) {
            LOG.warning("unreadable grant event ignored: " + ex.getMessage());
        }
    }

    /** What the holder of an ended grant is told, the same whether the event or the re-check found the end. */
    static String endedMessage(String login, String target, String state, String reason) {
        String what = login + "@" + target;
        String why = reason == null || reason.isBlank() ? "" : ": " + reason;
        return "REVOKED".equals(state)
                ? "your grant for " + what + " was revoked" + why
                : "your grant for " + what + " ended (" + state.toLowerCase(java.util.Locale.ROOT) + ")" + why;
    }

    @Override
    public void close() {
        running = false;
        Stream<String> s = current;
        if (s != null) {
            s.close();
        }
        thread.interrupt();
    }
}
