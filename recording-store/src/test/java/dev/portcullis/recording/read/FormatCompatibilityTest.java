package dev.portcullis.recording.read;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.recording.FileSystemRecordingStorage;
import dev.portcullis.recording.RecordingKeys;
import dev.portcullis.recording.RecordingVerifier;
import dev.portcullis.recording.RecordingVerifier.Expected;
import dev.portcullis.recording.event.ExecEvent;
import dev.portcullis.recording.event.RecordedEvent;
import dev.portcullis.recording.event.TerminalEvent;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Recordings written by the code before format 3 (format 1: no checkpoints; format 2: checkpoints), committed as
 * fixtures whose signing key was thrown away, still replay, export and verify.
 */
@Tag("unit")
class FormatCompatibilityTest {

    @TempDir
    Path root;

    private FileSystemRecordingStorage storage() throws IOException, URISyntaxException {
        Path fixtures = Path.of(
                getClass().getResource("/recordings-before-format-3/store").toURI());
        // a copy: the store reads through directory handles and the build's resources may be read-only
        try (Stream<Path> files = Files.walk(fixtures)) {
            for (Path from : files.toList()) {
                Path to = root.resolve(fixtures.relativize(from).toString());
                if (Files.isDirectory(from)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(from, to);
                }
            }
        }
        return new FileSystemRecordingStorage(root);
    }

    private PublicKey key() throws Exception {
        return RecordingKeys.readPublicKey(Path.of(getClass()
                .getResource("/recordings-before-format-3/bastion-public.pem")
                .toURI()));
    }

    @Test
    void aFormat2RecordingReplaysExportsAndVerifies() throws Exception {
        FileSystemRecordingStorage storage = storage();
        assertThat(RecordingVerifier.verify(storage, "format-2-session", key()).status())
                .isEqualTo(RecordingVerifier.Status.VALID);
        RecordingReader reader = RecordingReader.openVerified(storage, "format-2-session", key(), Expected.NOTHING);

        assertThat(reader.terminalEvents().map(TerminalEvent::data).toList())
                .containsExactly("$ ", "ls\r", "a", "\u20acb\uFFFD\u0000\r\n", "120x40", "done\r\n");
        assertThat(reader.terminalEventsBetween(2.0, 3.0)
                        .map(TerminalEvent::time)
                        .toList())
                .containsExactly(2.0, 2.25, 2.25);
        assertThat(reader.terminalEventsFrom(3.5).map(TerminalEvent::data).toList())
                .containsExactly("done\r\n");
        assertThat(reader.events().map(RecordedEvent::event).toList()).contains(new ExecEvent("uptime"));
        assertThat(reader.duration()).isEqualTo(4.0);
        assertThat(reader.textFaithful())
                .as("formats 1 and 2 stored text: nothing to compare")
                .isTrue();
        assertThat(bytes(reader, TerminalEvent.Type.OUTPUT)).isEqualTo("$ a\u20acb\uFFFD\u0000\r\ndone\r\n");
        assertThat(bytes(reader, TerminalEvent.Type.INPUT)).isEqualTo("ls\r");
        assertThat(bytes(reader, TerminalEvent.Type.ERROR)).isEmpty();
        ByteArrayOutputStream cast = new ByteArrayOutputStream();
        reader.exportCast(cast);
        List<String> lines = cast.toString(StandardCharsets.UTF_8).lines().toList();
        assertThat(lines.get(0)).startsWith("{\"version\":2,").doesNotContain("portcullis_substituted");
        assertThat(lines).hasSize(7).contains("[2.250000,\"o\",\"\u20acb\uFFFD\\u0000\\r\\n\"]");
    }

    @Test
    void aFormat1RecordingReplaysExportsAndVerifies() throws Exception {
        FileSystemRecordingStorage storage = storage();
        assertThat(RecordingVerifier.verify(storage, "format-1-session", key()).status())
                .isEqualTo(RecordingVerifier.Status.VALID);
        RecordingReader reader = RecordingReader.openVerified(
                storage,
                "format-1-session",
                RecordingVerifier.check(storage, "format-1-session", key(), Expected.NOTHING));
        assertThat(reader.terminalEvents().map(TerminalEvent::data).toList())
                .containsExactly("h\u00e9llo \uFFFD\r\n", "bye\r\n");
        assertThat(reader.duration()).isEqualTo(3.0);
        assertThat(bytes(reader, TerminalEvent.Type.OUTPUT)).isEqualTo("h\u00e9llo \uFFFD\r\nbye\r\n");
        ByteArrayOutputStream events = new ByteArrayOutputStream();
        reader.exportEvents(events);
        assertThat(events.toString(StandardCharsets.UTF_8).lines()).hasSize(2);
    }

    private static String bytes(RecordingReader reader, TerminalEvent.Type type) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        reader.exportBytes(out, type);
        return out.toString(StandardCharsets.UTF_8);
    }
}
