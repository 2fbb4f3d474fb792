package dev.portcullis.bastion.session;

/** A session the bastion can end from outside: when its grant ends, or when its recording fails. */
public interface LiveSession {

    /** An admin ended this one session; the grant and the person's other sessions stay. */
    String TERMINATED = "TERMINATED";

    /**
     * Ends the session now, telling the user why in one line.
     *
     * @param status as in the session index: GRANT_ENDED, RECORDING_FAILED, ...
     */
    void end(String status, String message);
}
