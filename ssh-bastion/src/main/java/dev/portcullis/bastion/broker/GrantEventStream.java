package dev.portcullis.bastion.broker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.UUID;
import java.util.logging.Logger;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;

import dev.portcullis.bastion.server.LiveSessions;

/**
 * Follows the broker's grant events ({@code GET /internal/v1/grant-events}) and closes the sessions of every grant
 * that ends. Reconnects with the last event id it saw, so an event published while the stream was down still
 * arrives. While the broker is away the bastion's own timers still end sessions at their grants' end.
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
                    LOG.warning("grant event stream interrupted (" + e.getMessage() + "); reconnecting, local timers stay armed");
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
                if (data.length() > 0) {
                    dispatch(event, data.toString());
                }
                if (id != null) {
                    lastEventId = id;
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

    private void dispatch(String event, String data) {
        if (!"ended".equals(event)) {
            return;
        }
        try {
            JsonNode e = BrokerClient.JSON.readTree(data);
            UUID grant = UUID.fromString(e.get("requestId").asText());
            String what = e.path("login").asText() + "@" + e.path("target").asText();
            String state = e.path("state").asText("ENDED");
            String reason = e.hasNonNull("reason") ? ": " + e.get("reason").asText() : "";
            String message = "REVOKED".equals(state) ? "your grant for " + what + " was revoked" + reason
                    : "your grant for " + what + " ended (" + state.toLowerCase() + ")" + reason;
            live.grantEnded(grant, message);
        } catch (IOException | RuntimeException ex) {
            LOG.warning("unreadable grant event ignored: " + ex.getMessage());
        }
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
