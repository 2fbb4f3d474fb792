package dev.portcullis.recording;

import java.io.IOException;

/**
 * The recording can no longer be persisted, so the session it records must end. It is an
 * {@link IOException} on purpose: in the bastion it travels the same path as a broken channel and
 * closes the session, instead of being caught and ignored as a programming error.
 */
public class RecordingFailedException extends IOException {

    private final String recording;

    public RecordingFailedException(String recording, String message, Throwable cause) {
        super("recording " + recording + ": " + message, cause);
        this.recording = recording;
    }

    public String recording() {
        return recording;
    }
}
