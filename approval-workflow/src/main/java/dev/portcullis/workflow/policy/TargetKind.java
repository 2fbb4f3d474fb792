package dev.portcullis.workflow.policy;

import java.util.Locale;
import java.util.Optional;

/** The protocols the bastion can enforce. */
public enum TargetKind {
    SSH,
    POSTGRES;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<TargetKind> parse(String value) {
        for (TargetKind kind : values()) {
            if (kind.wireName().equals(value)) {
                return Optional.of(kind);
            }
        }
        return Optional.empty();
    }
}
