package dev.portcullis.workflow.policy;

/** One thing a requester may ask for: a login (or database role) on a target, under the rule that allows it. */
public record RequestOption(Target target, String login, AccessRule rule) {}
