package dev.portcullis.broker.events;

import java.time.Instant;
import java.util.UUID;

/**
 * What bastions are told: a grant started (so they may arm a local timer for its end) or ended (so they
 * close its sessions now), or an instruction about one session of a grant: someone watches it (stream it), an admin
 * ends it. {@code id} orders events and lets a bastion resume after a reconnect.
 *
 * @param sessionId the session a {@link #WATCH} or {@link #END_SESSION} is about; null for grant events
 * @param reason    why a grant or session ended; for {@link #WATCH}, who watches
 */
public record GrantEvent(
        long id,
        String kind,
        UUID requestId,
        String requester,
        String target,
        String login,
        String state,
        Instant endsAt,
        String reason,
        Instant at,
        UUID sessionId) {

    public static final String STARTED = "started";
    public static final String ENDED = "ended";
    public static final String WATCH = "watch";
    public static final String END_SESSION = "end-session";

    public GrantEvent(
            long id,
            String kind,
            UUID requestId,
            String requester,
            String target,
            String login,
            String state,
            Instant endsAt,
            String reason,
            Instant at) {
        this(id, kind, requestId, requester, target, login, state, endsAt, reason, at, null);
    }
}
