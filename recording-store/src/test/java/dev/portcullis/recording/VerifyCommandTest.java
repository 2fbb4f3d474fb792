package dev.portcullis.recording;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Base64;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.portcullis.recording.cli.VerifyCommand;

@Tag("unit")
class VerifyCommandTest {

    @Test
    void exitCodesTellValidTamperedIncompleteAndBadInputApart(@TempDir Path root) throws Exception {
        FileSystemRecordingStorage storage = new FileSystemRecordingStorage(root.resolve("store"));
        RecordingSigner signer = RecordingSigner.generate();
        ChunkedRecording done = ChunkedRecording.create(storage, "done", "{}", Clock.systemUTC());
        done.append("hello".getBytes());
        done.close(signer);
        ChunkedRecording open = ChunkedRecording.create(storage, "open", "{}", Clock.systemUTC());
        open.append("partial".getBytes());
        Path key = root.resolve("key.pub");
        Files.writeString(key, Base64.getEncoder().encodeToString(signer.publicKey().getEncoded()));
        String store = root.resolve("store").toString();

        assertThat(run(store, "done", key.toString())).isEqualTo(0);
        assertThat(run(store, "open", key.toString())).isEqualTo(2);
        Path chunk = root.resolve("store/done/chunk-00000001.bin");
        byte[] bytes = Files.readAllBytes(chunk);
        bytes[bytes.length - 1] ^= 1;
        Files.write(chunk, bytes);
        assertThat(run(store, "done", key.toString())).isEqualTo(1);
        assertThat(run(store, "nope", key.toString())).isEqualTo(1);
        assertThat(run(store, "done")).isEqualTo(64);
        Files.writeString(key, "not a key");
        assertThat(run(store, "done", key.toString())).isEqualTo(64);
    }

    private static int run(String... args) {
        return VerifyCommand.run(args, new PrintStream(new ByteArrayOutputStream()), new PrintStream(new ByteArrayOutputStream()));
    }
}
