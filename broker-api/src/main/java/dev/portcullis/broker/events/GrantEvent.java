package dev.portcullis.broker.events;

import java.time.Instant;
import java.util.UUID;

/**
 * What bastions are told: a grant started (so they may arm a local timer for its end) or ended (so they
 * close its sessions now). {@code id} orders events and lets a bastion resume after a reconnect.
 */
public record GrantEvent(long id, String kind, UUID requestId, String requester, String target, String login, String state,
                         Instant endsAt, String reason, Instant at) {

    public static final String STARTED = "started";
    public static final String ENDED = "ended";
}
