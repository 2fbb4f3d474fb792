package dev.portcullis.recording;

import dev.portcullis.recording.event.SessionEvent;
import dev.portcullis.recording.event.StructuredEvent;
import dev.portcullis.recording.format.ChunkRecords;
import dev.portcullis.recording.format.RecordingLines;
import java.time.Instant;

/**
 * Records what a session did as structured events (exec commands, file transfers and operations,
 * database queries), the {@code events.jsonl} stream of the recording.
 */
public final class EventRecorder {

    private final RecordingWriter writer;

    private final RecordingTap tap;

    EventRecorder(RecordingWriter writer, RecordingTap tap) {
        this.writer = writer;
        this.tap = tap;
    }

    /**
     * @throws IllegalArgumentException for a {@link SessionEvent}: start and end are recorded by
     *                                  {@link Recordings#start} and {@link SessionRecording#close}, exactly once each
     */
    public void record(StructuredEvent event) throws RecordingFailedException {
        if (event instanceof SessionEvent) {
            throw new IllegalArgumentException(
                    "session start and end are recorded by Recordings.start and SessionRecording.close");
        }
        append(event);
    }

    void append(StructuredEvent event) throws RecordingFailedException {
        Instant startedAt = writer.metadata().startedAt();
        writer.append(ChunkRecords.Kind.EVENT, micros -> {
            byte[] line = RecordingLines.eventLine(micros, RecordingLines.at(startedAt, micros), event);
            tap.event(micros, event);
            return line;
        });
    }
}
