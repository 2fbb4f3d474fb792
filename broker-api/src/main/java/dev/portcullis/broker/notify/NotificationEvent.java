package dev.portcullis.broker.notify;

import java.util.Set;

/** What a message is about, by its name in webhooks (Standard Webhooks' {@code type}). */
public enum NotificationEvent {
    REQUEST_CREATED("request.created", Audience.APPROVERS),
    /** Not a webhook event: approvers are reminded of a request still waiting for them. */
    REQUEST_REMINDER("request.reminder", Audience.APPROVERS),
    REQUEST_APPROVED("request.approved", Audience.REQUESTER),
    REQUEST_DENIED("request.denied", Audience.REQUESTER),
    REQUEST_TIMED_OUT("request.timed_out", Audience.REQUESTER),
    GRANT_STARTED("grant.started", Audience.REQUESTER),
    GRANT_ENDING_SOON("grant.ending_soon", Audience.REQUESTER),
    GRANT_ENDED("grant.ended", Audience.REQUESTER),
    SESSION_STARTED("session.started", Audience.NOBODY),
    SESSION_ENDED("session.ended", Audience.NOBODY);

    /** Who reads a mail about it: the rule's approvers, the requester, or nobody by mail (webhooks only). */
    public enum Audience {
        APPROVERS,
        REQUESTER,
        NOBODY
    }

    /** What generic webhooks carry (the reminder is for people only). */
    static final Set<NotificationEvent> WEBHOOK = Set.of(
            REQUEST_CREATED,
            REQUEST_APPROVED,
            REQUEST_DENIED,
            REQUEST_TIMED_OUT,
            GRANT_STARTED,
            GRANT_ENDING_SOON,
            GRANT_ENDED,
            SESSION_STARTED,
            SESSION_ENDED);
    /** What a team's chat channel is told: what the approvers there must act on, and how it ended. */
    static final Set<NotificationEvent> CHAT =
            Set.of(REQUEST_CREATED, REQUEST_REMINDER, REQUEST_APPROVED, REQUEST_DENIED, REQUEST_TIMED_OUT);

    private final String wireName;
    private final Audience audience;

    NotificationEvent(String wireName, Audience audience) {
        this.wireName = wireName;
        this.audience = audience;
    }

    public String wireName() {
        return wireName;
    }

    public Audience audience() {
        return audience;
    }

    public static NotificationEvent ofWireName(String name) {
        for (NotificationEvent e : values()) {
            if (e.wireName.equals(name)) {
                return e;
            }
        }
        throw new IllegalArgumentException("unknown notification event " + name);
    }
}
