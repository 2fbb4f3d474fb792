package dev.portcullis.workflow.policy;

import java.util.Map;
import java.util.Objects;

/**
 * A production system engineers may ask to reach: an SSH host or a PostgreSQL database.
 *
 * @param database the database name for {@link TargetKind#POSTGRES}, null for SSH
 */
public record Target(String name, TargetKind kind, String host, int port, String database, Map<String, String> labels) {

    public Target {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(host, "host");
        labels = Map.copyOf(labels == null ? Map.of() : labels);
    }

    /** True when every label of the selector is present on this target with the same value. */
    public boolean hasLabels(Map<String, String> selector) {
        return selector.entrySet().stream().allMatch(e -> e.getValue().equals(labels.get(e.getKey())));
    }
}
