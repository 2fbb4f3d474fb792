package dev.portcullis.broker.api;

import dev.portcullis.broker.persistence.IndexedSession;
import dev.portcullis.broker.recordings.RecordingArchive;
import dev.portcullis.broker.recordings.ReplayAudit;
import dev.portcullis.broker.recordings.ReplayRanges;
import dev.portcullis.recording.event.TerminalEvent;
import dev.portcullis.recording.format.MalformedRecordingException;
import dev.portcullis.workflow.port.AuditEvent;
import dev.portcullis.workflow.port.AuditSink;
import dev.portcullis.workflow.request.Refusal;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.NoSuchFileException;
import java.time.Clock;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * The reads of a verified recording that the API and the web UI both offer, each after its own visibility check: the
 * exact bytes of a terminal stream, and replay by time range. A read that finds a chunk changed since its recording
 * verified forgets the cached verdict and is refused as tampered, so the next look verifies again from every byte.
 */
@ApplicationScoped
public class RecordingReads {

    public static final String BYTES = MediaType.APPLICATION_OCTET_STREAM;

    @Inject
    RecordingArchive recordings;

    @Inject
    ReplayAudit replays;

    @Inject
    AuditSink audit;

    @Inject
    Clock clock;

    /** The stream a {@code stream} parameter names: output (the default) or input. */
    public static TerminalEvent.Type stream(String stream, Function<Refusal, RuntimeException> refuse) {
        String name =
                stream == null || stream.isBlank() ? "output" : stream.strip().toLowerCase(Locale.ROOT);
        return switch (name) {
            case "output" -> TerminalEvent.Type.OUTPUT;
            case "input" -> TerminalEvent.Type.INPUT;
            default -> throw refuse.apply(Refusal.invalid("bad_stream", "stream", "stream must be output or input"));
        };
    }

    /** The exact bytes of one terminal stream, as a download; audited as an export. */
    public Response bytes(
            IndexedSession session,
            RecordingArchive.VerifiedRecording recording,
            TerminalEvent.Type type,
            String viewer,
            Function<Refusal, RuntimeException> refuse) {
        if (type == TerminalEvent.Type.INPUT && !recording.reader().metadata().inputRecorded()) {
            throw refuse.apply(Refusal.notFound(
                    "no_input",
                    "the input of session " + session.id()
                            + " was not recorded (its rule does not record keystrokes)"));
        }
        String name = type.name().toLowerCase(Locale.ROOT);
        audit.append(new AuditEvent(
                clock.instant(),
                viewer,
                "recording.exported",
                "session",
                session.id().toString(),
                Map.of(
                        "recording",
                        session.recordingId(),
                        "format",
                        name + ".bin",
                        "user",
                        session.username(),
                        "target",
                        session.target())));
        StreamingOutput body = (OutputStream out) -> {
            try {
                recording.reader().exportBytes(out, type);
            } catch (IOException e) {
                recordings.forget(session);
                throw e;
            }
        };
        return SessionResource.marked(Response.ok(body, BYTES), recording)
                .header("Content-Disposition", "attachment; filename=\"session-" + session.id() + "." + name + ".bin\"")
                .build();
    }

    /** The replay index: the recording's duration and its time ranges, each with the URL that reads it. */
    public Response index(
            IndexedSession session,
            RecordingArchive.VerifiedRecording recording,
            String rangeUrl,
            String viewer,
            String via,
            Function<Refusal, RuntimeException> refuse)
            throws IOException {
        byte[] index;
        try {
            index = ReplayRanges.index(
                    rangeUrl,
                    recording.reader().metadata(),
                    recording.facts(),
                    recording.verification().status().name());
        } catch (MalformedRecordingException | NoSuchFileException e) {
            throw changed(session, viewer, e, refuse);
        }
        replays.rangeRead(viewer, session, via);
        return SessionResource.marked(Response.ok(index, MediaType.APPLICATION_JSON), recording)
                .build();
    }

    /** The events of {@code [from, to)} and the screen at {@code from}. */
    public Response range(
            IndexedSession session,
            RecordingArchive.VerifiedRecording recording,
            String from,
            String to,
            boolean last,
            String viewer,
            String via,
            Function<Refusal, RuntimeException> refuse)
            throws IOException {
        return range(session, recording, from, to, last, false, viewer, via, refuse);
    }

    /** The same range, as JSON for the player or ({@code cast}) as a stand-alone asciicast v2 file. */
    public Response range(
            IndexedSession session,
            RecordingArchive.VerifiedRecording recording,
            String from,
            String to,
            boolean last,
            boolean cast,
            String viewer,
            String via,
            Function<Refusal, RuntimeException> refuse)
            throws IOException {
        double start = seconds(from, "from", refuse);
        double end = seconds(to, "to", refuse);
        if (end <= start && !(last && end == start)) {
            throw refuse.apply(Refusal.invalid("bad_range", "to", "to must be after from"));
        }
        if (end - start > ReplayRanges.MAX_RANGE_SECONDS) {
            throw refuse.apply(Refusal.invalid(
                    "bad_range", "to", "a range is at most " + (long) ReplayRanges.MAX_RANGE_SECONDS + " s long"));
        }
        byte[] range;
        try {
            range = cast
                    ? ReplayRanges.rangeCast(recording.reader(), start, end, last)
                    : ReplayRanges.range(recording.reader(), start, end, last);
        } catch (MalformedRecordingException | NoSuchFileException e) {
            throw changed(session, viewer, e, refuse);
        } catch (IOException e) {
            recordings.forget(session);
            throw e;
        }
        replays.rangeRead(viewer, session, via);
        return SessionResource.marked(
                        Response.ok(range, cast ? SessionResource.ASCIICAST : MediaType.APPLICATION_JSON), recording)
                .build();
    }

    private static double seconds(String value, String field, Function<Refusal, RuntimeException> refuse) {
        double seconds;
        try {
            seconds = value == null ? Double.NaN : Double.parseDouble(value.strip());
        } catch (NumberFormatException e) {
            seconds = Double.NaN;
        }
        if (!Double.isFinite(seconds) || seconds < 0) {
            throw refuse.apply(Refusal.invalid(
                    "bad_range",
                    field,
                    field + " must be a number of seconds from the start of the recording, 0 or more"));
        }
        return seconds;
    }

    /** A chunk no longer hashes as it did when the recording verified: refused, audited, verdict forgotten. */
    private RuntimeException changed(
            IndexedSession session, String viewer, IOException e, Function<Refusal, RuntimeException> refuse) {
        recordings.forget(session);
        audit.append(new AuditEvent(
                clock.instant(),
                viewer,
                "recording.export.refused",
                "session",
                session.id().toString(),
                Map.of(
                        "recording",
                        session.recordingId(),
                        "format",
                        "range",
                        "problem",
                        String.valueOf(e.getMessage()))));
        return refuse.apply(Refusal.conflict(
                "recording_tampered",
                "the recording of session " + session.id() + " changed since it verified, so it is not shown: "
                        + e.getMessage()));
    }
}
