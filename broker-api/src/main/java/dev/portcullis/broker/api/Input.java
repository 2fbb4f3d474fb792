package dev.portcullis.broker.api;

import dev.portcullis.workflow.request.Refusal;

/** Checks on request bodies that every resource needs, each failing as a 422 naming the field. */
final class Input {

    private Input() {}

    static String required(String value, String field) {
        if (value == null || value.isBlank()) {
            throw new RefusedException(Refusal.invalid("field_required", field, field + " is required"));
        }
        return value.strip();
    }

    static <T> T required(T value, String field) {
        if (value == null) {
            throw new RefusedException(Refusal.invalid("field_required", field, field + " is required"));
        }
        return value;
    }

    static String optional(String value, String field, int maxLength) {
        if (value == null || value.isBlank()) {
            return null;
        }
        return limited(value.strip(), field, maxLength);
    }

    static String limited(String value, String field, int maxLength) {
        if (value.length() > maxLength) {
            throw new RefusedException(
                    Refusal.invalid("field_too_long", field, field + " must be at most " + maxLength + " characters"));
        }
        return value;
    }
}
