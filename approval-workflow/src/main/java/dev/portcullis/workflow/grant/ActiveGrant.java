package dev.portcullis.workflow.grant;

import dev.portcullis.workflow.policy.AccessLevel;
import dev.portcullis.workflow.policy.SessionOptions;
import dev.portcullis.workflow.policy.Target;
import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * What a bastion needs to know about a live grant to open and police a session: where to connect,
 * as whom, what the session may do, and the instant it must end whatever else happens.
 */
public record ActiveGrant(
        UUID requestId,
        String holder,
        Target target,
        String login,
        AccessLevel access,
        Instant endsAt,
        SessionOptions session) {

    public ActiveGrant {
        Objects.requireNonNull(requestId, "requestId");
        Objects.requireNonNull(holder, "holder");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(login, "login");
        Objects.requireNonNull(access, "access");
        Objects.requireNonNull(endsAt, "endsAt");
        session = session == null ? SessionOptions.DEFAULT : session;
    }
}
