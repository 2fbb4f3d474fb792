package dev.portcullis.recording;

import dev.portcullis.recording.event.ExecEvent;
import dev.portcullis.recording.format.ChunkCodec;
import dev.portcullis.recording.format.ChunkRecords;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/** Shared test set-up for the recorders: a signing key made at run time, storages in temp dirs, bounded waits. */
public final class Fixtures {

    /** Generated per test run; no key is ever committed. */
    public static final RecordingSigner SIGNER = RecordingSigner.generate();

    private Fixtures() {}

    public static Recordings recordings(RecordingStorage storage, WriterOptions options, RecordingClock clock) {
        return new Recordings(storage, SIGNER, options, clock);
    }

    /** Small chunks so that even a short session spans many of them. */
    public static WriterOptions smallChunks() {
        return WriterOptions.defaults().withMaxChunkBytes(80);
    }

    public static RecordingMetadata metadata(Recordings recordings) {
        return recordings
                .newMetadata()
                .terminalSize(100, 30)
                .title("alice@prod-web-1")
                .env("TERM", "xterm-256color")
                .env("SHELL", "/bin/bash")
                .attribute("user", "alice")
                .attribute("target", "prod-web-1")
                .attribute("protocol", "ssh")
                .build();
    }

    /** Records a short closed session over several chunks: prompts, commands, multi-byte output, a resize, an exec event. */
    public static SessionRecording recordSampleSession(Recordings recordings) throws IOException {
        SessionRecording recording = recordings.start(metadata(recordings), RecordingFailureListener.none());
        for (int i = 0; i < 12; i++) {
            recording.terminal().output(utf8("alice@prod-web-1:~$ "));
            recording.terminal().input(utf8("echo line " + i + "\r"));
            recording.terminal().output(utf8("echo line " + i + "\r\nline " + i + " — ünïcödé ✓\r\n"));
        }
        recording.terminal().resize(120, 40);
        recording.events().record(new ExecEvent("uptime"));
        recording.close("client disconnected", 0);
        return recording;
    }

    /** Every record of a format-3 recording, chunk after chunk, decompressed and parsed. */
    public static List<ChunkRecords.Entry> records(RecordingStorage storage, String id) throws IOException {
        List<ChunkRecords.Entry> records = new java.util.ArrayList<>();
        for (long index : storage.chunkIndexes(id)) {
            byte[] chunk = storage.chunk(id, index);
            ChunkChain.Link link = ChunkChain.link(chunk);
            byte[] payload = ChunkCodec.decode(link.codec(), chunk, link.payloadOffset(), link.rawBytes());
            ChunkRecords.read(payload, link.firstMicros(), link.lastMicros(), records::add);
        }
        return records;
    }

    public static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** Waits for a condition for at most {@code timeout}; says nothing about how fast things are. */
    public static boolean eventually(Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return true;
            }
            TimeUnit.MILLISECONDS.sleep(10);
        }
        return condition.getAsBoolean();
    }

    /** The chunk files of a {@link FileSystemRecordingStorage} recording directory, in order. */
    public static List<Path> chunkFiles(Path recordingDirectory) {
        if (!Files.isDirectory(recordingDirectory)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(recordingDirectory)) {
            return files.filter(file -> file.getFileName().toString().matches("chunk-\\d{8}\\.bin"))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            // The directory can vanish or change under a test that breaks it on purpose.
            return List.of();
        }
    }

    public static Path chunkFile(Path recordingDirectory, long index) {
        return recordingDirectory.resolve(String.format("chunk-%08d.bin", index));
    }

    /** The java launcher of this JVM, for tests that need a second process. */
    public static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
