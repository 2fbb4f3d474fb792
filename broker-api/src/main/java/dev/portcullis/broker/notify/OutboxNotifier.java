package dev.portcullis.broker.notify;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portcullis.broker.persistence.PostgresAccessRequestRepository;
import dev.portcullis.workflow.policy.AccessRule;
import dev.portcullis.workflow.policy.Durations;
import dev.portcullis.workflow.policy.TargetKind;
import dev.portcullis.workflow.port.Notifier;
import dev.portcullis.workflow.port.PolicySource;
import dev.portcullis.workflow.request.AccessRequest;
import dev.portcullis.workflow.request.RequestState;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * The workflow's notifier: writes what to tell, to whom and through which channel, into the outbox, in the transaction
 * that stores the decision. Sending is {@link NotificationSender}'s, later and elsewhere, so no endpoint can slow or
 * undo a decision. Reminders and ending-soon messages are rows due later, sent only while the request is still
 * PENDING, or the grant still ACTIVE.
 */
@ApplicationScoped
public class OutboxNotifier implements Notifier {

    @Inject
    NotificationOutbox outbox;

    @Inject
    Channels channels;

    @Inject
    NotifySettings settings;

    @Inject
    PolicySource policies;

    @Inject
    ObjectMapper json;

    @Override
    public void reviewNeeded(AccessRequest request, Set<String> approverGroups) {
        List<NotificationOutbox.Row> rows = new ArrayList<>();
        Instant now = request.createdAt();
        add(rows, request, NotificationEvent.REQUEST_CREATED, null, now, now);
        Instant remindAt = now.plus(settings.remindAfter());
        if (remindAt.isBefore(request.pendingUntil())) {
            add(rows, request, NotificationEvent.REQUEST_REMINDER, RequestState.PENDING, now, remindAt);
        }
        outbox.add(rows);
    }

    @Override
    public void stateChanged(AccessRequest request) {
        List<NotificationOutbox.Row> rows = new ArrayList<>();
        Instant now = request.endedAt() != null
                ? request.endedAt()
                : request.grantedAt() != null ? request.grantedAt() : Instant.now();
        switch (request.state()) {
            case ACTIVE -> {
                add(rows, request, NotificationEvent.REQUEST_APPROVED, null, now, now);
                add(rows, request, NotificationEvent.GRANT_STARTED, null, now, now);
                Instant soon = request.endsAt().minus(settings.endingSoonBefore());
                add(
                        rows,
                        request,
                        NotificationEvent.GRANT_ENDING_SOON,
                        RequestState.ACTIVE,
                        now,
                        soon.isAfter(now) ? soon : now);
            }
            case DENIED -> add(rows, request, NotificationEvent.REQUEST_DENIED, null, now, now);
            case TIMED_OUT -> add(rows, request, NotificationEvent.REQUEST_TIMED_OUT, null, now, now);
            case EXPIRED, REVOKED -> add(rows, request, NotificationEvent.GRANT_ENDED, null, now, now);
            default -> {
                // withdrawn by the requester: nobody else needs telling
            }
        }
        outbox.add(rows);
    }

    @Inject
    PostgresAccessRequestRepository requests;

    /** The session events of generic webhooks, from the session index in the transaction that records the session. */
    public void session(UUID request, NotificationEvent event, UUID session, Instant at) {
        if (!channels.anyCarries(event)) {
            return; // no channel wants them: not even the grant is read
        }
        AccessRequest grant = requests.find(request).orElse(null);
        if (grant == null) {
            return;
        }
        List<NotificationOutbox.Row> rows = new ArrayList<>();
        for (Channel channel : channels.forRule(grant.rule())) {
            if (channel.carries(event)) {
                rows.add(row(grant, event, channel, null, at, at, session.toString()));
            }
        }
        outbox.add(rows);
    }

    private void add(
            List<NotificationOutbox.Row> rows,
            AccessRequest request,
            NotificationEvent event,
            RequestState onlyWhile,
            Instant now,
            Instant due) {
        for (Channel channel : channels.forRule(request.rule())) {
            if (channel.carries(event)) {
                rows.add(row(request, event, channel, onlyWhile, now, due, null));
            }
        }
    }

    private NotificationOutbox.Row row(
            AccessRequest r,
            NotificationEvent event,
            Channel channel,
            RequestState onlyWhile,
            Instant now,
            Instant due,
            String session) {
        UUID id = UUID.randomUUID();
        AccessRule rule = policies.current().rule(r.rule()).orElse(null);
        String base = settings.baseUrl().replaceAll("/+$", "");
        String focus = base + "/ui/approvals?focus=" + r.id();
        Notice.Facts facts = new Notice.Facts(
                r.id(),
                r.requester(),
                r.target(),
                r.kind().wireName(),
                r.login(),
                r.access().name().toLowerCase(),
                Durations.format(r.duration()),
                r.reason(),
                r.ticket(),
                r.rule(),
                r.state().name(),
                rule == null ? List.of() : rule.sortedApproverGroups(),
                rule == null ? 0 : rule.approvalsRequired(),
                r.endsAt(),
                r.endReason(),
                command(r),
                session,
                new Notice.Links(
                        focus + "&decision=approve", focus + "&decision=deny", base + "/ui/access?request=" + r.id()));
        try {
            String payload = json.writeValueAsString(new Notice(id, event, due, facts));
            return new NotificationOutbox.Row(
                    id, r.id(), event, channel.name(), payload, onlyWhile == null ? null : onlyWhile.name(), now, due);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a notification: " + e.getOriginalMessage(), e);
        }
    }

    /** How the requester uses the grant, with the portcullis command. */
    static String command(AccessRequest r) {
        return r.kind() == TargetKind.POSTGRES
                ? "portcullis psql " + r.target() + " --role " + r.login()
                : "portcullis ssh " + r.target();
    }
}
