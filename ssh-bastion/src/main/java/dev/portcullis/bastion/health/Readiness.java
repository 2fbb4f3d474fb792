package dev.portcullis.bastion.health;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Named checks that must all pass before the bastion should get traffic: broker reachable, recording storage
 * writable, signing key loaded, grant stream connected. Each answers UP or DOWN with one line saying why.
 */
public final class Readiness {

    /** @param detail one line for the operator */
    public record Check(String name, boolean up, String detail) {}

    private final Map<String, Supplier<Check>> checks = new LinkedHashMap<>();

    public Readiness add(String name, Supplier<Check> check) {
        checks.put(name, check);
        return this;
    }

    /** Runs every check; one that throws is DOWN with its message, never a stack trace. */
    public List<Check> run() {
        return checks.entrySet().stream()
                .map(e -> {
                    try {
                        return e.getValue().get();
                    } catch (RuntimeException ex) {
                        return new Check(e.getKey(), false, String.valueOf(ex.getMessage()));
                    }
                })
                .toList();
    }

    public static Check up(String name, String detail) {
        return new Check(name, true, detail);
    }

    public static Check down(String name, String detail) {
        return new Check(name, false, detail);
    }
}
