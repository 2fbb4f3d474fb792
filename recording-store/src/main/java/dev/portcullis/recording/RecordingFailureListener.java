package dev.portcullis.recording;

/**
 * Told, once, that a recording failed, so the bastion can cut the session instead of letting it run
 * unrecorded. Called on a thread of its own, never while a recorder lock is held, so it may close the
 * session and its recording directly.
 */
@FunctionalInterface
public interface RecordingFailureListener {

    void recordingFailed(RecordingFailedException failure);

    static RecordingFailureListener none() {
        return failure -> {};
    }
}
