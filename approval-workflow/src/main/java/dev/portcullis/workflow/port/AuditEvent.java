package dev.portcullis.workflow.port;

import dev.portcullis.workflow.request.Refusal;
import dev.portcullis.workflow.request.Transition;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/** One line of the audit trail: who did what to which thing, when, and with what outcome. */
public record AuditEvent(
        Instant at, String actor, String action, String subjectType, String subjectId, Map<String, String> details) {

    public AuditEvent {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(actor, "actor");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(subjectType, "subjectType");
        Objects.requireNonNull(subjectId, "subjectId");
        details = Map.copyOf(new TreeMap<>(details));
    }

    public static AuditEvent of(Transition.Applied applied) {
        return new AuditEvent(
                applied.at(),
                applied.actor(),
                applied.action(),
                "access_request",
                applied.after().id().toString(),
                applied.details());
    }

    public static AuditEvent refused(Instant at, String actor, String action, String requestId, Refusal refusal) {
        return new AuditEvent(
                at,
                actor,
                action + ".refused",
                "access_request",
                requestId,
                Map.of("code", refusal.code(), "message", refusal.message()));
    }
}
