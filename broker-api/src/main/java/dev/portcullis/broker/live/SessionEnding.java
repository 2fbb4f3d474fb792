package dev.portcullis.broker.live;

import dev.portcullis.broker.events.GrantEvent;
import dev.portcullis.broker.events.GrantEventLog;
import dev.portcullis.broker.persistence.IndexedSession;
import dev.portcullis.broker.persistence.JpaSessionIndex;
import dev.portcullis.workflow.port.AuditEvent;
import dev.portcullis.workflow.port.AuditSink;
import dev.portcullis.workflow.request.Refusal;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;

/**
 * An admin ends one live session, and only that one: the person's grant and other sessions stay. The bastions hear
 * it through the grant-event stream ({@link GrantEvent#END_SESSION}); the one holding the session tells the user the
 * line built here and closes it, then reports it TERMINATED. The request waits briefly for that report, so the
 * answer usually says the session is closed.
 */
@ApplicationScoped
public class SessionEnding {

    static final int MAX_REASON = 500;
    private static final Duration WAIT = Duration.ofSeconds(3);

    @Inject
    JpaSessionIndex sessions;

    @Inject
    GrantEventLog events;

    @Inject
    PeopleInCharge people;

    @Inject
    AuditSink audit;

    @Inject
    Clock clock;

    /** The session after the request: TERMINATED once its bastion closed it, still OPEN if it has not yet. */
    public IndexedSession end(UUID id, String admin, String reason, Function<Refusal, RuntimeException> refuse) {
        String why = reason == null ? "" : reason.strip();
        if (why.isEmpty() || why.length() > MAX_REASON || why.chars().anyMatch(Character::isISOControl)) {
            throw refuse.apply(Refusal.invalid(
                    "reason_required",
                    "reason",
                    "give a reason of one line, at most " + MAX_REASON + " characters: the user is shown it"));
        }
        if (!people.isAdmin(admin)) {
            audit.append(new AuditEvent(
                    clock.instant(),
                    admin,
                    "session.end.refused",
                    "session",
                    id.toString(),
                    Map.of("reason", "not an admin")));
            throw refuse.apply(Refusal.forbidden(
                    "missing_group", "ending a live session is for members of /admins; " + admin + " is not one"));
        }
        IndexedSession session = sessions.find(id)
                .orElseThrow(() -> refuse.apply(Refusal.notFound("no_such_session", "there is no session " + id)));
        if (!session.isOpen() || session.requestId() == null) {
            throw refuse.apply(Refusal.conflict(
                    "session_not_live",
                    "session " + id + " is not live (" + session.status() + "); there is nothing to end"));
        }
        String message = "this session was ended by " + admin + " (admin): " + why;
        events.instruct(
                GrantEvent.END_SESSION,
                id,
                session.requestId(),
                session.username(),
                session.target(),
                session.login(),
                message);
        audit.append(new AuditEvent(
                clock.instant(),
                admin,
                "session.end.requested",
                "session",
                id.toString(),
                Map.of("user", session.username(), "target", session.target(), "reason", why)));
        long deadline = System.nanoTime() + WAIT.toNanos();
        IndexedSession now = session;
        while (now.isOpen() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(25);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            now = sessions.find(id).orElse(now);
        }
        return now;
    }
}
