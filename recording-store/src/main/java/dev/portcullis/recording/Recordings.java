package dev.portcullis.recording;

import dev.portcullis.recording.event.SessionEvent;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where sessions start their recordings: one per bastion, holding the storage, the signing key,
 * the writer settings and the clock.
 */
public final class Recordings {

    private final RecordingStorage storage;
    private final RecordingSigner signer;
    private final WriterOptions options;
    private final RecordingClock clock;
    /** Writers started here, until found stopped; only for {@link #queuedLines()}. */
    private final Set<RecordingWriter> writers = ConcurrentHashMap.newKeySet();

    private volatile RecordingTap.Factory taps = RecordingTap.Factory.NONE;

    public Recordings(RecordingStorage storage, RecordingSigner signer) {
        this(storage, signer, WriterOptions.defaults(), RecordingClock.system());
    }

    public Recordings(RecordingStorage storage, RecordingSigner signer, WriterOptions options, RecordingClock clock) {
        this.storage = Objects.requireNonNull(storage, "storage");
        this.signer = Objects.requireNonNull(signer, "signer");
        this.options = Objects.requireNonNull(options, "options");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** Metadata for a new recording with a fresh id, starting now. */
    public RecordingMetadata.Builder newMetadata() {
        return RecordingMetadata.builder(UUID.randomUUID().toString(), clock.now());
    }

    /**
     * Creates the recording and records the session's start.
     *
     * @param listener told if the recording fails later, so the session can be cut
     * @throws RecordingFailedException if the recording cannot be created: do not start the session
     */
    public SessionRecording start(RecordingMetadata metadata, RecordingFailureListener listener)
            throws RecordingFailedException {
        RecordingWriter writer = RecordingWriter.start(storage, metadata, signer, options, clock, listener);
        writers.add(writer);
        RecordingTap tap;
        try {
            tap = RecordingTap.guarded(taps.open(metadata));
        } catch (RuntimeException e) {
            tap = RecordingTap.NONE; // a tap is an aid (see RecordingTap): its failure never refuses a session
        }
        SessionRecording recording = new SessionRecording(writer, tap);
        recording.events().append(SessionEvent.started());
        return recording;
    }

    /** Taps every recording started from now on (the search index's feed). */
    public void tap(RecordingTap.Factory factory) {
        this.taps = Objects.requireNonNull(factory, "factory");
    }

    /** Lines waiting for the store across every live recording started here: how far the store lags behind. */
    public int queuedLines() {
        writers.removeIf(w -> !w.running());
        return writers.stream().mapToInt(RecordingWriter::queued).sum();
    }

    public RecordingStorage storage() {
        return storage;
    }
}
