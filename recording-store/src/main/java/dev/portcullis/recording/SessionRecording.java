package dev.portcullis.recording;

import dev.portcullis.recording.event.SessionEvent;

/**
 * The recording of one session: its terminal stream, its structured events, and its end. Close it
 * exactly when the session ends; until then its chunks are stored but unsigned, and it verifies as
 * incomplete.
 */
public final class SessionRecording {

    private final RecordingWriter writer;
    private final TerminalRecorder terminal;
    private final EventRecorder events;
    private boolean closing;

    SessionRecording(RecordingWriter writer, RecordingTap tap) {
        this.writer = writer;
        this.terminal = new TerminalRecorder(writer, writer.metadata().inputRecorded(), tap);
        this.events = new EventRecorder(writer, tap);
    }

    public String id() {
        return writer.id();
    }

    public RecordingMetadata metadata() {
        return writer.metadata();
    }

    public TerminalRecorder terminal() {
        return terminal;
    }

    public EventRecorder events() {
        return events;
    }

    /** Returns once everything recorded so far is in storage (see {@link RecordingWriter#sync()}). */
    public void sync() throws RecordingFailedException {
        writer.sync();
    }

    public boolean isFailed() {
        return writer.isFailed();
    }

    public RecordingManifest close() throws RecordingFailedException {
        return close("closed", null);
    }

    /**
     * Ends the recording: records the end event with
     * the raw byte counts, persists the rest and signs the manifest. Calling it again returns the
     * same manifest.
     *
     * @param reason     why the session ended (client disconnected, grant revoked, ...)
     * @param exitStatus the remote command's exit status, when there was one
     */
    public synchronized RecordingManifest close(String reason, Integer exitStatus) throws RecordingFailedException {
        if (!closing) {
            closing = true;
            events.append(SessionEvent.ended(reason, exitStatus, terminal.outputBytes(), terminal.inputBytes()));
        }
        return writer.close();
    }
}
