package dev.portcullis.workflow.policy;

import java.util.List;
import java.util.stream.Collectors;

/** A policy that cannot be loaded. Lists every problem found, so an operator fixes them in one go. */
public final class PolicyException extends Exception {

    private final String source;
    private final List<PolicyError> errors;

    public PolicyException(String source, List<PolicyError> errors) {
        super(render(source, errors));
        this.source = source;
        this.errors = List.copyOf(errors);
    }

    public String source() {
        return source;
    }

    public List<PolicyError> errors() {
        return errors;
    }

    private static String render(String source, List<PolicyError> errors) {
        return "policy " + source + " is invalid (" + errors.size() + (errors.size() == 1 ? " error" : " errors")
                + "):\n" + errors.stream().map(e -> "  " + source + ":" + e).collect(Collectors.joining("\n"));
    }
}
