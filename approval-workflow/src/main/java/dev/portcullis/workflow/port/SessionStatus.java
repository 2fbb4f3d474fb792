package dev.portcullis.workflow.port;

import java.util.Arrays;
import java.util.List;

/**
 * Where a recorded session stands, as the bastion reports it and the broker stores and shows it. The names are the
 * strings on the wire and in the database ({@link #name()}), so they never change.
 */
public enum SessionStatus {
    /** Entered in the index and not yet ended. */
    OPEN,
    /** Closed by either side. */
    CLOSED,
    /** Its grant ended (expired, released, revoked), by the bastion's timer or the broker's event. */
    GRANT_ENDED,
    /** The recording could not be stored, so the session was cut. */
    RECORDING_FAILED,
    /** Refused after it was entered in the index (a target whose host key does not match, say). */
    REFUSED,
    /** The bastion could not open or carry it. */
    ERROR,
    /** An admin ended this one session; its grant and the person's other sessions stay. */
    TERMINATED,
    /** Its bastion was lost, so the broker ended it; only the broker says so. */
    ABORTED;

    /** Every status's name, in this order. */
    public static List<String> names() {
        return Arrays.stream(values()).map(Enum::name).toList();
    }

    /** The names a bastion may report a session's end with: not OPEN, and not ABORTED, which is the broker's. */
    public static List<String> endNames() {
        return Arrays.stream(values())
                .filter(s -> s != OPEN && s != ABORTED)
                .map(Enum::name)
                .toList();
    }
}
