package dev.portcullis.recording.read;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portcullis.recording.FileSystemRecordingStorage;
import dev.portcullis.recording.Fixtures;
import dev.portcullis.recording.RecordingClock;
import dev.portcullis.recording.Recordings;
import dev.portcullis.recording.event.TerminalEvent;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AsciicastExportTest {

    @TempDir
    Path root;

    private FileSystemRecordingStorage storage;
    private RecordingReader reader;

    @BeforeEach
    void recordSession() throws Exception {
        storage = new FileSystemRecordingStorage(root);
        Recordings recordings = Fixtures.recordings(storage, Fixtures.smallChunks(), RecordingClock.system());
        String id = Fixtures.recordSampleSession(recordings).id();
        reader = RecordingReader.open(storage, id);
    }

    @Test
    void the_export_is_an_asciicast_v2_file_header_then_one_event_array_per_line() throws Exception {
        List<String> lines = exportLines();
        ObjectMapper json = new ObjectMapper();

        JsonNode header = json.readTree(lines.get(0));
        assertThat(header.get("version").asInt()).isEqualTo(2);
        assertThat(header.get("width").asInt()).isEqualTo(100);
        assertThat(header.get("height").asInt()).isEqualTo(30);
        assertThat(header.get("timestamp").asLong())
                .isEqualTo(reader.metadata().startedAt().getEpochSecond());
        assertThat(header.get("title").asText()).isEqualTo("alice@prod-web-1");
        assertThat(header.get("env").get("TERM").asText()).isEqualTo("xterm-256color");

        double previous = 0;
        for (String line : lines.subList(1, lines.size())) {
            JsonNode event = json.readTree(line);
            assertThat(event.isArray()).as(line).isTrue();
            assertThat(event.size()).as(line).isEqualTo(3);
            assertThat(event.get(0).isNumber()).as(line).isTrue();
            assertThat(event.get(0).asDouble()).as("times never go backwards").isGreaterThanOrEqualTo(previous);
            assertThat(event.get(1).asText()).as(line).isIn("o", "i", "r");
            assertThat(event.get(2).isTextual()).as(line).isTrue();
            previous = event.get(0).asDouble();
        }
        assertThat(lines).hasSize(1 + reader.terminalEvents().toList().size());
        assertThat(lines.get(lines.size() - 1)).contains("\"r\"", "\"120x40\"");
    }

    @Test
    void the_events_export_is_json_lines_with_a_type_each() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        reader.exportEvents(out);
        List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
        ObjectMapper json = new ObjectMapper();

        assertThat(lines).hasSize(3);
        assertThat(json.readTree(lines.get(2)).get("outputBytes").asLong()).isPositive();
        assertThat(lines)
                .allSatisfy(line -> assertThat(json.readTree(line).has("type")).isTrue());
        assertThat(json.readTree(lines.get(1)).get("command").asText()).isEqualTo("uptime");
    }

    @Test
    void asciinema_cat_accepts_the_export_and_prints_the_recorded_output() throws Exception {
        Path asciinema = executable("asciinema");
        assumeTrue(
                asciinema != null,
                "asciinema is not installed, so the export was only checked by parsing; install it with: apt-get install -y asciinema");
        Path cast = root.resolve("session.cast");
        try (var out = Files.newOutputStream(cast)) {
            reader.exportCast(out);
        }

        // asciinema cat opens /dev/tty; under a build there is none, so script(1) lends it a
        // pseudo-terminal in raw mode, which passes the bytes through unchanged.
        Path script = executable("script");
        List<String> command = script == null
                ? List.of(asciinema.toString(), "cat", cast.toString())
                : List.of(
                        script.toString(),
                        "-q",
                        "-e",
                        "-c",
                        "stty raw -echo; exec '" + asciinema + "' cat '" + cast + "'",
                        "/dev/null");
        Process process = new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        byte[] printed = process.getInputStream().readAllBytes();
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();

        assertThat(process.exitValue())
                .as(new String(printed, StandardCharsets.UTF_8))
                .isZero();
        String expected = reader.terminalEvents()
                .filter(event -> event.type() == TerminalEvent.Type.OUTPUT)
                .map(TerminalEvent::data)
                .collect(Collectors.joining());
        assertThat(new String(printed, StandardCharsets.UTF_8)).isEqualTo(expected);
    }

    private static Path executable(String name) {
        return Stream.of(System.getenv("PATH").split(File.pathSeparator))
                .map(directory -> Path.of(directory, name))
                .filter(Files::isExecutable)
                .findFirst()
                .orElse(null);
    }

    private List<String> exportLines() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        reader.exportCast(out);
        String text = out.toString(StandardCharsets.UTF_8);
        assertThat(text).endsWith("\n").doesNotContain("\n\n");
        return text.lines().toList();
    }
}
