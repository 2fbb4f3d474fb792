package dev.portcullis.workflow.policy;

/** One problem found in a policy file, with the 1-based line it was found on (0 when unknown). */
public record PolicyError(int line, String message) {

    @Override
    public String toString() {
        return line > 0 ? "line " + line + ": " + message : message;
    }
}
