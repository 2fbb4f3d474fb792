package dev.portcullis.broker.recordings;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

/**
 * Writes a POSIX ustar archive, the format every {@code tar} reads (GNU tar, bsdtar, busybox). Only what an evidence
 * bundle needs: directories and regular files with short ASCII names, each file's size known before it is written.
 * The JDK has no tar writer, and the format is a 512-byte header per entry, so no library is pulled in for it.
 */
final class TarWriter implements AutoCloseable {

    private static final int BLOCK = 512;
    /** ustar's size field: 11 octal digits. */
    static final long MAX_FILE_BYTES = 077777777777L;

    private final OutputStream out;
    private final long mtime;

    TarWriter(OutputStream out, Instant mtime) {
        this.out = out;
        this.mtime = mtime.getEpochSecond();
    }

    void directory(String name) throws IOException {
        String dir = name.endsWith("/") ? name : name + "/";
        out.write(header(dir, 0755, 0, '5'));
    }

    void file(String name, Path content, boolean executable) throws IOException {
        long size = Files.size(content);
        if (size > MAX_FILE_BYTES) {
            throw new IOException(name + " is larger than a tar archive entry can hold (8 GiB)");
        }
        out.write(header(name, executable ? 0755 : 0644, size, '0'));
        long copied;
        try (InputStream in = Files.newInputStream(content)) {
            copied = in.transferTo(out);
        }
        if (copied != size) {
            throw new IOException(name + " changed while it was archived");
        }
        pad(size);
    }

    private void pad(long size) throws IOException {
        int rest = (int) (size % BLOCK);
        if (rest != 0) {
            out.write(new byte[BLOCK - rest]);
        }
    }

    private byte[] header(String name, int mode, long size, char type) {
        byte[] bytes = name.getBytes(StandardCharsets.US_ASCII);
        if (bytes.length > 100 || !name.matches("[A-Za-z0-9._/-]+")) {
            throw new IllegalArgumentException("not a ustar name: " + name);
        }
        byte[] h = new byte[BLOCK];
        System.arraycopy(bytes, 0, h, 0, bytes.length);
        octal(h, 100, 8, mode);
        octal(h, 108, 8, 0); // uid
        octal(h, 116, 8, 0); // gid
        octal(h, 124, 12, size);
        octal(h, 136, 12, mtime);
        h[156] = (byte) type;
        ascii(h, 257, "ustar\0");
        ascii(h, 263, "00");
        ascii(h, 265, "portcullis");
        ascii(h, 297, "portcullis");
        for (int i = 148; i < 156; i++) {
            h[i] = ' '; // the checksum is summed with its own field as spaces
        }
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        octal(h, 148, 7, sum);
        return h;
    }

    /** {@code width - 1} octal digits and a NUL, as ustar numbers are written. */
    private static void octal(byte[] h, int offset, int width, long value) {
        String digits = Long.toOctalString(value);
        String padded = "0".repeat(width - 1 - digits.length()) + digits;
        ascii(h, offset, padded);
        h[offset + width - 1] = 0;
    }

    private static void ascii(byte[] h, int offset, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, h, offset, b.length);
    }

    /** Two zero blocks end the archive. */
    @Override
    public void close() throws IOException {
        out.write(new byte[2 * BLOCK]);
        out.flush();
    }
}
