package dev.portcullis.recording;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.local.BenchmarkFigures;
import dev.portcullis.recording.RecordingVerifier.Expected;
import dev.portcullis.recording.event.TerminalEvent;
import dev.portcullis.recording.read.RecordingReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeking in a large recording: writes a one-hour recording of {@code bench.seek.bytes} (1 GiB) of terminal output
 * through the real writer and file store, on a fake clock that spreads the output evenly over the hour, then times
 * opening it verified (signed manifest) and reading the first event at the 50-minute mark, against reading the first
 * event from the start in the same run. Run by {@code deploy/bench/bastion.sh}; the page goes to
 * {@code bench.output.seek} (bastion-seek.md, so its figures belong to bastion.sh).
 */
@Tag("benchmark")
public class RecordingSeekBenchmark {

    private static final long BYTES = Long.getLong("bench.seek.bytes", 1L << 30);
    private static final int ROUNDS = Integer.getInteger("bench.seek.rounds", 7);
    private static final Duration LENGTH = Duration.ofHours(1);
    private static final double MARK_SECONDS = 50 * 60;

    /** What one run measured: medians of {@code rounds} reads, and how the recording was written. */
    public record Seek(double seekMs, double startMs, int chunks, double writeSeconds, String id) {}

    /**
     * Writes a one-hour recording of {@code bytes} to {@code storage} and times the first event at 50 minutes and
     * from the start (also used for the S3 store by recording-s3's S3RecordingBenchmark).
     */
    public static Seek measure(RecordingStorage storage, long bytes, int rounds) throws IOException {
        RecordingSigner signer = RecordingSigner.generate();
        ManualClock clock = new ManualClock();
        Recordings recordings = new Recordings(storage, signer, WriterOptions.defaults(), clock);
        SessionRecording recording = recordings.start(
                recordings.newMetadata().title("seek benchmark").build(), RecordingFailureListener.none());
        byte[] piece = terminalOutput(32 * 1024);
        long pieces = Math.max(1, bytes / piece.length);
        long stepNanos = LENGTH.toNanos() / pieces;
        long writeStart = System.nanoTime();
        for (long i = 0; i < pieces; i++) {
            recording.terminal().output(piece);
            clock.advance(Duration.ofNanos(stepNanos));
        }
        recording.close("benchmark", 0);
        double writeSeconds = (System.nanoTime() - writeStart) / 1e9;
        String id = recording.id();
        int chunks = storage.chunkIndexes(id).size();
        List<Double> fromStart = new ArrayList<>();
        List<Double> seek = new ArrayList<>();
        for (int round = 0; round < rounds; round++) {
            fromStart.add(firstEventMillis(storage, id, signer, 0));
            seek.add(firstEventMillis(storage, id, signer, MARK_SECONDS));
        }
        return new Seek(median(seek), median(fromStart), chunks, writeSeconds, id);
    }

    @Test
    void seekToFiftyMinutes(@TempDir Path dir) throws Exception {
        Seek run = measure(new FileSystemRecordingStorage(dir), BYTES, ROUNDS);
        long onDisk = sizeOnDisk(dir.resolve(run.id()));
        int chunks = run.chunks();
        double writeSeconds = run.writeSeconds();
        double seekMs = run.seekMs();
        double startMs = run.startMs();

        String md = "# Seeking in a recording\n\n"
                + "Run by `deploy/bench/bastion.sh` (JUnit `RecordingSeekBenchmark`, tag `benchmark`). A recording of "
                + String.format(
                        Locale.ROOT,
                        "%.0f MiB of terminal output (text with some random bytes) over one hour, "
                                + "written through the real writer and file store on a fake clock: %d chunks, %.1f MiB on disk, "
                                + "written in %.1f s.%n%n",
                        BYTES / 1048576.0,
                        chunks,
                        onDisk / 1048576.0,
                        writeSeconds)
                + "Each time is `RecordingReader.openVerified` with the bastion's public key (the signed manifest is "
                + "checked once, each chunk read is checked against it) plus reading the first terminal event at or "
                + String.format(
                        Locale.ROOT,
                        "after the time; median of %d, warm JVM, on %d cores.%n%n",
                        ROUNDS,
                        Runtime.getRuntime().availableProcessors())
                + "| read | milliseconds |\n| --- | ---: |\n"
                + String.format(Locale.ROOT, "| first event from the start | %.1f |%n", startMs)
                + String.format(Locale.ROOT, "| first event at 50 min | %.1f |%n", seekMs);
        String out = System.getProperty("bench.output.seek");
        if (out != null) {
            Files.writeString(Path.of(out), md);
            new BenchmarkFigures("benchmarks/" + Path.of(out).getFileName())
                    .add(
                            "seek to 50 min in a 1 GiB one-hour recording",
                            seekMs,
                            "ms",
                            "the first event from the start of the same recording",
                            startMs,
                            "value<=200")
                    .writeBeside(Path.of(out));
        }
        System.out.println(md);
    }

    private static double firstEventMillis(RecordingStorage storage, String id, RecordingSigner signer, double seconds)
            throws IOException {
        long start = System.nanoTime();
        RecordingReader reader = RecordingReader.openVerified(storage, id, signer.publicKey(), Expected.NOTHING);
        TerminalEvent first;
        try (Stream<TerminalEvent> events = reader.terminalEventsFrom(seconds)) {
            first = events.findFirst().orElseThrow();
        }
        double millis = (System.nanoTime() - start) / 1e6;
        assertThat(first.time()).isGreaterThanOrEqualTo(seconds).isLessThan(seconds + 60);
        return millis;
    }

    /** Listing-like text with changing numbers, and a tenth random bytes (as binary output would add). */
    private static byte[] terminalOutput(int size) {
        Random random = new Random(50);
        StringBuilder text = new StringBuilder();
        for (int line = 0; text.length() < size * 9 / 10; line++) {
            text.append(String.format(
                    Locale.ROOT,
                    "-rw-r--r-- 1 root root %8d Dec  7 14:%02d lib%05d.so.%d\r\n",
                    random.nextInt(10_000_000),
                    line % 60,
                    random.nextInt(100_000),
                    line % 7));
        }
        byte[] out = java.util.Arrays.copyOf(text.toString().getBytes(StandardCharsets.UTF_8), size);
        byte[] noise = new byte[size / 10];
        random.nextBytes(noise);
        System.arraycopy(noise, 0, out, size - noise.length, noise.length);
        return out;
    }

    private static long sizeOnDisk(Path recording) throws IOException {
        try (Stream<Path> files = Files.list(recording)) {
            return files.mapToLong(p -> p.toFile().length()).sum();
        }
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }
}
