package dev.portcullis.workflow.request;

import java.util.Objects;

/**
 * Why something was not done. The kind maps to an HTTP status in one place at the edge;
 * the code is stable for clients, the message is for people, and the field (when not null)
 * names the input that was wrong so a form can show the message next to it.
 */
public record Refusal(Kind kind, String code, String message, String field) {

    public enum Kind {
        /** The input is wrong; asking again unchanged will not help. */
        INVALID,
        /** The actor may not do this. */
        FORBIDDEN,
        /** No such thing, or not visible to the actor. */
        NOT_FOUND,
        /** The thing is not in a state that allows this (already decided, already reviewed, changed concurrently). */
        CONFLICT
    }

    public Refusal {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(code, "code");
        Objects.requireNonNull(message, "message");
    }

    public static Refusal invalid(String code, String field, String message) {
        return new Refusal(Kind.INVALID, code, message, field);
    }

    public static Refusal forbidden(String code, String message) {
        return new Refusal(Kind.FORBIDDEN, code, message, null);
    }

    public static Refusal notFound(String code, String message) {
        return new Refusal(Kind.NOT_FOUND, code, message, null);
    }

    public static Refusal conflict(String code, String message) {
        return new Refusal(Kind.CONFLICT, code, message, null);
    }
}
