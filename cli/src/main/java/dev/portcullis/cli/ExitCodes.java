package dev.portcullis.cli;

/**
 * What {@code portcullis} exits with; scripts branch on these, so they never change meaning. Documented in the
 * module README and in {@code portcullis --help}.
 */
public final class ExitCodes {

    /** Done; for {@code request --wait}: the grant is ACTIVE. */
    public static final int OK = 0;
    /** The broker refused, could not be reached, or something else went wrong (the message says what). */
    public static final int ERROR = 1;
    /** The command line itself is wrong (unknown option, missing argument). */
    public static final int USAGE = 2;
    /** Not signed in, or the sign-in ended: run {@code portcullis login}. */
    public static final int SIGN_IN = 3;
    /** The policy refused the request (not allowed, too long, reason or ticket missing). */
    public static final int REFUSED_BY_POLICY = 4;
    /** An approver denied the request. */
    public static final int DENIED = 5;
    /** Nobody decided before the request's pending time ran out. */
    public static final int TIMED_OUT = 6;
    /** The request was withdrawn (by you, with Ctrl-C or {@code release}, or elsewhere). */
    public static final int CANCELLED = 7;
    /** The grant already ended (expired, released or revoked). */
    public static final int ENDED = 8;
    /** A recording failed verification. */
    public static final int NOT_VERIFIED = 9;

    private ExitCodes() {}

    /** The exit code for a request settled in {@code state}, as the broker names it. */
    public static int forState(String state) {
        return switch (state == null ? "" : state) {
            case "ACTIVE" -> OK;
            case "DENIED" -> DENIED;
            case "TIMED_OUT" -> TIMED_OUT;
            case "CANCELLED" -> CANCELLED;
            case "EXPIRED", "REVOKED" -> ENDED;
            default -> ERROR;
        };
    }

    public static final String HELP = """
            Exit codes:
              0  done (request --wait: the grant is ACTIVE)
              1  error: the broker refused or could not be reached
              2  usage: the command line is wrong
              3  not signed in: run portcullis login
              4  refused by policy
              5  denied by an approver
              6  timed out waiting for approvals
              7  cancelled
              8  the grant already ended (expired, released or revoked)
              9  a recording failed verification""";
}
