package dev.portcullis.recording.s3;

import dev.portcullis.local.BenchmarkFigures;
import dev.portcullis.local.LocalS3;
import dev.portcullis.recording.FileSystemRecordingStorage;
import dev.portcullis.recording.RecordingClock;
import dev.portcullis.recording.RecordingFailureListener;
import dev.portcullis.recording.RecordingSeekBenchmark;
import dev.portcullis.recording.RecordingSigner;
import dev.portcullis.recording.RecordingStorage;
import dev.portcullis.recording.Recordings;
import dev.portcullis.recording.SessionRecording;
import dev.portcullis.recording.WriterOptions;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The recording store on S3 (S3Proxy on loopback, or any S3 given by {@code bench.s3.*}): how long a session's end
 * takes to have its signed manifest stored, over {@code bench.sessions} sessions, against the filesystem store in the
 * same run; and a seek to 50 minutes of a 1 GiB one-hour recording ({@link RecordingSeekBenchmark}'s recording and
 * reads), against reading from its start. Run by {@code deploy/bench/s3.sh}; the page goes to
 * {@code bench.output.s3store}.
 */
@Tag("benchmark")
class S3RecordingBenchmark {

    private static final int SESSIONS = Integer.getInteger("bench.sessions", 1000);
    private static final long SEEK_BYTES = Long.getLong("bench.seek.bytes", 1L << 30);
    private static final int SEEK_ROUNDS = Integer.getInteger("bench.seek.rounds", 7);

    @Test
    void sessionEndAndSeekOnS3(@TempDir Path dir) throws Exception {
        try (LocalS3 server = LocalS3.start(dir.resolve("s3"), 0)) {
            S3Settings settings = new S3Settings(
                    server.createBucket("recordings"),
                    URI.create(server.endpoint()),
                    server.region(),
                    "bench/",
                    true,
                    server.accessKeyId(),
                    server.secretAccessKey(),
                    null,
                    null);
            try (S3Client writer = S3Clients.writer(settings)) {
                S3RecordingStorage s3 = new S3RecordingStorage(writer, settings, settings.segmentPrefix("bench"));
                sessionEnds(new FileSystemRecordingStorage(dir.resolve("fs")), Math.min(SESSIONS, 50)); // warm-up
                sessionEnds(s3, Math.min(SESSIONS, 50));
                List<Double> fs = sessionEnds(new FileSystemRecordingStorage(dir.resolve("fs")), SESSIONS);
                List<Double> onS3 = sessionEnds(s3, SESSIONS);

                RecordingSeekBenchmark.Seek seek = RecordingSeekBenchmark.measure(s3, SEEK_BYTES, SEEK_ROUNDS);
                write(fs, onS3, seek, seek);
            }
        }
    }

    /** Milliseconds from each session's end (close) to its signed manifest stored, sessions one after another. */
    private static List<Double> sessionEnds(RecordingStorage storage, int sessions) throws Exception {
        RecordingSigner signer = RecordingSigner.generate();
        Recordings recordings = new Recordings(storage, signer, WriterOptions.defaults(), RecordingClock.system());
        byte[] screen = "$ ls -l\r\ntotal 0\r\n-rw-r--r-- 1 alice alice 0 Dec  7 14:00 notes.txt\r\n"
                .getBytes(StandardCharsets.UTF_8);
        List<Double> millis = new ArrayList<>();
        for (int i = 0; i < sessions; i++) {
            SessionRecording recording = recordings.start(
                    recordings.newMetadata().title("bench " + i).build(), RecordingFailureListener.none());
            recording.terminal().output(screen);
            long start = System.nanoTime();
            recording.close("client disconnected", 0);
            millis.add((System.nanoTime() - start) / 1e6);
        }
        return millis;
    }

    private static double percentile(List<Double> values, double p) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p * sorted.size()) - 1));
    }

    private static void write(
            List<Double> fs, List<Double> s3, RecordingSeekBenchmark.Seek seek, RecordingSeekBenchmark.Seek written)
            throws Exception {
        double s3p99 = percentile(s3, 0.99);
        double fsp99 = percentile(fs, 0.99);
        String md = "# Recordings on S3\n\n"
                + "Run by `deploy/bench/s3.sh` (JUnit `S3RecordingBenchmark`, tag `benchmark`), against S3Proxy on "
                + "loopback (filesystem-nio2 provider) started by local-servers' `LocalS3`, with the bastion's S3 client "
                + "(JDK HTTP client, no retries).\n\n"
                + String.format(
                        Locale.ROOT,
                        "## Session end to signed manifest stored%n%n%d sessions one after "
                                + "another, each a screen of output; the time from `SessionRecording.close` (the session's end) to "
                                + "its return, when the last chunk, the signed manifest and its signature are stored.%n%n"
                                + "| store | p50 ms | p99 ms | max ms |%n| --- | ---: | ---: | ---: |%n"
                                + "| S3 | %.1f | %.1f | %.1f |%n| filesystem (same run) | %.1f | %.1f | %.1f |%n%n",
                        s3.size(),
                        percentile(s3, 0.5),
                        s3p99,
                        percentile(s3, 1.0),
                        percentile(fs, 0.5),
                        fsp99,
                        percentile(fs, 1.0))
                + String.format(
                        Locale.ROOT,
                        "## Seek%n%n`RecordingSeekBenchmark`'s one-hour recording of %.0f MiB, "
                                + "%d chunks written to S3 in %.1f s; `RecordingReader.openVerified` (signed manifest checked once, "
                                + "each chunk read checked against it, one GET per chunk read) and the first terminal event at the "
                                + "time, median of %d.%n%n| read | milliseconds |%n| --- | ---: |%n"
                                + "| first event from the start | %.1f |%n| first event at 50 min | %.1f |%n",
                        SEEK_BYTES / 1048576.0,
                        written.chunks(),
                        written.writeSeconds(),
                        SEEK_ROUNDS,
                        seek.startMs(),
                        seek.seekMs());
        String out = System.getProperty("bench.output.s3store");
        if (out != null) {
            Files.writeString(Path.of(out), md);
            new BenchmarkFigures("benchmarks/" + Path.of(out).getFileName())
                    .add(
                            "session end to signed manifest stored in S3, p99 of " + s3.size() + " sessions",
                            s3p99,
                            "ms",
                            "the same on the filesystem store, p99",
                            Math.max(fsp99, 0.001),
                            "value<=2000")
                    .add(
                            "replay seek to 50 min of a 1 GiB recording on S3",
                            seek.seekMs(),
                            "ms",
                            "the first event from the start of the same recording on S3",
                            seek.startMs(),
                            "value<=300")
                    .writeBeside(Path.of(out));
        }
        System.out.println(md);
    }
}
