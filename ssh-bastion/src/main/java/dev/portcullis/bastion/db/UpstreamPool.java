package dev.portcullis.bastion.db;

import dev.portcullis.bastion.upstream.DatabaseTarget;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Server connections the proxy has logged in with and that a client has left cleanly, kept for the next client of the
 * same kind, as pgbouncer's session mode keeps them: a fresh login costs a TCP connection, perhaps a TLS handshake,
 * a SCRAM exchange (thousands of hash rounds on each side) and a backend process start, while a kept connection costs
 * nothing but the reset it already had.
 * <p>
 * A connection is kept under its {@link Key}: target, role, read-only or not, database and the startup parameters it
 * was opened with, so that it is never handed to a session of another role or access level (a read-only connection
 * runs with {@code default_transaction_read_only=on} from its startup packet; a write one does not). It is kept only
 * after {@link ServerReset} ran on it and found it clean, and only while the inventory's settings for its target are
 * the ones it was opened with: changed settings (address, TLS, password, which roles are read-only) close it.
 * <p>
 * Bounds: at most {@code maxIdlePerKey} idle connections of one key and {@code maxIdle} in all, each closed after
 * {@code idleTimeout} unused and at {@code lifetime} after its login; one idle longer than {@code checkAfter} is
 * checked again (one round trip) before it is handed out.
 */
final class UpstreamPool implements AutoCloseable {

    /** What a kept connection may serve; two sessions share a connection only when every part is equal. */
    record Key(String target, String role, boolean readOnly, String database, Map<String, String> startup) {
        Key {
            startup = Map.copyOf(startup);
        }
    }

    /** A connection taken from the pool; {@code check} says it sat idle long enough to be checked first. */
    record Lease(PgUpstream upstream, boolean check) {}

    private record Idle(PgUpstream upstream, DatabaseTarget settings, long sinceNanos) {}

    private final DatabaseProxy.Options.Pool settings;
    private final Map<Key, ArrayDeque<Idle>> idle = new HashMap<>();
    private int count;
    private boolean closed;

    UpstreamPool(DatabaseProxy.Options.Pool settings) {
        this.settings = settings;
    }

    boolean enabled() {
        return settings.enabled();
    }

    /**
     * The most recently kept connection for this key that is still fit to use, or null. Connections opened under
     * other settings for the target than {@code current}, past their lifetime or idle timeout, or on which the server
     * said something while nobody listened (a termination notice, say) are closed instead.
     */
    Lease take(Key key, DatabaseTarget current) {
        List<PgUpstream> doomed = new ArrayList<>();
        try {
            synchronized (this) {
                ArrayDeque<Idle> kept = idle.get(key);
                long now = System.nanoTime();
                while (kept != null && !kept.isEmpty()) {
                    Idle c = kept.pollLast();
                    count--;
                    if (!c.settings().equals(current) || expired(c, now) || saidSomething(c.upstream())) {
                        doomed.add(c.upstream());
                        continue;
                    }
                    return new Lease(
                            c.upstream(),
                            now - c.sinceNanos() > settings.checkAfter().toNanos());
                }
                return null;
            }
        } finally {
            doomed.forEach(PgUpstream::close);
        }
    }

    /**
     * Keeps a connection that {@link ServerReset} found clean, if it was opened under the inventory's current settings
     * for its target and the bounds allow; otherwise closes it.
     */
    void give(Key key, DatabaseTarget openedWith, Optional<DatabaseTarget> current, PgUpstream upstream) {
        synchronized (this) {
            if (!closed
                    && current.isPresent()
                    && current.get().equals(openedWith)
                    && count < settings.maxIdle()
                    && !expired(new Idle(upstream, openedWith, System.nanoTime()), System.nanoTime())) {
                ArrayDeque<Idle> kept = idle.computeIfAbsent(key, k -> new ArrayDeque<>());
                if (kept.size() < settings.maxIdlePerKey()) {
                    kept.addLast(new Idle(upstream, openedWith, System.nanoTime()));
                    count++;
                    return;
                }
            }
        }
        upstream.close();
    }

    /**
     * Closes what idled too long, outlived its lifetime, or was opened under settings the inventory no longer has for
     * its target; run every second or so.
     */
    void sweep(Function<String, Optional<DatabaseTarget>> inventory) {
        List<PgUpstream> doomed = new ArrayList<>();
        synchronized (this) {
            long now = System.nanoTime();
            for (Iterator<Map.Entry<Key, ArrayDeque<Idle>>> keys =
                            idle.entrySet().iterator();
                    keys.hasNext(); ) {
                Map.Entry<Key, ArrayDeque<Idle>> e = keys.next();
                Optional<DatabaseTarget> current = inventory.apply(e.getKey().target());
                for (Iterator<Idle> it = e.getValue().iterator(); it.hasNext(); ) {
                    Idle c = it.next();
                    if (expired(c, now) || current.isEmpty() || !current.get().equals(c.settings())) {
                        it.remove();
                        count--;
                        doomed.add(c.upstream());
                    }
                }
                if (e.getValue().isEmpty()) {
                    keys.remove();
                }
            }
        }
        doomed.forEach(PgUpstream::close);
    }

    synchronized int idle() {
        return count;
    }

    private boolean expired(Idle c, long now) {
        return now - c.sinceNanos() > settings.idleTimeout().toNanos()
                || now - c.upstream().createdNanos > settings.lifetime().toNanos();
    }

    /**
     * Whether the server sent anything while the connection sat idle: nothing is owed to an idle, reset connection,
     * so anything at all (most often a FATAL error before the server closes it) makes it unfit.
     */
    private static boolean saidSomething(PgUpstream upstream) {
        try {
            return upstream.socket.isClosed()
                    || upstream.in.available() > 0
                    || upstream.socket.getInputStream().available() > 0;
        } catch (IOException e) {
            return true;
        }
    }

    /** Closes every idle connection; the pool goes on keeping new ones. */
    void closeIdle() {
        close(false);
    }

    @Override
    public void close() {
        close(true);
    }

    private void close(boolean forGood) {
        List<PgUpstream> doomed = new ArrayList<>();
        synchronized (this) {
            closed |= forGood;
            idle.values().forEach(kept -> kept.forEach(c -> doomed.add(c.upstream())));
            idle.clear();
            count = 0;
        }
        doomed.forEach(PgUpstream::close);
    }
}
