package dev.portcullis.cli;

import java.util.Map;

/** A failure told to the user in one line, with the exit code it means. Never shown as a stack trace. */
public class CliException extends RuntimeException {

    private final int exitCode;

    public CliException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }

    /**
     * The broker's RFC 9457 problem details in one line: {@code detail (code, HTTP status)}. A refusal of a new
     * request by the policy (403 or 422) gets its own exit code.
     */
    public static CliException ofProblem(int status, String body, boolean submitting) {
        String line;
        String code = null;
        try {
            Map<String, Object> problem = Json.object(body);
            code = Json.str(problem, "code");
            String detail = Json.str(problem, "detail");
            if (detail == null) {
                detail = Json.str(problem, "title");
            }
            line = (detail == null ? "the broker refused" : detail) + " (" + (code == null ? "" : code + ", ") + "HTTP "
                    + status + ")";
        } catch (IllegalArgumentException e) {
            String text = body == null ? "" : body.strip().replaceAll("\\s+", " ");
            line = "the broker answered HTTP " + status
                    + (text.isEmpty() ? "" : ": " + text.substring(0, Math.min(200, text.length())));
        }
        int exit = status == 401
                ? ExitCodes.SIGN_IN
                : submitting && (status == 403 || status == 422) ? ExitCodes.REFUSED_BY_POLICY : ExitCodes.ERROR;
        return new CliException(exit, line);
    }
}
