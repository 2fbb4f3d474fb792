package dev.portcullis.recording.read;

import dev.portcullis.recording.event.RecordedEvent;
import dev.portcullis.recording.event.TerminalEvent;
import dev.portcullis.recording.format.MalformedRecordingException;
import dev.portcullis.recording.format.RecordingLines;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Chunks of formats 1 and 2: newline-terminated lines, asciicast v2 event arrays for the terminal (already decoded
 * text, stderr within the output) and JSON objects for structured events. They carry no time index, so a seek
 * reads from the start.
 */
final class LineChunks implements RecordingReader.Chunks {

    private final RecordingReader.ChunkSource source;

    LineChunks(RecordingReader.ChunkSource source) {
        this.source = source;
    }

    @Override
    public Stream<TerminalEvent> terminalEvents(double fromSeconds) throws IOException {
        return lines(true).map(LineChunks::terminalEvent);
    }

    @Override
    public Stream<RecordedEvent> events(double fromSeconds) throws IOException {
        return lines(false).map(LineChunks::recordedEvent);
    }

    @Override
    public void exportCast(byte[] castHeader, OutputStream out) throws IOException {
        out.write(castHeader);
        out.write('\n');
        RecordingReader.writeLines(lines(true).peek(LineChunks::terminalEvent).map(LineChunks::utf8), out);
    }

    @Override
    public void exportEvents(OutputStream out) throws IOException {
        RecordingReader.writeLines(lines(false).peek(LineChunks::recordedEvent).map(LineChunks::utf8), out);
    }

    @Override
    public void exportBytes(OutputStream out, TerminalEvent.Type type) throws IOException {
        try (Stream<TerminalEvent> events = terminalEvents(0)) {
            for (TerminalEvent event : (Iterable<TerminalEvent>) events::iterator) {
                if (event.type() == type) {
                    out.write(utf8(event.data()));
                }
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    @Override
    public boolean textFaithful() {
        return true; // the text is what was stored: nothing to compare it with
    }

    @Override
    public double duration() throws IOException {
        double last = 0;
        try (Stream<String> lines = allLines()) {
            for (String line : (Iterable<String>) lines::iterator) {
                double time = RecordingLines.isTerminalLine(line)
                        ? terminalEvent(line).time()
                        : recordedEvent(line).time();
                last = Math.max(last, time);
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        return last;
    }

    private Stream<String> lines(boolean terminal) throws IOException {
        return allLines().filter(line -> RecordingLines.isTerminalLine(line) == terminal);
    }

    /** The lines of every chunk, chunk after chunk; each chunk is read when the stream reaches it. */
    private Stream<String> allLines() throws IOException {
        return source.indexes().stream().flatMap(index -> payloadLines(index).stream());
    }

    private List<String> payloadLines(long index) {
        byte[] payload;
        try {
            payload = payload(source.chunk(index));
        } catch (IOException e) {
            throw source.unchecked(index, e);
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
            throw source.unchecked(index, new MalformedRecordingException("the chunk ends in a cut-off line"));
        }
        return lines;
    }

    private static byte[] payload(byte[] chunk) {
        for (int i = 0; i < chunk.length; i++) {
            if (chunk[i] == '\n') {
                return java.util.Arrays.copyOfRange(chunk, i + 1, chunk.length);
            }
        }
        return new byte[0];
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
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
