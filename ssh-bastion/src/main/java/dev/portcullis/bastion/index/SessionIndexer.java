package dev.portcullis.bastion.index;

import dev.portcullis.recording.RecordingMetadata;
import dev.portcullis.recording.RecordingTap;
import dev.portcullis.recording.event.ExecEvent;
import dev.portcullis.recording.event.FileOperationEvent;
import dev.portcullis.recording.event.FileTransferEvent;
import dev.portcullis.recording.event.ForwardEvent;
import dev.portcullis.recording.event.QueryEvent;
import dev.portcullis.recording.event.SessionEvent;
import dev.portcullis.recording.event.StructuredEvent;
import dev.portcullis.recording.event.TerminalEvent;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * The search index's view of one recording. As a {@link RecordingTap} it only queues what is recorded (it runs on the
 * session's I/O thread); {@link #drain()}, on the feed's thread, turns the queue into {@link IndexEntry index
 * entries}: typed shell lines ({@link LineEditor}), output lines ({@link OutputLines}) and the structured events.
 *
 * <p>Keystrokes are rebuilt into lines only on shell channels (an exec channel's input is a program's stdin, not
 * typing). Output is indexed for shells and exec commands, not for SFTP or scp, whose output is a file protocol,
 * and only as much of it as {@link OutputBudget} allows (no binary output, bulk text sampled); when a session still
 * outruns the feed, output beyond {@link #MAX_QUEUED_BYTES} waiting bytes is left out too. What is left out is
 * counted (the recording has it all); keystrokes and events are never left out.
 */
public final class SessionIndexer implements RecordingTap {

    static final long MAX_QUEUED_BYTES = 4L * 1024 * 1024;

    /** @param afterGap output before this record was left out: a line that was open then is not continued */
    private record Item(TerminalEvent.Type stream, long micros, byte[] data, StructuredEvent event, boolean afterGap) {}

    private final UUID session;
    private final boolean shell;
    private final boolean output;
    private final ArrayDeque<Item> queue = new ArrayDeque<>();
    private long queuedBytes;
    private long skippedBytes;
    private final OutputBudget budget = new OutputBudget();
    /** Output was left out since the last output queued. */
    private boolean gap;

    private boolean ended;
    private final LineEditor keys = new LineEditor();
    private final OutputLines screen = new OutputLines();
    private long lastOutputMicros;

    SessionIndexer(UUID session, boolean shell, boolean output) {
        this.session = session;
        this.shell = shell;
        this.output = output;
    }

    /** The indexer of a recording, or null for one that is not a session's (no {@code session} attribute). */
    static SessionIndexer of(RecordingMetadata metadata) {
        String id = metadata.attributes().get("session");
        if (id == null) {
            return null;
        }
        String channel = metadata.attributes().getOrDefault("channel", "");
        String command =
                metadata.attributes().getOrDefault("command", "").strip().toLowerCase(Locale.ROOT);
        boolean fileProtocol = channel.equals("sftp") || command.startsWith("scp ") || command.contains("/scp ");
        return new SessionIndexer(
                UUID.fromString(id),
                channel.equals("shell"),
                (channel.equals("shell") || channel.equals("exec")) && !fileProtocol);
    }

    public UUID session() {
        return session;
    }

    @Override
    public synchronized void bytes(TerminalEvent.Type stream, long micros, byte[] data) {
        if (stream == TerminalEvent.Type.INPUT ? !shell : !output) {
            return;
        }
        boolean afterGap = false;
        if (stream != TerminalEvent.Type.INPUT) {
            if (!budget.take(data, micros)) {
                gap = true;
                return;
            }
            if (queuedBytes + data.length > MAX_QUEUED_BYTES) {
                skippedBytes += data.length;
                gap = true;
                return;
            }
            afterGap = gap;
            gap = false;
        }
        queuedBytes += data.length;
        queue.add(new Item(stream, micros, data, null, afterGap));
    }

    @Override
    public synchronized void event(long micros, StructuredEvent event) {
        queue.add(new Item(null, micros, null, event, false));
        if (event instanceof SessionEvent s && s.phase() == SessionEvent.Phase.END) {
            ended = true;
        }
    }

    /** Whether the session ended and everything it recorded was drained. */
    synchronized boolean finished() {
        return ended && queue.isEmpty();
    }

    /** Output bytes left out of the index so far because the feed fell behind. */
    synchronized long skippedBytes() {
        return skippedBytes;
    }

    /** Output bytes left out of the index so far as binary. */
    synchronized long binaryBytes() {
        return budget.binaryBytes();
    }

    /** Text output left out of the index so far as more than {@link OutputBudget} takes. */
    synchronized long overBudgetBytes() {
        return budget.overBudgetBytes();
    }

    /** The entries of what was recorded since the last call (feed thread only). */
    List<IndexEntry> drain() {
        List<Item> items;
        synchronized (this) {
            items = new ArrayList<>(queue);
            queue.clear();
            queuedBytes = 0;
        }
        List<IndexEntry> entries = new ArrayList<>();
        for (Item item : items) {
            if (item.event() != null) {
                event(item.micros(), item.event(), entries);
            } else if (item.stream() == TerminalEvent.Type.INPUT) {
                for (LineEditor.TypedLine line : keys.feed(item.data())) {
                    entries.add(new IndexEntry(
                            session,
                            item.micros(),
                            IndexEntry.Kind.COMMAND,
                            line.text(),
                            line.certain() ? null : "rebuilt from keystrokes; completion or older history not known"));
                }
            } else {
                lastOutputMicros = item.micros();
                if (item.afterGap()) {
                    screen.gap();
                }
                for (String line : screen.feed(item.data())) {
                    if (readable(line)) {
                        entries.add(new IndexEntry(session, item.micros(), IndexEntry.Kind.OUTPUT, line, null));
                    }
                }
            }
        }
        return entries;
    }

    private void event(long micros, StructuredEvent event, List<IndexEntry> entries) {
        IndexEntry entry = null;
        if (event instanceof ExecEvent x) {
            entry = new IndexEntry(session, micros, IndexEntry.Kind.EXEC, x.command(), null);
        } else if (event instanceof QueryEvent x) {
            entry = new IndexEntry(session, micros, IndexEntry.Kind.QUERY, query(x), outcome(x));
        } else if (event instanceof FileTransferEvent x) {
            entry = new IndexEntry(
                    session,
                    micros,
                    IndexEntry.Kind.FILE,
                    lower(x.protocol()) + " " + lower(x.direction()) + " " + x.path(),
                    x.bytes() + " bytes");
        } else if (event instanceof FileOperationEvent x) {
            entry = new IndexEntry(
                    session,
                    micros,
                    IndexEntry.Kind.FILE,
                    lower(x.protocol()) + " " + lower(x.operation()) + " " + x.path()
                            + (x.targetPath() == null ? "" : " -> " + x.targetPath()),
                    null);
        } else if (event instanceof ForwardEvent x) {
            entry = new IndexEntry(
                    session,
                    micros,
                    IndexEntry.Kind.FORWARD,
                    "forward " + x.host() + ":" + x.port() + (x.origin() == null ? "" : " from " + x.origin()),
                    x.bytesToTarget() + " bytes to the target, " + x.bytesFromTarget() + " back");
        } else if (event instanceof SessionEvent x && x.phase() == SessionEvent.Phase.END) {
            String rest = screen.rest();
            if (readable(rest)) {
                entries.add(new IndexEntry(session, lastOutputMicros, IndexEntry.Kind.OUTPUT, rest, null));
            }
        }
        if (entry != null) {
            entries.add(entry);
        }
    }

    private static String query(QueryEvent x) {
        if (x.parameters() == null || x.parameters().isEmpty()) {
            return x.query();
        }
        StringBuilder s = new StringBuilder(x.query()).append("  -- parameters:");
        for (int i = 0; i < x.parameters().size(); i++) {
            s.append(" $").append(i + 1).append('=').append(x.parameters().get(i));
        }
        return s.toString();
    }

    private static String outcome(QueryEvent x) {
        if (x.error() != null) {
            return "error " + (x.sqlState() == null ? "" : x.sqlState() + " ") + x.error();
        }
        String tag = x.command() == null ? "" : x.command();
        String rows = x.rows() == null ? "" : x.rows() + " rows";
        String both = (tag + (tag.isEmpty() || rows.isEmpty() ? "" : ", ") + rows);
        return both.isEmpty() ? null : both;
    }

    /** Text, not binary output shown as replacement characters. */
    private static boolean readable(String line) {
        if (line.isEmpty()) {
            return false;
        }
        long bad = line.chars().filter(c -> c == 0xFFFD).count();
        return bad * 10 <= line.length();
    }

    private static String lower(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT).replace('_', ' ');
    }
}
