package dev.portcullis.bastion.recording;

import dev.portcullis.recording.RecordingFailedException;
import dev.portcullis.recording.SessionRecording;
import dev.portcullis.recording.event.FileOperationEvent;
import dev.portcullis.recording.event.FileOperationEvent.Operation;
import dev.portcullis.recording.event.FileProtocol;
import dev.portcullis.recording.event.FileTransferEvent;
import dev.portcullis.recording.event.FileTransferEvent.Direction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Follows the sending side of a legacy scp transfer ({@link ScpCommand}): each control line is recorded as a file
 * event ({@code C} a file with its size, {@code D}/{@code E} entering and leaving a directory, {@code T} times), and
 * only the content a {@code C} line announced is left out of the terminal recording. The first byte that does not
 * fit the protocol, and everything after it, is recorded as terminal data: a program that is not scp behind the name
 * cannot pass its input or output through unrecorded. The receiving side (acknowledgements and error messages) is
 * always recorded as terminal data; it is a few bytes per file.
 */
public final class ScpObserver {

    /** Longest control line accepted: mode, size and a file name of up to NAME_MAX bytes, with room to spare. */
    private static final int MAX_LINE = 8 * 1024;

    private enum State {
        LINE,
        CONTENT,
        STATUS,
        UNRECOGNISED
    }

    private final SessionRecording recording;
    private final Direction direction;
    private final String root;
    private final boolean toDirectory;
    private final Deque<String> directories = new ArrayDeque<>();
    private final byte[] line = new byte[MAX_LINE];
    private int lineLength;
    private State state = State.LINE;
    private long contentLeft;
    private long contentBytes;
    private boolean recorded;

    public ScpObserver(SessionRecording recording, ScpCommand command) {
        this.recording = recording;
        this.direction = command.direction();
        this.root = command.path();
        this.toDirectory = command.toDirectory();
    }

    /** Bytes from the side that sends files: the user for an upload, the target for a download. */
    public synchronized void fromSender(byte[] data, int offset, int length) throws RecordingFailedException {
        int i = offset;
        int end = offset + length;
        while (i < end) {
            switch (state) {
                case UNRECOGNISED -> {
                    raw(data, i, end - i);
                    return;
                }
                case CONTENT -> {
                    int n = (int) Math.min(contentLeft, end - i);
                    contentLeft -= n;
                    contentBytes += n;
                    i += n;
                    if (contentLeft == 0) {
                        state = State.STATUS;
                    }
                }
                case STATUS -> {
                    // after a file's content the sender says 0 (done) or starts an error line
                    if (data[i] == 0) {
                        i++;
                        state = State.LINE;
                    } else {
                        state = State.LINE;
                    }
                }
                case LINE -> {
                    byte b = data[i++];
                    if (lineLength == MAX_LINE) {
                        unrecognised(data, i - 1, end);
                        return;
                    }
                    line[lineLength++] = b;
                    if (b == '\n') {
                        String text = new String(line, 0, lineLength - 1, StandardCharsets.UTF_8);
                        int length0 = lineLength;
                        lineLength = 0;
                        if (!control(text)) {
                            raw(line, 0, length0);
                            state = State.UNRECOGNISED;
                        }
                    }
                }
                default -> throw new IllegalStateException();
            }
        }
    }

    /** Bytes from the receiving side: acknowledgements, error messages. */
    public synchronized void fromReceiver(byte[] data, int offset, int length) throws RecordingFailedException {
        recorded = true;
        if (direction == Direction.UPLOAD) {
            recording.terminal().output(data, offset, length);
        } else {
            recording.terminal().input(data, offset, length);
        }
    }

    /** Records a partly received control line, or the file still being sent, as the channel ends. */
    public synchronized void close() throws RecordingFailedException {
        if (state == State.CONTENT) {
            record(new FileTransferEvent(FileProtocol.SCP, direction, current(), contentBytes));
        }
        if (state == State.LINE && lineLength > 0) {
            raw(line, 0, lineLength);
        }
        lineLength = 0;
        state = State.UNRECOGNISED;
    }

    private String pendingName;

    /** Acts on one control line; false when it is not one. */
    private boolean control(String text) throws RecordingFailedException {
        if (text.isEmpty()) {
            return false;
        }
        char kind = text.charAt(0);
        switch (kind) {
            case 'C', 'D' -> {
                String[] parts = text.substring(1).split(" ", 3);
                if (parts.length != 3
                        || !parts[0].matches("[0-7]{4}")
                        || !parts[1].matches("[0-9]{1,18}")
                        || parts[2].isEmpty()
                        || parts[2].contains("/")
                        || parts[2].equals("..")) {
                    return false;
                }
                if (kind == 'D') {
                    directories.push(parts[2]);
                    if (direction == Direction.UPLOAD) {
                        record(new FileOperationEvent(FileProtocol.SCP, Operation.MKDIR, path(null), null));
                    }
                    return true;
                }
                pendingName = parts[2];
                contentLeft = Long.parseLong(parts[1]);
                contentBytes = 0;
                record(new FileTransferEvent(FileProtocol.SCP, direction, current(), contentLeft));
                state = contentLeft == 0 ? State.STATUS : State.CONTENT;
                return true;
            }
            case 'E' -> {
                if (text.length() != 1 || directories.isEmpty()) {
                    return false;
                }
                directories.pop();
                return true;
            }
            case 'T' -> {
                return text.matches("T[0-9]{1,20} [0-9]{1,9} [0-9]{1,20} [0-9]{1,9}");
            }
            case '\u0001', '\u0002' -> {
                // the sender's own error message ("scp: x: No such file or directory"): recorded as it was sent
                byte[] bytes = (text + "\n").getBytes(StandardCharsets.UTF_8);
                raw(bytes, 0, bytes.length);
                return true;
            }
            default -> {
                return false;
            }
        }
    }

    private String current() {
        return path(pendingName);
    }

    /**
     * The path as the target sees it. The outermost file or directory a download sends is the command's path
     * itself; an upload's is the command's path, or an entry in it with {@code -d}. (Without {@code -d} the path
     * may still name an existing directory on the target, which the stream does not tell.)
     */
    private String path(String name) {
        java.util.List<String> parts = new java.util.ArrayList<>();
        directories.descendingIterator().forEachRemaining(parts::add);
        if (name != null) {
            parts.add(name);
        }
        if (!(direction == Direction.UPLOAD && toDirectory) && !parts.isEmpty()) {
            parts.remove(0); // the outermost entry is the command's path
        }
        StringBuilder p = new StringBuilder(root);
        for (String part : parts) {
            if (p.length() == 0 || p.charAt(p.length() - 1) != '/') {
                p.append('/');
            }
            p.append(part);
        }
        return p.toString();
    }

    private void unrecognised(byte[] data, int from, int end) throws RecordingFailedException {
        raw(line, 0, lineLength);
        lineLength = 0;
        state = State.UNRECOGNISED;
        raw(data, from, end - from);
    }

    /** Whether anything was recorded since the last call (file content alone needs no sync before it moves on). */
    public synchronized boolean takeRecorded() {
        boolean r = recorded;
        recorded = false;
        return r;
    }

    private void record(dev.portcullis.recording.event.StructuredEvent event) throws RecordingFailedException {
        recorded = true;
        recording.events().record(event);
    }

    private void raw(byte[] data, int offset, int length) throws RecordingFailedException {
        if (length <= 0) {
            return;
        }
        recorded = true;
        if (direction == Direction.UPLOAD) {
            recording.terminal().input(data, offset, length);
        } else {
            recording.terminal().output(data, offset, length);
        }
    }
}
