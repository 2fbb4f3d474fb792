package dev.portcullis.recording.cli;

import dev.portcullis.recording.FileSystemRecordingStorage;
import dev.portcullis.recording.RecordingVerifier;
import dev.portcullis.recording.event.TerminalEvent;
import dev.portcullis.recording.read.RecordingReader;
import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;

/**
 * {@code export <recordings-dir> <recording-id> <public-key-file> [output|error|input|cast|events]}: writes one stream
 * of a recording to stdout, after checking it with the key like {@link VerifyCommand}: {@code output} (the default),
 * {@code error} and {@code input} are the exact bytes that crossed the channel (format 3; older formats stored text),
 * {@code cast} the asciicast v2 file, {@code events} the structured events as JSON Lines. Exit code 0 written,
 * 1 the recording does not verify (nothing, or only what was checked before the problem, is written), 64 usage or
 * unreadable input.
 */
public final class ExportCommand {

    private ExportCommand() {}

    public static void main(String[] args) {
        PrintStream stdout = new PrintStream(new FileOutputStream(FileDescriptor.out), false);
        int code = run(args, new BufferedOutputStream(stdout, 1 << 16), System.err);
        stdout.flush();
        System.exit(code);
    }

    public static int run(String[] args, OutputStream out, PrintStream err) {
        if (args.length < 3 || args.length > 4) {
            err.println(
                    "usage: export <recordings-dir> <recording-id> <public-key-file> [output|error|input|cast|events]");
            return 64;
        }
        String what = args.length == 4 ? args[3].toLowerCase(Locale.ROOT) : "output";
        if (!java.util.List.of("output", "error", "input", "cast", "events").contains(what)) {
            err.println("export: unknown stream '" + args[3] + "': output, error, input, cast or events");
            return 64;
        }
        RecordingReader reader;
        try {
            reader = RecordingReader.openVerified(
                    new FileSystemRecordingStorage(Path.of(args[0])),
                    args[1],
                    VerifyCommand.readKey(Path.of(args[2])),
                    RecordingVerifier.Expected.NOTHING);
        } catch (dev.portcullis.recording.format.MalformedRecordingException e) {
            err.println("export: " + args[1] + " does not verify: " + e.getMessage());
            return 1;
        } catch (IOException | IllegalArgumentException e) {
            err.println("cannot export " + args[1] + ": " + e.getMessage());
            return 64;
        }
        try {
            switch (what) {
                case "cast" -> reader.exportCast(out);
                case "events" -> reader.exportEvents(out);
                case "error" -> reader.exportBytes(out, TerminalEvent.Type.ERROR);
                case "input" -> reader.exportBytes(out, TerminalEvent.Type.INPUT);
                default -> reader.exportBytes(out, TerminalEvent.Type.OUTPUT);
            }
            out.flush();
            return 0;
        } catch (dev.portcullis.recording.format.MalformedRecordingException e) {
            err.println("export: " + args[1] + " stopped: " + e.getMessage());
            return 1;
        } catch (IOException e) {
            err.println("cannot export " + args[1] + ": " + e.getMessage());
            return 64;
        }
    }
}
