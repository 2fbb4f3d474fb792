package dev.portcullis.bastion.server;

import java.io.IOException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

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
     * move rare; the limit keeps the bastion's heap bounded per session.
     */
    static final int LARGE = 1024 * 1024;
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
        int[] d = depth.get();
        if (d[0] > MAX_INLINE_DEPTH) {
            executor.execute(this::readNext);
            return;
        }
        d[0]++;
        try {
            buffer.clear();
            from.read(buffer).addListener(this::onRead);
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
            IoWriteFuture written = to.writeBuffer(read);
            written.addListener(w -> {
                if (w.isWritten()) {
                    readNext();
                } else {
                    end(w.getException());
                }
            });
        } catch (IOException | RuntimeException e) {
            end(e);
        }
    }

    /**
     * Picks the buffer for the next read from how much this one took; the current one stays in use until written.
     * A read that filled the buffer doubles it; a read that used less than half of it sizes the next one to fit it,
     * so a relay that goes quiet after a burst (its last read being the rest of the burst) does not keep a megabyte.
     */
    private void resize(int read, int size) {
        if (read >= size && size < LARGE) {
            buffer = new ByteArrayBuffer(Math.min(LARGE, size * 2), false);
        } else if (read < size / 2 && size > SMALL) {
            buffer = new ByteArrayBuffer(Math.max(SMALL, Integer.highestOneBit(read - 1) << 1), false);
        }
    }

    private void end(Throwable why) {
        if (ended.compareAndSet(false, true)) {
            onEnd.accept(why);
        }
    }
}
