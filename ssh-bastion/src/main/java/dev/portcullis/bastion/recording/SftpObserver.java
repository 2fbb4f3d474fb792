package dev.portcullis.bastion.recording;

import dev.portcullis.recording.EventRecorder;
import dev.portcullis.recording.RecordingFailedException;
import dev.portcullis.recording.event.FileOperationEvent;
import dev.portcullis.recording.event.FileOperationEvent.Operation;
import dev.portcullis.recording.event.FileProtocol;
import dev.portcullis.recording.event.FileTransferEvent;
import dev.portcullis.recording.event.FileTransferEvent.Direction;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * Follows an SFTP conversation passing through the bastion and records what happened to files: one transfer event
 * per file handle when it closes (path, direction, bytes that actually moved), and one event per change to the file
 * tree. Only the head of each packet is kept (enough for ids, handles and paths); file content streams past.
 * The observer never changes the bytes, and a packet it cannot make sense of is skipped, not guessed at.
 */
public final class SftpObserver {

    private static final int SSH_FXP_OPEN = 3;
    private static final int SSH_FXP_CLOSE = 4;
    private static final int SSH_FXP_READ = 5;
    private static final int SSH_FXP_WRITE = 6;
    private static final int SSH_FXP_SETSTAT = 9;
    private static final int SSH_FXP_FSETSTAT = 10;
    private static final int SSH_FXP_REMOVE = 13;
    private static final int SSH_FXP_MKDIR = 14;
    private static final int SSH_FXP_RMDIR = 15;
    private static final int SSH_FXP_RENAME = 18;
    private static final int SSH_FXP_SYMLINK = 20;
    private static final int SSH_FXP_EXTENDED = 200;
    private static final int SSH_FXP_STATUS = 101;
    private static final int SSH_FXP_HANDLE = 102;
    private static final int SSH_FXP_DATA = 103;
    private static final int SSH_FXF_WRITE = 0x02;
    /** Extensions that only read (OpenSSH's and the draft's); every other one is recorded. */
    private static final java.util.Set<String> READ_ONLY_EXTENSIONS = java.util.Set.of(
            "statvfs@openssh.com",
            "fstatvfs@openssh.com",
            "fsync@openssh.com",
            "limits@openssh.com",
            "expand-path@openssh.com",
            "home-directory",
            "users-groups-by-id@openssh.com",
            "check-file-name",
            "check-file-handle",
            "space-available",
            "md5-hash",
            "md5-hash-handle",
            "vendor-id",
            "version-select");
    /** Longest packet head kept: type, id, a handle and a path of up to PATH_MAX, with room to spare. */
    private static final int HEAD = 8 * 1024;
    /** Bounds on what a misbehaving client can make the observer remember. */
    private static final int MAX_TRACKED = 10_000;

    private final EventRecorder events;
    private final Framer fromClient = new Framer(true);
    private final Framer fromServer = new Framer(false);
    private final Map<Long, PendingOpen> opens = new HashMap<>();
    private final Map<String, OpenFile> files = new HashMap<>();
    private final Map<Long, String> reads = new HashMap<>();

    private record PendingOpen(String path, boolean write) {}

    private static final class OpenFile {
        final String path;
        final boolean write;
        long written;
        long read;

        OpenFile(String path, boolean write) {
            this.path = path;
            this.write = write;
        }
    }

    public SftpObserver(EventRecorder events) {
        this.events = events;
    }

    public synchronized void fromClient(byte[] data, int offset, int length) throws RecordingFailedException {
        fromClient.feed(data, offset, length);
    }

    public synchronized void fromServer(byte[] data, int offset, int length) throws RecordingFailedException {
        fromServer.feed(data, offset, length);
    }

    /** Records the files still open when the channel ends (a transfer cut short shows its partial byte count). */
    public synchronized void close() throws RecordingFailedException {
        for (OpenFile f : files.values()) {
            transfer(f);
        }
        files.clear();
    }

    private void clientPacket(int type, Reader r, long fullLength) throws RecordingFailedException {
        long id = r.uint32();
        switch (type) {
            case SSH_FXP_OPEN: {
                String path = r.string();
                long flags = r.uint32();
                if (opens.size() < MAX_TRACKED) {
                    opens.put(id, new PendingOpen(path, (flags & SSH_FXF_WRITE) != 0));
                }
                break;
            }
            case SSH_FXP_CLOSE: {
                OpenFile f = files.remove(r.handle());
                if (f != null) {
                    transfer(f);
                }
                break;
            }
            case SSH_FXP_READ: {
                String handle = r.handle();
                if (files.containsKey(handle) && reads.size() < MAX_TRACKED) {
                    reads.put(id, handle);
                }
                break;
            }
            case SSH_FXP_WRITE: {
                OpenFile f = files.get(r.handle());
                r.uint64(); // offset
                long n = r.uint32();
                if (f != null) {
                    f.written += n;
                }
                break;
            }
            case SSH_FXP_REMOVE:
                events.record(new FileOperationEvent(FileProtocol.SFTP, Operation.REMOVE, r.string(), null));
                break;
            case SSH_FXP_MKDIR:
                events.record(new FileOperationEvent(FileProtocol.SFTP, Operation.MKDIR, r.string(), null));
                break;
            case SSH_FXP_RMDIR:
                events.record(new FileOperationEvent(FileProtocol.SFTP, Operation.RMDIR, r.string(), null));
                break;
            case SSH_FXP_SETSTAT:
                events.record(new FileOperationEvent(FileProtocol.SFTP, Operation.SETSTAT, r.string(), null));
                break;
            case SSH_FXP_FSETSTAT:
                events.record(new FileOperationEvent(FileProtocol.SFTP, Operation.SETSTAT, pathOf(r.handle()), null));
                break;
            case SSH_FXP_EXTENDED:
                extended(r.string(), r);
                break;
            case SSH_FXP_RENAME: {
                String from = r.string();
                events.record(new FileOperationEvent(FileProtocol.SFTP, Operation.RENAME, from, r.string()));
                break;
            }
            case SSH_FXP_SYMLINK: {
                // OpenSSH sends (target, link), the reverse of the draft; recorded as sent
                String first = r.string();
                events.record(new FileOperationEvent(FileProtocol.SFTP, Operation.SYMLINK, first, r.string()));
                break;
            }
            default:
                break;
        }
    }

    /** An extended request: those that change files are recorded with their paths, unknown ones by name. */
    private void extended(String name, Reader r) throws RecordingFailedException {
        switch (name) {
            case "posix-rename@openssh.com": {
                String from = r.string();
                events.record(new FileOperationEvent(FileProtocol.SFTP, Operation.RENAME, from, r.string()));
                break;
            }
            case "hardlink@openssh.com": {
                String from = r.string();
                events.record(new FileOperationEvent(FileProtocol.SFTP, Operation.HARDLINK, from, r.string()));
                break;
            }
            case "lsetstat@openssh.com":
                events.record(new FileOperationEvent(FileProtocol.SFTP, Operation.SETSTAT, r.string(), null));
                break;
            case "copy-data": {
                String from = pathOf(r.handle());
                r.uint64(); // read offset
                r.uint64(); // length
                events.record(new FileOperationEvent(FileProtocol.SFTP, Operation.COPY, from, pathOf(r.handle())));
                break;
            }
            case "copy-file": {
                String from = r.string();
                events.record(new FileOperationEvent(FileProtocol.SFTP, Operation.COPY, from, r.string()));
                break;
            }
            default:
                if (!READ_ONLY_EXTENSIONS.contains(name)) {
                    events.record(new FileOperationEvent(FileProtocol.SFTP, Operation.EXTENDED, name, null));
                }
                break;
        }
    }

    /** The path a handle was opened for, or the handle itself (as hex) when the bastion did not see it opened. */
    private String pathOf(String handle) {
        OpenFile f = files.get(handle);
        if (f != null) {
            return f.path;
        }
        StringBuilder hex = new StringBuilder("handle:");
        for (int i = 0; i < handle.length(); i++) {
            hex.append(String.format("%02x", (int) handle.charAt(i)));
        }
        return hex.toString();
    }

    private void serverPacket(int type, Reader r) {
        long id = r.uint32();
        switch (type) {
            case SSH_FXP_HANDLE: {
                PendingOpen open = opens.remove(id);
                if (open != null && files.size() < MAX_TRACKED) {
                    files.put(r.handle(), new OpenFile(open.path(), open.write()));
                }
                break;
            }
            case SSH_FXP_DATA: {
                String handle = reads.remove(id);
                long n = r.uint32();
                OpenFile f = handle == null ? null : files.get(handle);
                if (f != null) {
                    f.read += n;
                }
                break;
            }
            case SSH_FXP_STATUS:
                opens.remove(id);
                reads.remove(id);
                break;
            default:
                break;
        }
    }

    private void transfer(OpenFile f) throws RecordingFailedException {
        if (f.written > 0 || f.write) {
            events.record(new FileTransferEvent(FileProtocol.SFTP, Direction.UPLOAD, f.path, f.written));
        }
        if (f.read > 0 || (!f.write && f.written == 0)) {
            events.record(new FileTransferEvent(FileProtocol.SFTP, Direction.DOWNLOAD, f.path, f.read));
        }
    }

    /** Splits one direction's byte stream into packets, keeping each packet's head. */
    private final class Framer {
        private final boolean client;
        private final byte[] lengthBytes = new byte[4];
        private int lengthHave;
        private long remaining = -1;
        private long fullLength;
        private byte[] head;
        private int headHave;
        private boolean versionSeen;

        Framer(boolean client) {
            this.client = client;
        }

        void feed(byte[] data, int offset, int length) throws RecordingFailedException {
            int i = offset;
            int end = offset + length;
            while (i < end) {
                if (remaining < 0) {
                    lengthBytes[lengthHave++] = data[i++];
                    if (lengthHave == 4) {
                        lengthHave = 0;
                        fullLength = ((lengthBytes[0] & 0xFFL) << 24)
                                | ((lengthBytes[1] & 0xFFL) << 16)
                                | ((lengthBytes[2] & 0xFFL) << 8)
                                | (lengthBytes[3] & 0xFFL);
                        remaining = fullLength;
                        head = new byte[(int) Math.min(fullLength, HEAD)];
                        headHave = 0;
                        if (remaining == 0) {
                            remaining = -1;
                        }
                    }
                    continue;
                }
                int take = (int) Math.min(remaining, end - i);
                int toHead = Math.min(take, head.length - headHave);
                if (toHead > 0) {
                    System.arraycopy(data, i, head, headHave, toHead);
                    headHave += toHead;
                }
                i += take;
                remaining -= take;
                if (remaining == 0) {
                    remaining = -1;
                    packet();
                }
            }
        }

        private void packet() throws RecordingFailedException {
            if (headHave < 1) {
                return;
            }
            int type = head[0] & 0xFF;
            if (!versionSeen) {
                // INIT and VERSION carry a version, not a request id
                versionSeen = true;
                if (type == 1 || type == 2) {
                    return;
                }
            }
            Reader r = new Reader(head, 1, headHave);
            try {
                if (client) {
                    clientPacket(type, r, fullLength);
                } else {
                    serverPacket(type, r);
                }
            } catch (Reader.Truncated e) {
                // a head that does not parse is skipped: the bytes still pass unchanged
            }
        }
    }

    private static final class Reader {
        static final class Truncated extends RuntimeException {
            Truncated() {
                super(null, null, false, false);
            }
        }

        private final byte[] b;
        private int p;
        private final int end;

        Reader(byte[] b, int p, int end) {
            this.b = b;
            this.p = p;
            this.end = end;
        }

        long uint32() {
            if (p + 4 > end) {
                throw new Truncated();
            }
            long v = ((b[p] & 0xFFL) << 24)
                    | ((b[p + 1] & 0xFFL) << 16)
                    | ((b[p + 2] & 0xFFL) << 8)
                    | (b[p + 3] & 0xFFL);
            p += 4;
            return v;
        }

        long uint64() {
            long hi = uint32();
            return (hi << 32) | uint32();
        }

        String string() {
            long n = uint32();
            if (n > end - p) {
                throw new Truncated();
            }
            String s = new String(b, p, (int) n, StandardCharsets.UTF_8);
            p += (int) n;
            return s;
        }

        /** Handles are opaque bytes; kept as ISO-8859-1 so every byte value maps to one char. */
        String handle() {
            long n = uint32();
            if (n > end - p) {
                throw new Truncated();
            }
            String s = new String(b, p, (int) n, StandardCharsets.ISO_8859_1);
            p += (int) n;
            return s;
        }
    }
}
