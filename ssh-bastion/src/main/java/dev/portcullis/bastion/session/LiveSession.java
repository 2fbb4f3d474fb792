package dev.portcullis.bastion.session;

import dev.portcullis.workflow.port.SessionStatus;

/** A session the bastion can end from outside: when its grant ends, or when its recording fails. */
public interface LiveSession {

    /**
     * Ends the session now, telling the user why in one line.
     *
     * @param status as in the session index: GRANT_ENDED, RECORDING_FAILED, TERMINATED (this one session), ...
     */
    void end(SessionStatus status, String message);
}
