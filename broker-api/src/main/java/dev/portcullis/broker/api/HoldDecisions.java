package dev.portcullis.broker.api;

import dev.portcullis.broker.identity.Caller;
import dev.portcullis.broker.persistence.JpaSessionIndex;
import dev.portcullis.broker.persistence.LegalHolds;
import dev.portcullis.workflow.AccessWorkflow;
import dev.portcullis.workflow.port.AuditEvent;
import dev.portcullis.workflow.port.AuditSink;
import dev.portcullis.workflow.port.IdentityDirectory;
import dev.portcullis.workflow.request.Actor;
import dev.portcullis.workflow.request.Refusal;
import dev.portcullis.workflow.request.Roles;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;

/**
 * Placing and releasing legal holds, for the API and the web pages alike: only auditors and admins, checked in the
 * token and again live in the directory (a person who left the group a minute ago cannot release a hold and let
 * evidence be deleted), always with a reason; every refusal of a person who may not is audited.
 */
@ApplicationScoped
public class HoldDecisions {

    static final int MAX_REASON = 1000;
    static final int MAX_TICKET = 200;

    @Inject
    LegalHolds holds;

    @Inject
    JpaSessionIndex sessions;

    @Inject
    IdentityDirectory directory;

    @Inject
    AuditSink audit;

    @Inject
    Clock clock;

    public LegalHolds.Hold place(
            Caller caller, UUID session, String ticket, String reason, Function<Refusal, RuntimeException> refuse) {
        String subject = session != null ? session.toString() : ticket == null ? "*" : ticket;
        requireAuditor(caller, "place", subject, refuse);
        String why = reason(reason, refuse);
        String wanted = ticket == null || ticket.isBlank() ? null : ticket.strip();
        if ((session == null) == (wanted == null)) {
            throw refuse.apply(Refusal.invalid(
                    "hold_subject",
                    "session",
                    "name exactly one of session (a session id) or ticket (every session under that ticket)"));
        }
        if (wanted != null && wanted.length() > MAX_TICKET) {
            throw refuse.apply(Refusal.invalid(
                    "field_too_long", "ticket", "ticket must be at most " + MAX_TICKET + " characters"));
        }
        if (session != null && sessions.find(session).isEmpty()) {
            throw refuse.apply(Refusal.notFound("no_such_session", "there is no session " + session));
        }
        return holds.place(session, wanted, why, caller.username())
                .orElseThrow(() -> refuse.apply(Refusal.conflict(
                        "already_held",
                        (session != null ? "session " + session : "ticket " + wanted)
                                + " is under a legal hold already; release that one first to change it")));
    }

    public LegalHolds.Hold release(
            Caller caller, UUID hold, String reason, Function<Refusal, RuntimeException> refuse) {
        requireAuditor(caller, "release", hold.toString(), refuse);
        String why = reason(reason, refuse);
        return switch (holds.release(hold, why, caller.username())) {
            case RELEASED -> holds.find(hold).orElseThrow();
            case ALREADY_RELEASED ->
                throw refuse.apply(Refusal.conflict("hold_released", "legal hold " + hold + " is released already"));
            case UNKNOWN -> throw refuse.apply(Refusal.notFound("no_such_hold", "there is no legal hold " + hold));
        };
    }

    /** Reading holds: the token's groups are enough, as for the session pages. */
    public void requireReader(Caller caller, Function<Refusal, RuntimeException> refuse) {
        if (caller.isServiceAccount() || !AccessWorkflow.isAuditor(caller.asTokenSays())) {
            throw refuse.apply(notAuditor());
        }
    }

    private void requireAuditor(
            Caller caller, String what, String subject, Function<Refusal, RuntimeException> refuse) {
        boolean allowed = !caller.isServiceAccount() && AccessWorkflow.isAuditor(caller.asTokenSays());
        if (allowed) {
            Actor now = directory
                    .lookup(caller.username(), Set.of(Roles.AUDITORS, Roles.ADMINS))
                    .orElse(null);
            allowed = now != null && now.enabled() && AccessWorkflow.isAuditor(now);
        }
        if (!allowed) {
            Map<String, String> details = new HashMap<>();
            details.put("what", what);
            details.put("reason", "not an auditor or admin");
            audit.append(new AuditEvent(
                    clock.instant(), caller.username(), "legal_hold.refused", "legal_hold", subject, details));
            throw refuse.apply(notAuditor());
        }
    }

    private static Refusal notAuditor() {
        return Refusal.forbidden(
                "missing_group", "legal holds are for members of " + Roles.AUDITORS + " or " + Roles.ADMINS);
    }

    private static String reason(String reason, Function<Refusal, RuntimeException> refuse) {
        if (reason == null || reason.isBlank()) {
            throw refuse.apply(Refusal.invalid(
                    "field_required",
                    "reason",
                    "a legal hold is placed and released with a "
                            + "reason (the matter, the request of counsel, the case number)"));
        }
        if (reason.strip().length() > MAX_REASON) {
            throw refuse.apply(Refusal.invalid(
                    "field_too_long", "reason", "reason must be at most " + MAX_REASON + " characters"));
        }
        return reason.strip();
    }
}
