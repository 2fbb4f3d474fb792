package dev.portcullis.bastion.recording;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.bastion.Bastion;
import dev.portcullis.recording.FileSystemRecordingStorage;
import dev.portcullis.recording.RecordingClock;
import dev.portcullis.recording.RecordingSigner;
import dev.portcullis.recording.RecordingTap;
import dev.portcullis.recording.Recordings;
import dev.portcullis.recording.SessionRecording;
import dev.portcullis.recording.event.FileOperationEvent;
import dev.portcullis.recording.event.FileTransferEvent;
import dev.portcullis.recording.event.StructuredEvent;
import dev.portcullis.recording.event.TerminalEvent;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * What the SFTP observer records from a conversation, one case a line, no server. A conversation is packets separated
 * by {@code ;}: {@code c} from the client, {@code s} from the server, then the packet type and its fields (digits a
 * uint32, {@code qN} a uint64, {@code bN} a string of N bytes, anything else a string). The expected events are
 * separated by {@code |}; the channel ends after the last packet. Every conversation is also fed one byte at a time,
 * and must record the same.
 */
@Tag("unit")
class SftpObserverTest {

    private static final String HELLO = "c INIT 3; s VERSION 3; ";

    @TempDir
    static Path store;
    /** One store and one signing key for every case: a key per case would cost more than the cases. */
    private static Recordings recordings;

    @BeforeAll
    static void recordings() {
        recordings = new Recordings(
                new FileSystemRecordingStorage(store),
                RecordingSigner.generate(),
                Bastion.RECORDING_OPTIONS,
                RecordingClock.system());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiterString = " ==> ", quoteCharacter = '`', textBlock = """
            c OPEN 1 /up 26 0; s HANDLE 1 h; c WRITE 2 h q0 b100; c WRITE 3 h q100 b5; c CLOSE 4 h ==> UPLOAD /up 105
            c OPEN 1 /down 1 0; s HANDLE 1 h; c READ 2 h q0 4096; s DATA 2 b4096; c CLOSE 3 h ==> DOWNLOAD /down 4096
            c OPEN 1 /empty 26 0; s HANDLE 1 h; c CLOSE 2 h                    ==> UPLOAD /empty 0
            c OPEN 1 /seen 1 0; s HANDLE 1 h; c CLOSE 2 h                      ==> DOWNLOAD /seen 0
            c OPEN 1 /cut 26 0; s HANDLE 1 h; c WRITE 2 h q0 b7                ==> UPLOAD /cut 7
            c OPEN 1 x 3 0; s HANDLE 1 h; c WRITE 2 h q0 b3; c READ 3 h q0 9; s DATA 3 b2 ==> UPLOAD x 3 | DOWNLOAD x 2
            c OPEN 1 /denied 26 0; s STATUS 1 3; s HANDLE 1 h; c CLOSE 2 h     ==> NOTHING
            c READ 2 never-opened q0 10; s DATA 2 b10; c CLOSE 3 never-opened  ==> NOTHING
            c REMOVE 1 /etc/motd                                               ==> REMOVE /etc/motd
            c MKDIR 1 /tmp/d 0                                                 ==> MKDIR /tmp/d
            c RMDIR 1 /tmp/d                                                   ==> RMDIR /tmp/d
            c SETSTAT 1 /tmp/f 4 511                                           ==> SETSTAT /tmp/f
            c OPEN 1 /f 1 0; s HANDLE 1 h; c FSETSTAT 2 h 0; c CLOSE 3 h       ==> SETSTAT /f | DOWNLOAD /f 0
            c FSETSTAT 1 hx 0                                                  ==> SETSTAT handle:6878
            c RENAME 1 /a /b                                                   ==> RENAME /a -> /b
            c SYMLINK 1 /target /link                                          ==> SYMLINK /target -> /link
            c EXTENDED 1 posix-rename@openssh.com /a /b                        ==> RENAME /a -> /b
            c EXTENDED 1 hardlink@openssh.com /a /b                            ==> HARDLINK /a -> /b
            c EXTENDED 1 lsetstat@openssh.com /l 0                             ==> SETSTAT /l
            c EXTENDED 1 copy-file /a /b 0                                     ==> COPY /a -> /b
            c EXTENDED 1 statvfs@openssh.com /                                 ==> NOTHING
            c EXTENDED 1 fsync@openssh.com h                                   ==> NOTHING
            c EXTENDED 1 evil@example.com /x                                   ==> EXTENDED evil@example.com
            c REMOVE 1                                                         ==> NOTHING
            c REMOVE 1 99                                                      ==> NOTHING
            c RENAME 1 /only-one                                               ==> NOTHING
            c OPENDIR 1 /; c STAT 2 /etc; c LSTAT 3 /etc; c REALPATH 4 .       ==> NOTHING
            c REMOVE 1 /päth/ünïcode                                           ==> REMOVE /päth/ünïcode
            """)
    void records(String conversation, String expected) throws Exception {
        assertThat(observe(HELLO + conversation, false)).as("whole packets").isEqualTo(expected);
        assertThat(observe(HELLO + conversation, true)).as("one byte at a time").isEqualTo(expected);
    }

    /** The events recorded, in order, in the words of the table. */
    private String observe(String conversation, boolean byteByByte) throws Exception {
        List<String> seen = new ArrayList<>();
        recordings.tap(metadata -> new RecordingTap() {
            @Override
            public void bytes(TerminalEvent.Type stream, long micros, byte[] data) {}

            @Override
            public void event(long micros, StructuredEvent event) {
                if (event instanceof FileTransferEvent t) {
                    seen.add(t.direction() + " " + t.path() + " " + t.bytes());
                } else if (event instanceof FileOperationEvent o) {
                    seen.add(o.operation() + " " + o.path() + (o.targetPath() == null ? "" : " -> " + o.targetPath()));
                }
            }
        });
        SessionRecording recording =
                recordings.start(recordings.newMetadata().terminalSize(80, 24).build(), f -> {});
        try {
            SftpObserver observer = new SftpObserver(recording.events());
            for (String step : conversation.split(";")) {
                String[] words = step.strip().split(" +");
                byte[] packet = packet(words);
                boolean client = words[0].equals("c");
                for (int i = 0; i < packet.length; i += byteByByte ? 1 : packet.length) {
                    int n = byteByByte ? 1 : packet.length;
                    if (client) {
                        observer.fromClient(packet, i, n);
                    } else {
                        observer.fromServer(packet, i, n);
                    }
                }
            }
            observer.close();
        } finally {
            recording.close();
        }
        return seen.isEmpty() ? "NOTHING" : String.join(" | ", seen);
    }

    private static final Map<String, Integer> TYPES = Map.ofEntries(
            Map.entry("INIT", 1),
            Map.entry("VERSION", 2),
            Map.entry("OPEN", 3),
            Map.entry("CLOSE", 4),
            Map.entry("READ", 5),
            Map.entry("WRITE", 6),
            Map.entry("LSTAT", 7),
            Map.entry("SETSTAT", 9),
            Map.entry("FSETSTAT", 10),
            Map.entry("OPENDIR", 11),
            Map.entry("REMOVE", 13),
            Map.entry("MKDIR", 14),
            Map.entry("RMDIR", 15),
            Map.entry("REALPATH", 16),
            Map.entry("STAT", 17),
            Map.entry("RENAME", 18),
            Map.entry("SYMLINK", 20),
            Map.entry("STATUS", 101),
            Map.entry("HANDLE", 102),
            Map.entry("DATA", 103),
            Map.entry("EXTENDED", 200));

    /** {@code c TYPE field...} as an SFTP packet: length, type, fields. */
    private static byte[] packet(String[] words) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(TYPES.get(words[1]));
        for (int i = 2; i < words.length; i++) {
            String w = words[i];
            if (w.matches("[0-9]+")) {
                body.writeBytes(
                        ByteBuffer.allocate(4).putInt((int) Long.parseLong(w)).array());
            } else if (w.matches("q[0-9]+")) {
                body.writeBytes(ByteBuffer.allocate(8)
                        .putLong(Long.parseLong(w.substring(1)))
                        .array());
            } else if (w.matches("b[0-9]+")) {
                int n = Integer.parseInt(w.substring(1));
                body.writeBytes(ByteBuffer.allocate(4).putInt(n).array());
                body.writeBytes(new byte[n]);
            } else {
                byte[] s = w.getBytes(StandardCharsets.UTF_8);
                body.writeBytes(ByteBuffer.allocate(4).putInt(s.length).array());
                body.writeBytes(s);
            }
        }
        byte[] b = body.toByteArray();
        return ByteBuffer.allocate(4 + b.length).putInt(b.length).put(b).array();
    }
}
