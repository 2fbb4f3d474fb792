package dev.portcullis.recording.format;

import java.io.IOException;

/** Bytes that should be part of a recording do not parse as one (damaged or forged). */
public class MalformedRecordingException extends IOException {

    public MalformedRecordingException(String message) {
        super(message);
    }

    public MalformedRecordingException(String message, Throwable cause) {
        super(message, cause);
    }
}
