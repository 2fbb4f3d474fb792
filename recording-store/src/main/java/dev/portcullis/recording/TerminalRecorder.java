package dev.portcullis.recording;

import dev.portcullis.recording.event.TerminalEvent;
import dev.portcullis.recording.format.ChunkRecords;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Records a channel's bytes exactly as they crossed it: terminal (or exec stdout) output, exec stderr, and the
 * user's input when the rule records it, each as its own stream. Nothing is decoded or escaped here, since this runs
 * for every packet of every session; turning bytes into asciicast text is the reader's job at export time. Raw byte
 * counts are kept for the end event, input counted even when it is not stored.
 */
public final class TerminalRecorder {

    /**
     * The most bytes one record holds; more become several records with the same time. It bounds the memory a
     * session's queue may hold ({@link WriterOptions#queueCapacity} records).
     */
    static final int MAX_RECORD_BYTES = 32 * 1024;

    private final RecordingWriter writer;
    private final boolean inputRecorded;
    private final AtomicLong outputBytes = new AtomicLong();
    private final AtomicLong inputBytes = new AtomicLong();
    /** One lock per stream: the pieces of one call stay together even if two threads feed the same stream. */
    private final Object outputLock = new Object();

    private final Object errorLock = new Object();
    private final Object inputLock = new Object();

    private final RecordingTap tap;

    TerminalRecorder(RecordingWriter writer, boolean inputRecorded, RecordingTap tap) {
        this.writer = writer;
        this.inputRecorded = inputRecorded;
        this.tap = tap;
    }

    /** Bytes the target sent to the user's terminal (an exec channel's stdout). */
    public void output(byte[] data) throws RecordingFailedException {
        output(data, 0, data.length);
    }

    public void output(byte[] data, int offset, int length) throws RecordingFailedException {
        synchronized (outputLock) {
            outputBytes.addAndGet(length);
            record(ChunkRecords.Kind.OUTPUT, data, offset, length);
        }
    }

    /** Bytes the target sent on the channel's stderr (SSH extended data); counted with the output. */
    public void error(byte[] data, int offset, int length) throws RecordingFailedException {
        synchronized (errorLock) {
            outputBytes.addAndGet(length);
            record(ChunkRecords.Kind.ERROR, data, offset, length);
        }
    }

    /** Bytes the user typed. Counted always; recorded only when the recording records input. */
    public void input(byte[] data) throws RecordingFailedException {
        input(data, 0, data.length);
    }

    public void input(byte[] data, int offset, int length) throws RecordingFailedException {
        synchronized (inputLock) {
            inputBytes.addAndGet(length);
            if (inputRecorded) {
                record(ChunkRecords.Kind.INPUT, data, offset, length);
            } else {
                writer.requireUsable(); // a failed recording still stops the session promptly
            }
        }
    }

    /** The user's terminal changed size (SSH window-change). */
    public void resize(int columns, int rows) throws RecordingFailedException {
        if (columns <= 0 || rows <= 0) {
            throw new IllegalArgumentException("terminal size must be positive: " + columns + "x" + rows);
        }
        byte[] size = (columns + "x" + rows).getBytes(StandardCharsets.US_ASCII);
        writer.append(ChunkRecords.Kind.RESIZE, micros -> size);
    }

    public boolean inputRecorded() {
        return inputRecorded;
    }

    /** Bytes to the user so far, stdout and stderr. */
    public long outputBytes() {
        return outputBytes.get();
    }

    public long inputBytes() {
        return inputBytes.get();
    }

    /** Copies and records {@code length} bytes, as one record per {@link #MAX_RECORD_BYTES} (none for none). */
    private void record(ChunkRecords.Kind kind, byte[] data, int offset, int length) throws RecordingFailedException {
        if (length == 0) {
            writer.requireUsable();
            return;
        }
        int from = offset;
        int end = offset + length;
        while (from < end) {
            int n = Math.min(MAX_RECORD_BYTES, end - from);
            // a copy: the channel reuses its buffer once this returns
            byte[] piece = Arrays.copyOfRange(data, from, from + n);
            TerminalEvent.Type stream = kind == ChunkRecords.Kind.INPUT
                    ? TerminalEvent.Type.INPUT
                    : kind == ChunkRecords.Kind.ERROR ? TerminalEvent.Type.ERROR : TerminalEvent.Type.OUTPUT;
            writer.append(kind, micros -> {
                tap.bytes(stream, micros, piece);
                return piece;
            });
            from += n;
        }
    }
}
