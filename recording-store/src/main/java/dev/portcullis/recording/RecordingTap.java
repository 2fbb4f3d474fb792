package dev.portcullis.recording;

import dev.portcullis.recording.event.StructuredEvent;
import dev.portcullis.recording.event.TerminalEvent;

/**
 * Sees what a recording records, as it is recorded, with the time the recording gives it: how the search index is fed
 * while a session runs instead of after it closes. A tap runs on the session's I/O thread under the writer's lock, so
 * records arrive in recording order; it must only hand the data on (never block, never parse there). What it throws is
 * caught and dropped: the recording is the evidence, a tap is an aid, and it must never stop a session.
 */
public interface RecordingTap {

    RecordingTap NONE = new RecordingTap() {
        @Override
        public void bytes(TerminalEvent.Type stream, long micros, byte[] data) {}

        @Override
        public void event(long micros, StructuredEvent event) {}
    };

    /**
     * Terminal bytes of one stream (OUTPUT, ERROR, or INPUT when the recording records input: input that is not
     * recorded is not tapped either).
     *
     * @param data the recording's own copy; the tap must not change it
     */
    void bytes(TerminalEvent.Type stream, long micros, byte[] data);

    /** A structured event, including the session's start and end. */
    void event(long micros, StructuredEvent event);

    /** Makes the tap of each recording as it starts. */
    interface Factory {
        Factory NONE = metadata -> RecordingTap.NONE;

        RecordingTap open(RecordingMetadata metadata);
    }

    /** The tap, made unable to throw into the recording. */
    static RecordingTap guarded(RecordingTap tap) {
        if (tap == null || tap == NONE) {
            return NONE;
        }
        return new RecordingTap() {
            @Override
            public void bytes(TerminalEvent.Type stream, long micros, byte[] data) {
                try {
                    tap.bytes(stream, micros, data);
                } catch (RuntimeException e) {
                    // dropped: see the class comment
                }
            }

            @Override
            public void event(long micros, StructuredEvent event) {
                try {
                    tap.event(micros, event);
                } catch (RuntimeException e) {
                    // dropped: see the class comment
                }
            }
        };
    }
}
