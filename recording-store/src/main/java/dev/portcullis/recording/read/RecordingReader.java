package dev.portcullis.recording.read;

import dev.portcullis.recording.ChunkChain;
import dev.portcullis.recording.RecordingManifest;
import dev.portcullis.recording.RecordingMetadata;
import dev.portcullis.recording.RecordingStorage;
import dev.portcullis.recording.RecordingVerifier;
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
import java.util.stream.LongStream;
import java.util.stream.Stream;

/**
 * Reads a recording back from its chunks: the asciicast stream for replay and download, the
 * structured events, seeking by time, and searching the output. {@link #open} reads what is stored
 * without judging it; {@link #openVerified} reads only what a {@link RecordingVerifier} check vouched
 * for, and each chunk's bytes must still hash as they did then, so what is exported is what was verified.
 * Exports parse every line as the event it claims to be before writing it: nothing else leaves the store.
 *
 * <p>Streams load one chunk at a time. An I/O or format error while streaming surfaces as an
 * {@link UncheckedIOException}.
 */
public final class RecordingReader {

    private final RecordingStorage storage;
    private final String id;
    private final RecordingMetadata metadata;
    /** SHA-256 of each chunk that may be read, chunk 1 first; null to read whatever is stored. */
    private final List<String> verifiedChunks;

    private RecordingReader(RecordingStorage storage, String id, RecordingMetadata metadata,
            List<String> verifiedChunks) {
        this.storage = storage;
        this.id = id;
        this.metadata = metadata;
        this.verifiedChunks = verifiedChunks;
    }

    public static RecordingReader open(RecordingStorage storage, String id) throws IOException {
        return new RecordingReader(storage, id, metadata(storage.header(id), id), null);
    }

    /**
     * A reader of exactly what {@code checked} vouched for: the header and the chunks it verified, byte for byte.
     *
     * @throws MalformedRecordingException when the check found the recording TAMPERED, or the header changed since
     */
    public static RecordingReader openVerified(RecordingStorage storage, String id, RecordingVerifier.Checked checked)
            throws IOException {
        if (checked.verification().status() == RecordingVerifier.Status.TAMPERED) {
            throw new MalformedRecordingException("recording " + id + " did not verify: "
                    + checked.verification().problem());
        }
        byte[] header = storage.header(id);
        if (!ChunkChain.sha256(header).equals(checked.headerSha256())) {
            throw new MalformedRecordingException("the header of recording " + id + " changed after it was verified");
        }
        return new RecordingReader(storage, id, metadata(header, id), checked.chunkHashes());
    }

    private static RecordingMetadata metadata(byte[] header, String id) throws MalformedRecordingException {
        RecordingMetadata metadata = RecordingHeader.decode(header);
        if (!metadata.id().equals(id)) {
            throw new MalformedRecordingException("header of " + id + " names recording " + metadata.id());
        }
        return metadata;
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

    /**
     * Terminal events with {@code fromSeconds <= time < toSeconds}. Reads from the start here (this format has no time
     * index); events are stored in time order, so the stream stops at the first event past the range.
     */
    public Stream<TerminalEvent> terminalEventsBetween(double fromSeconds, double toSeconds) throws IOException {
        return terminalEventsFrom(fromSeconds).takeWhile(event -> event.time() < toSeconds);
    }

    /**
     * Writes the bytes of one terminal stream ({@code OUTPUT} or {@code INPUT}) in order. This format stores text, so
     * bytes that were not UTF-8 come back as the replacement character's bytes (see {@link #textFaithful()}).
     */
    public void exportBytes(OutputStream out, TerminalEvent.Type type) throws IOException {
        if (type == TerminalEvent.Type.RESIZE) {
            throw new IllegalArgumentException("a resize is not a byte stream");
        }
        try (Stream<TerminalEvent> events = terminalEvents()) {
            for (TerminalEvent event : (Iterable<TerminalEvent>) events::iterator) {
                if (event.type() == type) {
                    out.write(event.data().getBytes(StandardCharsets.UTF_8));
                }
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /**
     * Whether the terminal streams are all text. This format decoded bytes as UTF-8 when it wrote them, replacing what
     * was not with U+FFFD, so a replacement character is the only trace of such bytes.
     */
    public boolean textFaithful() throws IOException {
        try (Stream<TerminalEvent> events = terminalEvents()) {
            return events.noneMatch(event -> event.type() != TerminalEvent.Type.RESIZE
                    && event.data().indexOf('\uFFFD') >= 0);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** The time of the last event, terminal or structured; 0 for a recording without events. */
    public double duration() throws IOException {
        double last = 0;
        try (Stream<TerminalEvent> terminal = terminalEvents(); Stream<RecordedEvent> structured = events()) {
            for (TerminalEvent event : (Iterable<TerminalEvent>) terminal::iterator) {
                last = Math.max(last, event.time());
            }
            for (RecordedEvent event : (Iterable<RecordedEvent>) structured::iterator) {
                last = Math.max(last, event.time());
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        return last;
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
        writeLines(lines(true).peek(RecordingReader::terminalEvent), out);
    }

    /** Writes the structured events as JSON Lines ({@code events.jsonl}). */
    public void exportEvents(OutputStream out) throws IOException {
        writeLines(lines(false).peek(RecordingReader::recordedEvent), out);
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
        List<Long> indexes = verifiedChunks == null ? storage.chunkIndexes(id)
                : LongStream.rangeClosed(1, verifiedChunks.size()).boxed().toList();
        return indexes.stream()
                .flatMap(index -> payloadLines(index).stream())
                .filter(line -> RecordingLines.isTerminalLine(line) == terminal);
    }

    private List<String> payloadLines(long index) {
        byte[] payload;
        try {
            byte[] chunk = storage.chunk(id, index);
            if (verifiedChunks != null && !ChunkChain.sha256(chunk).equals(verifiedChunks.get((int) (index - 1)))) {
                throw new MalformedRecordingException("chunk " + index + " of recording " + id
                        + " changed after it was verified");
            }
            payload = ChunkChain.payload(chunk);
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
