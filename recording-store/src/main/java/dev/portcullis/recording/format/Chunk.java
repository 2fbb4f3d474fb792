package dev.portcullis.recording.format;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One chunk file: a {@link ChunkHeader} line followed by the body, newline-terminated JSON lines.
 * The chunk's identity in the chain is the SHA-256 of all its bytes.
 */
public final class Chunk {

    private final ChunkHeader header;
    private final byte[] bytes;
    private final int bodyOffset;
    private final String sha256;

    private Chunk(ChunkHeader header, byte[] bytes, int bodyOffset) {
        this.header = header;
        this.bytes = bytes;
        this.bodyOffset = bodyOffset;
        this.sha256 = Sha256.hex(bytes);
    }

    /** Builds a chunk around a body of complete lines (each ending in a newline). */
    public static Chunk encode(ChunkHeader header, byte[] body) {
        if (header.bodyBytes() != body.length) {
            throw new IllegalArgumentException("header says " + header.bodyBytes() + " body bytes, body has " + body.length);
        }
        byte[] headerLine = header.encode();
        byte[] bytes = Arrays.copyOf(headerLine, headerLine.length + 1 + body.length);
        bytes[headerLine.length] = '\n';
        System.arraycopy(body, 0, bytes, headerLine.length + 1, body.length);
        return new Chunk(header, bytes, headerLine.length + 1);
    }

    /**
     * Reads a chunk file. Only the framing is checked here (header parses, body length and line count
     * match the header); whether it belongs in the chain is the caller's question.
     */
    public static Chunk parse(byte[] bytes) throws MalformedRecordingException {
        int newline = indexOf(bytes, (byte) '\n', 0);
        if (newline < 0) {
            throw new MalformedRecordingException("chunk has no header line");
        }
        ChunkHeader header = ChunkHeader.decode(Arrays.copyOf(bytes, newline));
        int bodyOffset = newline + 1;
        long bodyBytes = bytes.length - bodyOffset;
        if (bodyBytes != header.bodyBytes()) {
            throw new MalformedRecordingException(
                    "chunk body has " + bodyBytes + " bytes, its header says " + header.bodyBytes() + " (truncated or extended)");
        }
        if (bodyBytes > 0 && bytes[bytes.length - 1] != '\n') {
            throw new MalformedRecordingException("chunk body ends in a cut-off line");
        }
        Chunk chunk = new Chunk(header, bytes, bodyOffset);
        int lines = chunk.countLines();
        if (lines != header.lines()) {
            throw new MalformedRecordingException("chunk body has " + lines + " lines, its header says " + header.lines());
        }
        return chunk;
    }

    public ChunkHeader header() {
        return header;
    }

    public int index() {
        return header.index();
    }

    public String sha256() {
        return sha256;
    }

    public byte[] bytes() {
        return bytes.clone();
    }

    public int size() {
        return bytes.length;
    }

    /** Body lines without their newlines, decoded as UTF-8. */
    public List<String> lines() {
        List<String> lines = new ArrayList<>(header.lines());
        int start = bodyOffset;
        while (start < bytes.length) {
            int end = indexOf(bytes, (byte) '\n', start);
            if (end < 0) {
                end = bytes.length;
            }
            lines.add(new String(bytes, start, end - start, StandardCharsets.UTF_8));
            start = end + 1;
        }
        return lines;
    }

    private int countLines() {
        int count = 0;
        for (int i = bodyOffset; i < bytes.length; i++) {
            if (bytes[i] == '\n') {
                count++;
            }
        }
        return count;
    }

    private static int indexOf(byte[] bytes, byte value, int from) {
        for (int i = from; i < bytes.length; i++) {
            if (bytes[i] == value) {
                return i;
            }
        }
        return -1;
    }
}
