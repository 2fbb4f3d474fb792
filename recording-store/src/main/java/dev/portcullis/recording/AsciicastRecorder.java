package dev.portcullis.recording;

import dev.portcullis.recording.event.TerminalEvent;
import dev.portcullis.recording.format.RecordingLines;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Records an interactive terminal as asciicast v2 events. Bytes arrive exactly as the SSH channel
 * delivers them; each direction has its own incremental UTF-8 decoder so a character cut between
 * two packets is recorded whole. Raw byte counts are kept next to the decoded text, because
 * decoding replaces invalid bytes and the manifest must still say how much really passed.
 */
public final class AsciicastRecorder {

    /** The most bytes of terminal data one asciicast line holds; more become several lines with the same time. */
    static final int MAX_LINE_INPUT = 32 * 1024;

    private final RecordingWriter writer;
    private final boolean inputRecorded;
    private final Utf8StreamDecoder outputDecoder = new Utf8StreamDecoder();
    private final Utf8StreamDecoder inputDecoder = new Utf8StreamDecoder();
    private final AtomicLong outputBytes = new AtomicLong();
    private final AtomicLong inputBytes = new AtomicLong();

    AsciicastRecorder(RecordingWriter writer, boolean inputRecorded) {
        this.writer = writer;
        this.inputRecorded = inputRecorded;
    }

    /** Bytes the target sent to the user's terminal. */
    public void output(byte[] data) throws RecordingFailedException {
        output(data, 0, data.length);
    }

    public void output(byte[] data, int offset, int length) throws RecordingFailedException {
        synchronized (outputDecoder) {
            outputBytes.addAndGet(length);
            // a bulk transfer arrives in pieces of up to a megabyte: one line per MAX_LINE_INPUT bytes keeps lines bounded,
            // and with them the memory a session's queue of lines may hold (WriterOptions.queueCapacity lines)
            record(TerminalEvent.Type.OUTPUT, outputDecoder, data, offset, length);
        }
    }

    /** Bytes the user typed. Counted always; recorded only when the recording records input. */
    public void input(byte[] data) throws RecordingFailedException {
        input(data, 0, data.length);
    }

    public void input(byte[] data, int offset, int length) throws RecordingFailedException {
        synchronized (inputDecoder) {
            inputBytes.addAndGet(length);
            if (inputRecorded) {
                record(TerminalEvent.Type.INPUT, inputDecoder, data, offset, length);
            }
        }
    }

    /** The user's terminal changed size (SSH window-change). */
    public void resize(int columns, int rows) throws RecordingFailedException {
        if (columns <= 0 || rows <= 0) {
            throw new IllegalArgumentException("terminal size must be positive: " + columns + "x" + rows);
        }
        record(TerminalEvent.Type.RESIZE, columns + "x" + rows);
    }

    public boolean inputRecorded() {
        return inputRecorded;
    }

    public long outputBytes() {
        return outputBytes.get();
    }

    public long inputBytes() {
        return inputBytes.get();
    }

    /** Flushes sequences cut off by the end of the session (as U+FFFD). */
    void finish() throws RecordingFailedException {
        synchronized (outputDecoder) {
            record(TerminalEvent.Type.OUTPUT, outputDecoder.finish());
        }
        synchronized (inputDecoder) {
            if (inputRecorded) {
                record(TerminalEvent.Type.INPUT, inputDecoder.finish());
            }
        }
    }

    /** Decodes and records {@code length} bytes, as one line per {@link #MAX_LINE_INPUT} bytes (at least one call). */
    private void record(TerminalEvent.Type type, Utf8StreamDecoder decoder, byte[] data, int offset, int length)
            throws RecordingFailedException {
        int from = offset;
        int end = offset + length;
        do {
            int n = Math.min(MAX_LINE_INPUT, end - from);
            record(type, decoder.decode(data, from, n));
            from += n;
        } while (from < end);
    }

    private void record(TerminalEvent.Type type, byte[] utf8) throws RecordingFailedException {
        if (utf8.length == 0) {
            // Only the start of a split character arrived: nothing to show yet, but the writer's
            // state must still be checked so a failed recording stops the session promptly.
            writer.requireUsable();
            return;
        }
        writer.append(micros -> RecordingLines.terminalLine(micros, type, utf8));
    }

    private void record(TerminalEvent.Type type, String data) throws RecordingFailedException {
        if (data.isEmpty()) {
            // Only the start of a split character arrived: nothing to show yet, but the writer's
            // state must still be checked so a failed recording stops the session promptly.
            writer.requireUsable();
            return;
        }
        writer.append(micros -> RecordingLines.terminalLine(micros, type, data));
    }
}
