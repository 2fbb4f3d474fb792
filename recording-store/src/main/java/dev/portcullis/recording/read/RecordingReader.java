package dev.portcullis.recording.read;

import dev.portcullis.recording.ChunkChain;
import dev.portcullis.recording.RecordingManifest;
import dev.portcullis.recording.RecordingMetadata;
import dev.portcullis.recording.RecordingStorage;
import dev.portcullis.recording.event.RecordedEvent;
import dev.portcullis.recording.event.TerminalEvent;
import dev.portcullis.recording.format.MalformedRecordingException;
import dev.portcullis.recording.format.RecordingHeader;
import dev.portcullis.recording.format.RecordingLines;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Reads a recording back from its chunks: the asciicast stream for replay and download, the
 * structured events, seeking by time, and searching the output. It reads what is stored without
 * judging it; call {@link dev.portcullis.recording.RecordingVerifier} first when it matters
 * whether the recording is authentic and complete.
 *
 * <p>Streams load one chunk at a time. An I/O or format error while streaming surfaces as an
 * {@link UncheckedIOException}.
 */
public final class RecordingReader {

    private final RecordingStorage storage;
    private final String id;
    private final RecordingMetadata metadata;

    private RecordingReader(RecordingStorage storage, String id, RecordingMetadata metadata) {
        this.storage = storage;
        this.id = id;
        this.metadata = metadata;
    }

    public static RecordingReader open(RecordingStorage storage, String id) throws IOException {
        RecordingMetadata metadata = RecordingHeader.decode(storage.header(id));
        if (!metadata.id().equals(id)) {
            throw new MalformedRecordingException("header of " + id + " names recording " + metadata.id());
        }
        return new RecordingReader(storage, id, metadata);
    }

    public RecordingMetadata metadata() {
        return metadata;
    }

    /** The manifest as stored, or empty for a recording that was never closed. Not verified. */
    public Optional<RecordingManifest> manifest() throws IOException {
        Optional<RecordingStorage.SignedManifest> signed = storage.manifest(id);
        return signed.isEmpty() ? Optional.empty() : Optional.of(RecordingManifest.parse(signed.get().manifest()));
    }

    public Stream<TerminalEvent> terminalEvents() throws IOException {
        return terminalEventsFrom(0);
    }

    /** Terminal events at or after {@code seconds}. */
    public Stream<TerminalEvent> terminalEventsFrom(double seconds) throws IOException {
        return lines(true).map(RecordingReader::terminalEvent).filter(event -> event.time() >= seconds);
    }

    public Stream<RecordedEvent> events() throws IOException {
        return eventsFrom(0);
    }

    /** Structured events at or after {@code seconds}. */
    public Stream<RecordedEvent> eventsFrom(double seconds) throws IOException {
        return lines(false).map(RecordingReader::recordedEvent).filter(event -> event.time() >= seconds);
    }

    /** Writes the recording as an asciicast v2 file: header line, then every terminal event line. */
    public void exportCast(OutputStream out) throws IOException {
        out.write(RecordingLines.castHeader(metadata));
        out.write('\n');
        writeLines(lines(true), out);
    }

    /** Writes the structured events as JSON Lines ({@code events.jsonl}). */
    public void exportEvents(OutputStream out) throws IOException {
        writeLines(lines(false), out);
    }

    /** Finds terminal output matching {@code pattern}, across event and chunk boundaries. */
    public List<SearchHit> searchOutput(Pattern pattern) throws IOException {
        try (Stream<TerminalEvent> events = terminalEvents()) {
            return OutputSearch.search(events.iterator(), pattern);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** Finds terminal output containing {@code text} literally. */
    public List<SearchHit> searchOutput(String text) throws IOException {
        return searchOutput(Pattern.compile(Pattern.quote(text)));
    }

    /** The lines of one stream, chunk after chunk; each chunk is read when the stream reaches it. */
    private Stream<String> lines(boolean terminal) throws IOException {
        return storage.chunkIndexes(id).stream()
                .flatMap(index -> payloadLines(index).stream())
                .filter(line -> RecordingLines.isTerminalLine(line) == terminal);
    }

    private List<String> payloadLines(long index) {
        byte[] payload;
        try {
            payload = ChunkChain.payload(storage.chunk(id, index));
        } catch (IOException e) {
            throw new UncheckedIOException("chunk " + index + " of recording " + id + ": " + e.getMessage(), e);
        }
        List<String> lines = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < payload.length; i++) {
            if (payload[i] == '\n') {
                lines.add(new String(payload, start, i - start, StandardCharsets.UTF_8));
                start = i + 1;
            }
        }
        if (start < payload.length) {
            throw new UncheckedIOException(new MalformedRecordingException("chunk " + index + " of recording " + id + " ends in a cut-off line"));
        }
        return lines;
    }

    private static void writeLines(Stream<String> lines, OutputStream out) throws IOException {
        try (lines) {
            for (String line : (Iterable<String>) lines::iterator) {
                out.write(line.getBytes(StandardCharsets.UTF_8));
                out.write('\n');
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private static TerminalEvent terminalEvent(String line) {
        try {
            return RecordingLines.terminalEvent(line);
        } catch (MalformedRecordingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static RecordedEvent recordedEvent(String line) {
        try {
            return RecordingLines.recordedEvent(line);
        } catch (MalformedRecordingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
