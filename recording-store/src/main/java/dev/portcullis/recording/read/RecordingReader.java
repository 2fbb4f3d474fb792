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
import java.security.PublicKey;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.LongStream;
import java.util.stream.Stream;

/**
 * Reads a recording back from its chunks: the asciicast stream for replay and download, the exact byte streams,
 * the structured events, seeking by time, and searching the output. {@link #open} reads what is stored without
 * judging it; the {@code openVerified} methods read only chunks whose bytes hash as a verification or a signed
 * manifest says, checked as each chunk is read, so what is exported is what was verified. Exports parse every
 * record as the event it claims to be before writing it: nothing else leaves the store.
 *
 * <p>Format 3 recordings hold the exact bytes (see {@link FramedChunks}); formats 1 and 2 hold asciicast text
 * ({@link LineChunks}). Streams load one chunk at a time. An I/O or format error while streaming surfaces as an
 * {@link UncheckedIOException}.
 */
public final class RecordingReader {

    private final String id;
    private final RecordingMetadata metadata;
    private final RecordingStorage storage;
    private final Chunks chunks;
    private Boolean textFaithful;

    /** How one format's chunks turn into events and bytes. */
    interface Chunks {
        Stream<TerminalEvent> terminalEvents(double fromSeconds) throws IOException;

        Stream<RecordedEvent> events(double fromSeconds) throws IOException;

        void exportCast(byte[] castHeader, OutputStream out) throws IOException;

        /** Writes each structured event's stored JSON line, after parsing it as the event it claims to be. */
        void exportEvents(OutputStream out) throws IOException;

        void exportBytes(OutputStream out, TerminalEvent.Type type) throws IOException;

        boolean textFaithful() throws IOException;

        double duration() throws IOException;
    }

    private RecordingReader(RecordingStorage storage, String id, RecordingMetadata metadata, Chunks chunks) {
        this.storage = storage;
        this.id = id;
        this.metadata = metadata;
        this.chunks = chunks;
    }

    public static RecordingReader open(RecordingStorage storage, String id) throws IOException {
        return reader(storage, id, storage.header(id), null, null);
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
        return reader(storage, id, header, checked.chunkHashes(), null);
    }

    /**
     * A reader for ranged reads of a recording signed with {@code trusted}, without reading it whole first. A closed
     * recording's manifest is checked once (signature, recording, header, {@code expected.attributes}, chunk count),
     * then each chunk is checked against the hash the manifest signed when it is read: a mismatch is an error,
     * never served. A recording without a manifest is checked whole ({@link RecordingVerifier#check}) as before.
     * Only a full check gives the VALID / INCOMPLETE / TAMPERED verdict.
     *
     * @throws MalformedRecordingException when the manifest or the check does not hold
     */
    public static RecordingReader openVerified(
            RecordingStorage storage, String id, PublicKey trusted, RecordingVerifier.Expected expected)
            throws IOException {
        Optional<RecordingVerifier.SignedChunks> signed =
                RecordingVerifier.signedChunks(storage, id, trusted, expected);
        if (signed.isEmpty()) {
            return openVerified(storage, id, RecordingVerifier.check(storage, id, trusted, expected));
        }
        byte[] header = storage.header(id);
        if (!ChunkChain.sha256(header).equals(signed.get().headerSha256())) {
            throw new MalformedRecordingException("the header of recording " + id + " changed after it was checked");
        }
        RecordingManifest manifest = signed.get().manifest();
        return reader(
                storage,
                id,
                header,
                manifest.chunks().stream().map(RecordingManifest.Chunk::sha256).toList(),
                manifest.chunks());
    }

    private static RecordingReader reader(
            RecordingStorage storage,
            String id,
            byte[] header,
            List<String> hashes,
            List<RecordingManifest.Chunk> spans)
            throws IOException {
        RecordingMetadata metadata = RecordingHeader.decode(header);
        if (!metadata.id().equals(id)) {
            throw new MalformedRecordingException("header of " + id + " names recording " + metadata.id());
        }
        ChunkSource source = new ChunkSource(storage, id, hashes);
        Chunks chunks =
                RecordingHeader.framesRecords(header) ? new FramedChunks(source, spans) : new LineChunks(source);
        return new RecordingReader(storage, id, metadata, chunks);
    }

    public RecordingMetadata metadata() {
        return metadata;
    }

    /** The manifest as stored, or empty for a recording that was never closed. Not verified. */
    public Optional<RecordingManifest> manifest() throws IOException {
        Optional<RecordingStorage.SignedManifest> signed = storage.manifest(id);
        return signed.isEmpty()
                ? Optional.empty()
                : Optional.of(RecordingManifest.parse(signed.get().manifest()));
    }

    /**
     * Terminal events from the start: output (an exec channel's stdout and stderr, each decoded as UTF-8 on its own,
     * as the user's terminal showed them), input when recorded, and resizes.
     */
    public Stream<TerminalEvent> terminalEvents() throws IOException {
        return terminalEventsFrom(0);
    }

    /**
     * Terminal events at or after {@code seconds}. A format-3 recording finds the chunk to start from by its time
     * span (from the manifest, or by a binary search over chunk headers), so a seek reads a few chunks, not all.
     */
    public Stream<TerminalEvent> terminalEventsFrom(double seconds) throws IOException {
        return chunks.terminalEvents(seconds).filter(event -> event.time() >= seconds);
    }

    /** Terminal events with {@code fromSeconds <= time < toSeconds}; no chunk after the range is read. */
    public Stream<TerminalEvent> terminalEventsBetween(double fromSeconds, double toSeconds) throws IOException {
        return terminalEventsFrom(fromSeconds).takeWhile(event -> event.time() < toSeconds);
    }

    public Stream<RecordedEvent> events() throws IOException {
        return eventsFrom(0);
    }

    /** Structured events at or after {@code seconds}. */
    public Stream<RecordedEvent> eventsFrom(double seconds) throws IOException {
        return chunks.events(seconds).filter(event -> event.time() >= seconds);
    }

    /**
     * Writes the recording as an asciicast v2 file: header line, then every terminal event line. Where the stored
     * bytes are not valid UTF-8 (binary output), the header says so and a marker event stands where it starts;
     * {@link #exportBytes} gives the exact bytes.
     */
    public void exportCast(OutputStream out) throws IOException {
        chunks.exportCast(RecordingLines.castHeader(metadata, !textFaithful()), out);
    }

    /** Writes the structured events as JSON Lines ({@code events.jsonl}). */
    public void exportEvents(OutputStream out) throws IOException {
        chunks.exportEvents(out);
    }

    /**
     * Writes one stream's bytes in order: {@link TerminalEvent.Type#OUTPUT} (terminal output, an exec channel's
     * stdout), {@link TerminalEvent.Type#ERROR} (an exec channel's stderr) or {@link TerminalEvent.Type#INPUT}.
     * Exactly the bytes that crossed the channel for format 3; for formats 1 and 2, which stored decoded text (stderr
     * within the output), the stored text as UTF-8.
     */
    public void exportBytes(OutputStream out, TerminalEvent.Type type) throws IOException {
        if (type == TerminalEvent.Type.RESIZE) {
            throw new IllegalArgumentException("resizes are not a byte stream");
        }
        chunks.exportBytes(out, type);
    }

    /**
     * Whether the asciicast text shows every stored terminal byte as it is: false when some output, stderr or input
     * is not valid UTF-8, so the text had to replace it with U+FFFD. Always true for formats 1 and 2, which stored
     * the text. Reads the recording once (to the first invalid byte), then remembers.
     */
    public boolean textFaithful() throws IOException {
        if (textFaithful == null) {
            textFaithful = chunks.textFaithful();
        }
        return textFaithful;
    }

    /** Seconds from the start to the last event of any kind; 0 when there is none. */
    public double duration() throws IOException {
        return chunks.duration();
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

    /**
     * The stored chunks of one recording, each checked, when the reader was opened verified, against the hash it
     * had then.
     */
    static final class ChunkSource {
        private final RecordingStorage storage;
        private final String id;
        /** SHA-256 of each chunk that may be read, chunk 1 first; null to read whatever is stored. */
        private final List<String> verified;

        private List<Long> indexes;

        ChunkSource(RecordingStorage storage, String id, List<String> verified) {
            this.storage = storage;
            this.id = id;
            this.verified = verified;
        }

        String id() {
            return id;
        }

        /** The chunk indexes to read, in order. */
        List<Long> indexes() throws IOException {
            if (indexes == null) {
                indexes = verified == null
                        ? storage.chunkIndexes(id)
                        : LongStream.rangeClosed(1, verified.size()).boxed().toList();
            }
            return indexes;
        }

        byte[] chunk(long index) throws IOException {
            byte[] chunk = storage.chunk(id, index);
            if (verified != null && !ChunkChain.sha256(chunk).equals(verified.get((int) (index - 1)))) {
                throw new MalformedRecordingException(
                        "chunk " + index + " of recording " + id + " changed after it was verified");
            }
            return chunk;
        }

        UncheckedIOException unchecked(long index, IOException e) {
            return new UncheckedIOException("chunk " + index + " of recording " + id + ": " + e.getMessage(), e);
        }
    }

    /** Writes lines to {@code out}, each followed by a newline. */
    static void writeLines(Stream<byte[]> lines, OutputStream out) throws IOException {
        try (lines) {
            for (byte[] line : (Iterable<byte[]>) lines::iterator) {
                out.write(line);
                out.write('\n');
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
