package dev.portcullis.recording.read;

import dev.portcullis.recording.ChunkChain;
import dev.portcullis.recording.RecordingManifest;
import dev.portcullis.recording.Utf8StreamDecoder;
import dev.portcullis.recording.event.RecordedEvent;
import dev.portcullis.recording.event.TerminalEvent;
import dev.portcullis.recording.format.ChunkCodec;
import dev.portcullis.recording.format.ChunkRecords;
import dev.portcullis.recording.format.MalformedRecordingException;
import dev.portcullis.recording.format.RecordingJson;
import dev.portcullis.recording.format.RecordingLines;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * Chunks of format 3: framed records of exact bytes ({@link ChunkRecords}), stored compressed or as they are, each
 * chunk naming its time span. Text for replay and {@code .cast} is decoded here, one UTF-8 decoder per stream from
 * where the read starts; a read that starts by seeking may begin with U+FFFD where a character was cut by the chunk
 * boundary it starts at.
 */
final class FramedChunks implements RecordingReader.Chunks {

    private static final String MARKER_LABEL =
            "from here the stream is not valid UTF-8: replaced with U+FFFD; export the recording's bytes for them";

    private final RecordingReader.ChunkSource source;
    /** Each chunk's time span from a manifest that was checked, or null to read them from the chunks' headers. */
    private final List<RecordingManifest.Chunk> spans;
    /** The chunk read last, which a seek followed by a read would otherwise read twice. */
    private volatile Loaded cached;

    private record Loaded(long index, ChunkChain.Link link, List<ChunkRecords.Entry> records) {}

    FramedChunks(RecordingReader.ChunkSource source, List<RecordingManifest.Chunk> spans) {
        this.source = source;
        this.spans = spans;
    }

    /** A terminal record as text: its time, its type, and its bytes decoded as UTF-8. */
    private record Decoded(long micros, TerminalEvent.Type type, byte[] utf8, boolean firstReplacement) {
        TerminalEvent event() {
            return new TerminalEvent(micros / 1e6, type, new String(utf8, StandardCharsets.UTF_8));
        }
    }

    /** Turns terminal records into text, a decoder per stream, remembering where bytes first had to be replaced. */
    private static final class TextDecoder {
        private final Map<ChunkRecords.Kind, Utf8StreamDecoder> decoders = new EnumMap<>(ChunkRecords.Kind.class);
        private boolean replaced;

        /** The record as text, or null for a structured event or a piece that completes no character yet. */
        Decoded decode(ChunkRecords.Entry entry) {
            TerminalEvent.Type type = switch (entry.kind()) {
                case OUTPUT, ERROR -> TerminalEvent.Type.OUTPUT; // the user's terminal shows both
                case INPUT -> TerminalEvent.Type.INPUT;
                case RESIZE -> TerminalEvent.Type.RESIZE;
                case EVENT -> null;
            };
            if (type == null) {
                return null;
            }
            byte[] text;
            Utf8StreamDecoder decoder = decoders.computeIfAbsent(entry.kind(), kind -> new Utf8StreamDecoder());
            text = decoder.decode(entry.payload(), entry.offset(), entry.length());
            boolean first = !replaced && decoder.replaced();
            replaced |= first;
            return text.length == 0 ? null : new Decoded(entry.micros(), type, text, first);
        }

        /** Whether a stream ends in a cut-off character (it can only become U+FFFD). */
        boolean endsCut() {
            boolean cut = false;
            for (Utf8StreamDecoder decoder : decoders.values()) {
                cut |= decoder.finish().length > 0;
            }
            return cut;
        }
    }

    @Override
    public Stream<TerminalEvent> terminalEvents(double fromSeconds) throws IOException {
        TextDecoder text = new TextDecoder();
        return recordsFrom(fromSeconds).map(text::decode).filter(d -> d != null).map(Decoded::event);
    }

    @Override
    public Stream<RecordedEvent> events(double fromSeconds) throws IOException {
        return recordsFrom(fromSeconds)
                .filter(e -> e.kind() == ChunkRecords.Kind.EVENT)
                .map(FramedChunks::recordedEvent);
    }

    @Override
    public void exportCast(byte[] castHeader, OutputStream out) throws IOException {
        out.write(castHeader);
        out.write('\n');
        TextDecoder text = new TextDecoder();
        RecordingReader.writeLines(
                recordsFrom(0).map(text::decode).filter(d -> d != null).flatMap(d -> {
                    byte[] line = RecordingLines.terminalLine(d.micros(), d.type(), d.utf8());
                    return d.firstReplacement() ? Stream.of(marker(d.micros()), line) : Stream.of(line);
                }),
                out);
    }

    @Override
    public void exportEvents(OutputStream out) throws IOException {
        RecordingReader.writeLines(
                recordsFrom(0).filter(e -> e.kind() == ChunkRecords.Kind.EVENT).map(e -> {
                    recordedEvent(e);
                    return e.data();
                }),
                out);
    }

    @Override
    public void exportBytes(OutputStream out, TerminalEvent.Type type) throws IOException {
        ChunkRecords.Kind kind = switch (type) {
            case OUTPUT -> ChunkRecords.Kind.OUTPUT;
            case ERROR -> ChunkRecords.Kind.ERROR;
            case INPUT -> ChunkRecords.Kind.INPUT;
            case RESIZE -> throw new IllegalArgumentException("resizes are not a byte stream");
        };
        try (Stream<ChunkRecords.Entry> records = recordsFrom(0)) {
            for (ChunkRecords.Entry entry : (Iterable<ChunkRecords.Entry>) records::iterator) {
                if (entry.kind() == kind) {
                    out.write(entry.payload(), entry.offset(), entry.length());
                }
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    @Override
    public boolean textFaithful() throws IOException {
        TextDecoder text = new TextDecoder();
        try (Stream<ChunkRecords.Entry> records = recordsFrom(0)) {
            for (ChunkRecords.Entry entry : (Iterable<ChunkRecords.Entry>) records::iterator) {
                text.decode(entry);
                if (text.replaced) {
                    return false;
                }
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        return !text.endsCut();
    }

    @Override
    public double duration() throws IOException {
        int count = source.indexes().size();
        return count == 0 ? 0 : lastMicros(count - 1) / 1e6;
    }

    /** The records from the chunk that holds {@code fromSeconds} on (earlier records of that chunk included). */
    private Stream<ChunkRecords.Entry> recordsFrom(double fromSeconds) throws IOException {
        List<Long> indexes = source.indexes();
        int start = fromSeconds <= 0 ? 0 : firstEndingAtOrAfter(Math.round(fromSeconds * 1e6), indexes.size());
        return IntStream.range(start, indexes.size())
                .mapToObj(position -> {
                    try {
                        return chunkRecords(indexes.get(position));
                    } catch (IOException e) {
                        throw source.unchecked(indexes.get(position), e);
                    }
                })
                .flatMap(List::stream);
    }

    /** Binary search: the first position whose chunk ends at or after {@code micros} (times run forwards). */
    private int firstEndingAtOrAfter(long micros, int count) throws IOException {
        int low = 0;
        int high = count;
        while (low < high) {
            int middle = (low + high) >>> 1;
            if (lastMicros(middle) < micros) {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        return low;
    }

    private long lastMicros(int position) throws IOException {
        if (spans != null && spans.get(position).lastMicros() != null) {
            return spans.get(position).lastMicros();
        }
        return load(source.indexes().get(position)).link().lastMicros();
    }

    private List<ChunkRecords.Entry> chunkRecords(long index) throws IOException {
        return load(index).records();
    }

    private Loaded load(long index) throws IOException {
        Loaded last = cached;
        if (last != null && last.index() == index) {
            return last;
        }
        byte[] chunk = source.chunk(index);
        ChunkChain.Link link = ChunkChain.link(chunk);
        if (link == null || link.codec() == null) {
            throw new MalformedRecordingException("chunk " + index + " is not a format-3 chunk");
        }
        if (!source.id().equals(link.recording()) || link.index() != index) {
            throw new MalformedRecordingException(
                    "chunk " + index + " is chunk " + link.index() + " of " + link.recording());
        }
        byte[] payload = ChunkCodec.decode(link.codec(), chunk, link.payloadOffset(), link.rawBytes());
        List<ChunkRecords.Entry> records = new ArrayList<>();
        ChunkRecords.read(payload, link.firstMicros(), link.lastMicros(), records::add);
        Loaded loaded = new Loaded(index, link, List.copyOf(records));
        cached = loaded;
        return loaded;
    }

    private static byte[] marker(long micros) {
        return ("[" + RecordingJson.seconds(micros).toPlainString() + ",\"m\",\"" + MARKER_LABEL + "\"]")
                .getBytes(StandardCharsets.UTF_8);
    }

    private static RecordedEvent recordedEvent(ChunkRecords.Entry entry) {
        try {
            return RecordingLines.recordedEvent(
                    new String(entry.payload(), entry.offset(), entry.length(), StandardCharsets.UTF_8));
        } catch (MalformedRecordingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
