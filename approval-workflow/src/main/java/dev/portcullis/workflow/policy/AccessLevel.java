package dev.portcullis.workflow.policy;

/** What a grant lets its holder do once connected. READ is enforced by the database proxy. */
public enum AccessLevel {
    READ,
    WRITE
}
