package dev.portcullis.bastion.server;

import java.io.IOException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.apache.sshd.common.channel.ChannelAsyncOutputStream;
import org.apache.sshd.common.io.IoInputStream;
import org.apache.sshd.common.io.IoOutputStream;
import org.apache.sshd.common.io.IoReadFuture;
import org.apache.sshd.common.io.IoWriteFuture;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;

/**
 * Moves bytes from one SSH channel stream to another without a thread of its own: read, show the bytes to the
 * {@link Tap} (the recorder), write, and only then read again. One outstanding write at a time is the back
 * pressure: a slow reader on one side fills the SSH window of the other, never the bastion's heap.
 * The tap sees every byte before it is forwarded; a tap that throws stops the relay before the bytes move.
 */
final class Relay {

    /** Looks at bytes on their way through; throwing stops the relay before they are forwarded. */
    interface Tap {
        void accept(byte[] data, int offset, int length) throws IOException;
    }

    /** Where every relay starts, and returns to when the stream is quiet: an interactive session rarely fills it. */
    private static final int SMALL = 32 * 1024;
    /**
     * The most one read takes. MINA keeps what arrived on a channel in one buffer and, after every read, moves what
     * the read did not take to its front: with reads much smaller than the channel's window (2 MiB), a bulk transfer
     * moved each byte dozens of times (perf: a third of its I/O threads' samples). Reading as much as is there makes that
     * move rare; the limit keeps the bastion's heap bounded per session. It stays below half of G1's smallest region
     * (1 MiB), so a read buffer is never a humongous object: G1 allocates those outside the young generation and
     * started a collection for most of them (a 1 MiB buffer in a bulk transfer did).
     */
    static final int LARGE = 512 * 1024 - 64;
    /** What a write is cut into when the far side's packet size is not known. */
    private static final int DEFAULT_PACKET = 32 * 1024;

    private static final int MAX_INLINE_DEPTH = 16;

    private final IoInputStream from;
    private final IoOutputStream to;
    private final Tap tap;
    private final Consumer<Throwable> onEnd;
    private final Executor executor;
    private final AtomicBoolean ended = new AtomicBoolean();
    private final ThreadLocal<int[]> depth = ThreadLocal.withInitial(() -> new int[1]);
    /**
     * One buffer per relay, reused: only one read or one write is ever outstanding, and the tap copies what it keeps.
     * It doubles while reads fill it (a bulk transfer) up to {@link #LARGE} and shrinks to fit a read that used less
     * than half of it, down to {@link #SMALL}, so a thousand quiet sessions hold small buffers.
     */
    private ByteArrayBuffer buffer = new ByteArrayBuffer(SMALL, false);
    /** The largest piece one write hands to the channel; read once the channel is open (0 until then). */
    private int packet;

    /**
     * @param onEnd told once: null after end of stream, or what stopped the relay
     * @param executor where to continue when completions keep arriving inline, so the stack stays shallow
     */
    Relay(IoInputStream from, IoOutputStream to, Tap tap, Consumer<Throwable> onEnd, Executor executor) {
        this.from = from;
        this.to = to;
        this.tap = tap;
        this.onEnd = onEnd;
        this.executor = executor;
    }

    void start() {
        readNext();
    }

    boolean ended() {
        return ended.get();
    }

    private void readNext() {
        if (ended.get()) {
            return;
        }
        inline(() -> {
            buffer.clear();
            from.read(buffer).addListener(this::onRead);
        });
    }

    /**
     * Runs a step on this thread while completions arriving inline have not nested too deep, else on the executor,
     * so the stack stays shallow.
     */
    private void inline(Runnable step) {
        int[] d = depth.get();
        if (d[0] > MAX_INLINE_DEPTH) {
            executor.execute(step);
            return;
        }
        d[0]++;
        try {
            step.run();
        } catch (RuntimeException e) {
            end(e);
        } finally {
            d[0]--;
        }
    }

    private void onRead(IoReadFuture f) {
        Throwable failure = f.getException();
        if (failure != null) {
            end(failure instanceof java.io.EOFException ? null : failure);
            return;
        }
        int n = f.getRead();
        if (n < 0) {
            end(null);
            return;
        }
        if (n == 0) {
            readNext();
            return;
        }
        var read = f.getBuffer(); // this read's buffer; the field may name the next one's after resize
        resize(n, read.array().length);
        try {
            tap.accept(read.array(), read.rpos(), n);
        } catch (IOException | RuntimeException e) {
            end(e);
            return;
        }
        write(read.array(), read.rpos(), read.rpos() + n);
    }

    /**
     * Writes {@code data[from, end)} one packet at a time, then reads again. MINA copies the whole rest of a write
     * larger than one packet before it sends the first (it cannot know the caller will not reuse the buffer): for a
     * bulk transfer a second copy of every byte, in buffers up to {@link #LARGE}. A write of at most one packet is
     * sent from the caller's buffer, and this relay touches its buffer again only after the last piece is written.
     */
    private void write(byte[] data, int from, int end) {
        if (ended.get()) {
            return;
        }
        inline(() -> {
            int n = Math.min(end - from, packetSize());
            IoWriteFuture written;
            try {
                written = to.writeBuffer(new ByteArrayBuffer(data, from, n, true)); // true: holds n bytes to read
            } catch (IOException e) {
                end(e);
                return;
            }
            written.addListener(w -> {
                if (!w.isWritten()) {
                    end(w.getException());
                } else if (from + n < end) {
                    write(data, from + n, end);
                } else {
                    readNext();
                }
            });
        });
    }

    private int packetSize() {
        if (packet == 0) {
            long size = to instanceof ChannelAsyncOutputStream out
                    ? out.getChannel().getRemoteWindow().getPacketSize()
                    : 0;
            packet = size > 0 ? (int) Math.min(size, LARGE) : DEFAULT_PACKET;
        }
        return packet;
    }

    /**
     * Picks the buffer for the next read from how much this one took; the current one stays in use until written.
     * A read that filled the buffer doubles it; a read that used less than a quarter of it sizes the next one to fit
     * it, so a relay that goes quiet after a burst (its last read being the rest of the burst) does not keep half a
     * megabyte, while the uneven reads of a bulk transfer do not make it shrink and grow again all the time.
     */
    private void resize(int read, int size) {
        if (read >= size && size < LARGE) {
            buffer = new ByteArrayBuffer(Math.min(LARGE, size * 2), false);
        } else if (read < size / 4 && size > SMALL) {
            buffer = new ByteArrayBuffer(Math.max(SMALL, Integer.highestOneBit(read - 1) << 1), false);
        }
    }

    private void end(Throwable why) {
        if (ended.compareAndSet(false, true)) {
            onEnd.accept(why);
        }
    }
}
