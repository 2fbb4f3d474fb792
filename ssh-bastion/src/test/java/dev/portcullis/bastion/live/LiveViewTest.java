package dev.portcullis.bastion.live;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.bastion.Bastion;
import dev.portcullis.recording.FileSystemRecordingStorage;
import dev.portcullis.recording.RecordingClock;
import dev.portcullis.recording.RecordingSigner;
import dev.portcullis.recording.Recordings;
import dev.portcullis.recording.SessionRecording;
import dev.portcullis.recording.event.WatchEvent;
import dev.portcullis.recording.read.RecordingReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A session's live view without a server: nothing is kept while nobody watches; a watch is recorded in the session's
 * recording, streams the terminal size then the output (UTF-8 split across packets stays whole), and stops, recorded,
 * when the broker no longer names the watcher; an end instruction ends the session as TERMINATED with the line.
 */
@Tag("unit")
class LiveViewTest {

    @TempDir
    Path store;

    @Test
    void aWatchIsRecordedStreamsWhatTheUserSeesAndStopsWhenTheWatcherLeaves() throws Exception {
        FileSystemRecordingStorage storage = new FileSystemRecordingStorage(store);
        Recordings recordings =
                new Recordings(storage, RecordingSigner.generate(), Bastion.RECORDING_OPTIONS, RecordingClock.system());
        SessionRecording recording =
                recordings.start(recordings.newMetadata().terminalSize(80, 24).build(), f -> {});
        List<String> ended = new CopyOnWriteArrayList<>();
        List<List<LiveView.Frame>> sent = new CopyOnWriteArrayList<>();
        List<String> watchers = new CopyOnWriteArrayList<>(List.of("dave"));
        try (LiveViews views = new LiveViews(Clock.systemUTC(), Duration.ofMillis(10))) {
            views.sendTo((session, frames) -> {
                sent.add(frames);
                return List.copyOf(watchers);
            });
            UUID id = UUID.randomUUID();
            LiveView view =
                    views.opened(id, (status, message) -> ended.add(status + ": " + message), recording, 80, 24);
            view.output("before".getBytes(StandardCharsets.UTF_8), 0, 6);
            view.resized(100, 30);
            assertThat(view.drain()).isEmpty();

            views.watch(UUID.randomUUID(), "dave"); // not a session of this bastion
            assertThat(view.watched()).isFalse();
            views.watch(id, "dave");
            assertThat(view.watched()).isTrue();
            byte[] euro = "€ next\r\n".getBytes(StandardCharsets.UTF_8);
            view.output(euro, 0, 1); // the euro sign arrives in two packets
            view.output(euro, 1, euro.length - 1);
            String streamed = awaitText(sent, "€ next");
            assertThat(streamed).doesNotContain("before");
            assertThat(sent.get(0).get(0).kind()).isEqualTo("r");
            assertThat(sent.get(0).get(0).data()).isEqualTo("100x30");

            watchers.clear(); // dave closed the page: the broker's next answer names nobody
            for (int i = 0; i < 300 && view.watched(); i++) {
                Thread.sleep(10);
            }
            assertThat(view.watched()).isFalse();
            view.output("after".getBytes(StandardCharsets.UTF_8), 0, 5);
            assertThat(view.drain()).isEmpty();

            assertThat(views.end(UUID.randomUUID(), "not here")).isFalse();
            assertThat(views.end(id, "this session was ended by erin (admin): INC-1"))
                    .isTrue();
            assertThat(ended).containsExactly("TERMINATED: this session was ended by erin (admin): INC-1");
            views.closed(id);
        }
        recording.close();
        List<String> watches = new ArrayList<>();
        try (var events = RecordingReader.open(storage, recording.id()).events()) {
            events.filter(e -> e.event() instanceof WatchEvent).forEach(e -> {
                WatchEvent w = (WatchEvent) e.event();
                watches.add(w.viewer() + " " + w.action());
            });
        }
        assertThat(watches).containsExactly("dave STARTED", "dave STOPPED");
    }

    @Test
    void theUserIsShownOnePrintableLine() {
        assertThat(SessionInstructions.oneLine("ended\r\n\u001b[2Jby erin ")).isEqualTo("ended   [2Jby erin");
        assertThat(SessionInstructions.oneLine("x".repeat(700))).hasSize(603);
    }

    private static String awaitText(List<List<LiveView.Frame>> sent, String text) throws InterruptedException {
        for (int i = 0; i < 300; i++) {
            StringBuilder all = new StringBuilder();
            sent.forEach(batch -> batch.forEach(f -> all.append(f.data())));
            if (all.indexOf(text) >= 0) {
                return all.toString();
            }
            Thread.sleep(10);
        }
        throw new AssertionError("never streamed: " + text);
    }

    @Test
    void outputAStalledViewerCannotTakeIsDroppedUndecodedAndTheViewGoesOnAfterwards() throws Exception {
        Recordings recordings = new Recordings(
                new FileSystemRecordingStorage(store),
                RecordingSigner.generate(),
                Bastion.RECORDING_OPTIONS,
                RecordingClock.system());
        SessionRecording recording =
                recordings.start(recordings.newMetadata().terminalSize(80, 24).build(), f -> {});
        try (LiveViews views = new LiveViews(Clock.systemUTC(), Duration.ofHours(1))) { // a broker that never takes
            views.sendTo((session, frames) -> List.of("dave"));
            UUID id = UUID.randomUUID();
            LiveView view = views.opened(id, (status, message) -> {}, recording, 80, 24);
            views.watch(id, "dave");
            byte[] bulk = "x".repeat(32 * 1024).getBytes(StandardCharsets.UTF_8);
            for (int i = 0; i < 64; i++) { // 2 MiB: twice what may wait
                view.output(bulk, 0, bulk.length);
            }
            int queued = view.drain().stream()
                    .filter(f -> f.kind().equals("o"))
                    .mapToInt(f -> f.data().length())
                    .sum();
            assertThat(queued).isPositive().isLessThanOrEqualTo(LiveView.MAX_QUEUED_CHARS);
            view.output("after\r\n".getBytes(StandardCharsets.UTF_8), 0, 7);
            assertThat(view.drain()).extracting(LiveView.Frame::data).containsExactly("after\r\n");
            views.closed(id);
        }
        recording.close();
    }
}
