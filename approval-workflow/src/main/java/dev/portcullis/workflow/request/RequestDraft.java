package dev.portcullis.workflow.request;

import java.time.Duration;

/** What a requester asks for, before the policy has looked at it. Any field may be missing or wrong. */
public record RequestDraft(String target, String login, Duration duration, String reason, String ticket) {}
