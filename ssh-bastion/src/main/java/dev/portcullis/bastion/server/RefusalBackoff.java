package dev.portcullis.bastion.server;

import dev.portcullis.workflow.port.GrantAuthority;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.logging.Logger;

/**
 * The broker's refusals, remembered per person for a short back-off, so that someone opening channels they have no
 * grant for over and over costs a few broker calls (and audit rows) per back-off, not one per channel. An ask the
 * broker refused {@link #SAME} times within the back-off is refused from memory, in the broker's words; a person
 * refused {@link #ANY} times within it, whatever they asked, has every ask refused from memory. Either lasts until
 * the back-off has passed since the broker's last refusal. A refusal or two always reach the broker, so someone who
 * is refused, asks for a grant and gets it is let in at once. Allowed asks and an unreachable broker are never
 * remembered.
 */
final class RefusalBackoff implements GrantAuthority {

    static final int SAME = 3;
    static final int ANY = 20;
    /** Bounds the memory a crowd of refused people can take; the oldest are forgotten first. */
    private static final int MAX_PEOPLE = 10_000;

    private static final Logger LOG = Logger.getLogger(RefusalBackoff.class.getName());

    private final GrantAuthority broker;
    private final Duration backoff;
    private final Clock clock;
    private final Map<String, Refusals> people = new HashMap<>();

    private static final class Refusals {
        final Map<Ask, Deque<Instant>> byAsk = new HashMap<>();
        final Map<Ask, Refused> words = new HashMap<>();
        final Deque<Instant> times = new ArrayDeque<>();
        Instant last = Instant.EPOCH;
        boolean told;
    }

    RefusalBackoff(GrantAuthority broker, Duration backoff, Clock clock) {
        this.broker = broker;
        this.backoff = backoff;
        this.clock = clock;
    }

    @Override
    public Decision authorize(Ask ask) {
        Refused remembered = remembered(ask);
        if (remembered != null) {
            return remembered;
        }
        Decision decision = broker.authorize(ask);
        if (decision instanceof Refused refused) {
            remember(ask, refused);
        }
        return decision;
    }

    private synchronized Refused remembered(Ask ask) {
        Refusals r = people.get(ask.username());
        if (r == null) {
            return null;
        }
        Instant since = clock.instant().minus(backoff);
        if (r.last.isBefore(since)) {
            people.remove(ask.username());
            return null;
        }
        r.times.removeIf(t -> t.isBefore(since));
        r.byAsk.values().forEach(times -> times.removeIf(t -> t.isBefore(since)));
        r.byAsk.values().removeIf(Deque::isEmpty);
        r.words.keySet().retainAll(r.byAsk.keySet());
        Deque<Instant> same = r.byAsk.get(ask);
        if (same != null && same.size() >= SAME) {
            return r.words.get(ask);
        }
        if (r.times.size() >= ANY) {
            if (!r.told) {
                r.told = true;
                LOG.warning(ask.username() + " was refused " + ANY + " times within " + backoff.toSeconds()
                        + " s; what they ask is refused without asking the broker for a while");
            }
            return new Refused(
                    "too_many_refusals",
                    "you were refused " + ANY + " times in a row; wait " + Math.max(1, backoff.toSeconds())
                            + " s before trying again");
        }
        return null;
    }

    private synchronized void remember(Ask ask, Refused refused) {
        if (backoff.isZero()) {
            return;
        }
        Instant now = clock.instant();
        Refusals r = people.get(ask.username());
        if (r == null) {
            if (people.size() >= MAX_PEOPLE) {
                forgetOldest();
            }
            r = new Refusals();
            people.put(ask.username(), r);
        }
        if (r.last.isBefore(now.minus(backoff))) {
            r.told = false;
        }
        r.byAsk.computeIfAbsent(ask, k -> new ArrayDeque<>()).add(now);
        r.words.put(ask, refused);
        r.times.add(now);
        r.last = now;
    }

    private void forgetOldest() {
        Instant cutoff = clock.instant().minus(backoff);
        people.values().removeIf(r -> r.last.isBefore(cutoff));
        Iterator<String> it = people.keySet().iterator();
        while (people.size() >= MAX_PEOPLE && it.hasNext()) {
            it.next();
            it.remove();
        }
    }
}
