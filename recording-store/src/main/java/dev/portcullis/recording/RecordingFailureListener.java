package dev.portcullis.recording;

/**
 * Told, once, that a recording failed, so the bastion can cut the session instead of letting it run
 * unrecorded. Called from the writer thread or from the thread whose record call found the failure;
 * implementations must not block for long.
 */
@FunctionalInterface
public interface RecordingFailureListener {

    void recordingFailed(RecordingFailedException failure);

    static RecordingFailureListener none() {
        return failure -> { };
    }
}
