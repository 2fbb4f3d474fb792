package dev.portcullis.broker;

import static dev.portcullis.broker.Api.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

import dev.portcullis.broker.recordings.RetentionSweep;
import dev.portcullis.recording.SessionRecording;
import dev.portcullis.recording.cli.VerifyCommand;
import dev.portcullis.recording.event.ExecEvent;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A session's evidence bundle, unpacked with {@code tar} in an empty directory and checked with stock tools only
 * (verify.sh, and the shell blocks of VERIFY.md one by one), then with a byte flipped in a chunk and in the manifest.
 */
@QuarkusTest
@QuarkusTestResource(BrokerTestEnvironment.class)
class EvidenceBundleTest {

    @Inject
    RetentionSweep sweep;

    private static final String OUTPUT = "$ uptime\r\n 09:30:01 up 3 days,  load average: 0.01\r\n";
    private static final Pattern SH_BLOCK = Pattern.compile("```sh\n(.*?)```", Pattern.DOTALL);

    /** A closed shell session of several chunks, recorded and indexed as a bastion does it. */
    private static UUID recordedSession(String owner) throws Exception {
        String grant = Api.activeWebGrant(owner);
        UUID id = UUID.randomUUID();
        TestBastion bastion = TestBastion.trusted();
        SessionRecording recording = bastion.start(id, owner, grant);
        bastion.register(id, owner, grant, recording.id()).then().statusCode(201);
        recording.terminal().output(OUTPUT.getBytes(StandardCharsets.UTF_8));
        recording.sync();
        recording.events().record(new ExecEvent("uptime"));
        recording.terminal().output("<script>alert(1)</script> \u00e9\r\n".getBytes(StandardCharsets.UTF_8));
        recording.sync();
        recording.terminal().input("exit\r".getBytes(StandardCharsets.UTF_8));
        recording.close("client disconnected", 0);
        TestBastion.end(id, "CLOSED");
        return id;
    }

    @Test
    void theBundleVerifiesWithStockToolsAndAFlippedByteFailsTheSameSteps(@TempDir Path empty) throws Exception {
        String owner = Api.newEngineer("evidence-");
        UUID session = recordedSession(owner);
        Response download = as("dave").get("/api/v1/sessions/" + session + "/evidence");
        assertThat(download.statusCode()).as(download.asString()).isEqualTo(200);
        assertThat(download.contentType()).startsWith("application/x-tar");
        assertThat(download.header("Content-Disposition")).contains("session-" + session + "-evidence.tar");
        Path bundle = unpack(download.asByteArray(), empty, session);

        for (String file : List.of(
                "VERIFY.md",
                "verify.sh",
                "SHA256SUMS",
                "bastion.pub.pem",
                "session.json",
                "audit.jsonl",
                "player.html",
                "recording/header.json",
                "recording/manifest.json",
                "recording/manifest.sig",
                "recording/checkpoint-00000000.sig",
                "recording/chunk-00000001.bin",
                "recording/chunk-00000002.bin",
                "export/session.cast",
                "export/events.jsonl",
                "export/output.bin",
                "export/input.bin")) {
            assertThat(bundle.resolve(file)).as(file).isRegularFile();
        }
        assertThat(Files.readString(bundle.resolve("export/output.bin"))).startsWith(OUTPUT);
        assertThat(Files.readString(bundle.resolve("export/input.bin"))).isEqualTo("exit\r");
        assertThat(Files.readString(bundle.resolve("audit.jsonl")))
                .contains("\"action\":\"session.opened\"")
                .contains("\"subjectType\":\"access_request\"");
        String player = Files.readString(bundle.resolve("player.html"));
        assertThat(player)
                .contains("AsciinemaPlayer.create")
                .contains("default-src 'none'")
                .doesNotContainPattern("<(script|link|img)[^>]+(src|href)=")
                .doesNotContain("<script>alert(1)"); // the output's markup is inside base64, never live
        // It plays from file:// under its own Content-Security-Policy (nothing fetched): Debian's Chromium, a test
        // prerequisite, shows the recorded output once the player is told to start by itself.
        Path page = Files.writeString(
                empty.resolve("autoplay.html"), player.replace("{ fit: 'width' }", "{ fit: 'width', autoPlay: true }"));
        // the player starts on a timer: a busy machine can leave the dump before its first frame, so look a few times
        Run browser = null;
        for (int attempt = 1; attempt <= 3; attempt++) {
            browser = run(
                    empty,
                    "timeout",
                    "60",
                    "chromium",
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--user-data-dir=" + empty.resolve("chromium-" + attempt),
                    "--virtual-time-budget=" + 8000 * attempt,
                    "--dump-dom",
                    page.toUri().toString());
            if (browser.output.contains("load average: 0.01")) {
                break;
            }
        }
        assertThat(browser.output).contains("class=\"ap-line\"").contains("load average: 0.01");

        Run valid = run(bundle, "sh", "verify.sh");
        assertThat(valid.exit).as(valid.output).isEqualTo(0);
        assertThat(valid.output).contains("VALID: ");
        List<String> steps = verifySteps(bundle);
        assertThat(steps).hasSize(6);
        for (String step : steps) {
            Run run = run(bundle, "sh", "-c", step);
            assertThat(run.exit).as(step + "\n" + run.output).isEqualTo(0);
        }
        String keySha256 = run(bundle, "sh", "-c", steps.get(1)).output.substring(0, 64);
        assertThat(Files.readString(bundle.resolve("recording/manifest.json"))).contains(keySha256);
        // asciinema play opens /dev/tty; under a build there is none, so script(1) lends it a pseudo-terminal
        Run play = run(
                bundle,
                "script",
                "-q",
                "-e",
                "-c",
                "stty raw -echo; exec asciinema play -i 0.01 export/session.cast",
                "/dev/null");
        assertThat(play.exit).as(play.output).isEqualTo(0);
        assertThat(play.output).contains("load average: 0.01");

        // The broker's audit row of this download keeps the hash of the SHA256SUMS it handed out.
        as("dave")
                .get("/api/v1/audit?action=recording.exported&subject=" + session)
                .then()
                .statusCode(200)
                .body("[0].details.format", equalTo("evidence"))
                .body("[0].details.sha256sums", equalTo(sha256sum(bundle.resolve("SHA256SUMS"))));

        // A flipped byte in a chunk: SHA256SUMS says so, and when SHA256SUMS is rewritten to match, the chain does.
        flipByte(bundle.resolve("recording/chunk-00000001.bin"), -3);
        assertFails(bundle, steps.get(0));
        assertThat(run(bundle, "sh", "verify.sh").exit).isEqualTo(1);
        rewriteSums(bundle);
        Run chunkFlipped = run(bundle, "sh", "verify.sh");
        assertThat(chunkFlipped.exit).as(chunkFlipped.output).isEqualTo(1);
        assertThat(chunkFlipped.output).contains("FAILED");
        assertFails(bundle, steps.get(3)); // the chain
        assertFails(bundle, steps.get(4)); // the manifest's list
        flipByte(bundle.resolve("recording/chunk-00000001.bin"), -3); // back as it was
        rewriteSums(bundle);
        assertThat(run(bundle, "sh", "verify.sh").exit).isEqualTo(0);

        // A flipped byte in the manifest: its signature no longer verifies.
        String manifest = Files.readString(bundle.resolve("recording/manifest.json"));
        flipByte(bundle.resolve("recording/manifest.json"), manifest.indexOf("\"bytes\"") + 12);
        assertFails(bundle, steps.get(0));
        rewriteSums(bundle);
        Run manifestFlipped = run(bundle, "sh", "verify.sh");
        assertThat(manifestFlipped.exit).as(manifestFlipped.output).isEqualTo(1);
        assertThat(manifestFlipped.output).contains("the manifest's signature does not verify");
        assertFails(bundle, steps.get(2)); // openssl pkeyutl -verify
    }

    @Test
    void anOpenRecordingIsProvenUpToItsLatestCheckpoint(@TempDir Path empty) throws Exception {
        String owner = Api.newEngineer("evidence-open-");
        String grant = Api.activeWebGrant(owner);
        UUID session = UUID.randomUUID();
        TestBastion bastion = TestBastion.trusted();
        SessionRecording recording = bastion.start(session, owner, grant);
        bastion.register(session, owner, grant, recording.id()).then().statusCode(201);
        try {
            recording.terminal().output(OUTPUT.getBytes(StandardCharsets.UTF_8));
            recording.sync();
            Response download = as(owner).get("/api/v1/sessions/" + session + "/evidence");
            assertThat(download.statusCode()).as(download.asString()).isEqualTo(200);
            assertThat(download.header("X-Recording-Status")).isEqualTo("INCOMPLETE");
            Path bundle = unpack(download.asByteArray(), empty, session);
            // the session's own user gets the recording, not the audit trail (that is for auditors)
            assertThat(bundle.resolve("audit.jsonl")).doesNotExist();
            assertThat(bundle.resolve("recording/manifest.json")).doesNotExist();
            Run incomplete = run(bundle, "sh", "verify.sh");
            assertThat(incomplete.exit).as(incomplete.output).isEqualTo(2);
            assertThat(incomplete.output).contains("INCOMPLETE: chunks 1..");
        } finally {
            recording.close("client disconnected", 0);
        }
    }

    @Test
    void someoneWhoMayNotReplayTheSessionGetsNoBundleAndIsAudited() throws Exception {
        String owner = Api.newEngineer("evidence-owner-");
        UUID session = recordedSession(owner);
        String other = Api.newEngineer("evidence-other-");
        as(other)
                .get("/api/v1/sessions/" + session + "/evidence")
                .then()
                .statusCode(404)
                .body("code", equalTo("no_such_session"));
        as("dave")
                .get("/api/v1/audit?action=session.read.refused&subject=" + session)
                .then()
                .statusCode(200)
                .body("actor", hasItem(other))
                .body("details.format", hasItem("evidence"));
        Api.asBastion().get("/api/v1/sessions/" + session + "/evidence").then().statusCode(403);
        Api.anonymous().get("/api/v1/sessions/" + session + "/evidence").then().statusCode(401);
        as("dave")
                .get("/api/v1/audit?action=recording.exported&subject=" + session)
                .then()
                .statusCode(200)
                .body("size()", equalTo(0));
    }

    @Test
    void aRecordingThatDoesNotVerifyIsNotBundled() throws Exception {
        String owner = Api.newEngineer("evidence-tampered-");
        UUID session = recordedSession(owner);
        String recordingId =
                as("dave").get("/api/v1/sessions/" + session).jsonPath().getString("recordingId");
        String dir = org.eclipse.microprofile.config.ConfigProvider.getConfig()
                .getValue("portcullis.recordings.dir", String.class);
        flipByte(Path.of(dir, recordingId, "chunk-00000002.bin"), -2);
        as("dave")
                .get("/api/v1/sessions/" + session + "/evidence")
                .then()
                .statusCode(409)
                .body("code", equalTo("recording_tampered"));
        as("dave")
                .get("/api/v1/audit?action=recording.export.refused&subject=" + session)
                .then()
                .statusCode(200)
                .body("[0].details.format", equalTo("evidence"));
    }

    /**
     * A recording whose payload retention deleted is bundled as what is left (header, signed manifest, the bastion's
     * key) with the broker's signed tombstone and the audit head key: the same stock tools show the manifest is the
     * bastion's and the deletion the policy's, the offline verifier says DELETED_BY_POLICY from the bundle, and an
     * edited tombstone fails both.
     */
    @Test
    void aRecordingDeletedByPolicyIsBundledAsWhatIsLeftWithItsSignedTombstone(@TempDir Path empty, @TempDir Path store)
            throws Exception {
        UUID session = RetentionTest.recordedSession(RetentionTest.ticket());
        sweep.sweep(RetentionTest.duePast(session));
        Response download = as("dave").get("/api/v1/sessions/" + session + "/evidence");
        assertThat(download.statusCode()).as(download.asString()).isEqualTo(200);
        Path bundle = unpack(download.asByteArray(), empty, session);
        for (String file : List.of(
                "VERIFY.md",
                "verify.sh",
                "SHA256SUMS",
                "bastion.pub.pem",
                "audit_head.pub.pem",
                "tombstone.txt",
                "session.json",
                "audit.jsonl",
                "recording/header.json",
                "recording/manifest.json",
                "recording/manifest.sig")) {
            assertThat(bundle.resolve(file)).as(file).isRegularFile();
        }
        assertThat(bundle.resolve("recording/chunk-00000001.bin")).doesNotExist();
        assertThat(bundle.resolve("export")).doesNotExist();
        assertThat(bundle.resolve("player.html")).doesNotExist();

        Run deleted = run(bundle, "sh", "verify.sh");
        assertThat(deleted.exit).as(deleted.output).isEqualTo(3);
        assertThat(deleted.output)
                .contains("DELETED_BY_POLICY")
                .contains("rule 'engineers-prod-ssh'")
                .contains("retention 30d");
        List<String> steps = verifySteps(bundle);
        assertThat(steps).hasSize(6);
        for (String step : steps) {
            Run run = run(bundle, "sh", "-c", step);
            assertThat(run.exit).as(step + "\n" + run.output).isEqualTo(0);
        }

        String recording =
                as("dave").get("/api/v1/sessions/" + session).jsonPath().getString("recordingId");
        Path copy = Files.createDirectories(store.resolve(recording));
        try (var files = Files.list(bundle.resolve("recording"))) {
            for (Path f : files.toList()) {
                Files.copy(f, copy.resolve(f.getFileName()));
            }
        }
        String[] offline = {
            store.toString(),
            recording,
            bundle.resolve("bastion.pub.pem").toString(),
            bundle.resolve("tombstone.txt").toString(),
            bundle.resolve("audit_head.pub.pem").toString()
        };
        assertThat(verifyCommand(offline)).isEqualTo(3);
        assertThat(verifyCommand(java.util.Arrays.copyOf(offline, 3)))
                .as("no tombstone: chunks missing")
                .isEqualTo(1);

        // An edited tombstone (another rule): its signature no longer verifies, so nothing explains the deletion.
        String tombstone = Files.readString(bundle.resolve("tombstone.txt"));
        Files.writeString(
                bundle.resolve("tombstone.txt"), tombstone.replace("\nengineers-prod-ssh\n", "\nengineers-prod-ss0\n"));
        assertFails(bundle, steps.get(0));
        rewriteSums(bundle);
        Run forged = run(bundle, "sh", "verify.sh");
        assertThat(forged.exit).as(forged.output).isEqualTo(1);
        assertThat(forged.output).contains("the tombstone's signature does not verify");
        assertFails(bundle, steps.get(2));
        assertThat(verifyCommand(offline)).isEqualTo(1);
    }

    private static int verifyCommand(String... args) {
        return VerifyCommand.run(
                args,
                new java.io.PrintStream(java.io.OutputStream.nullOutputStream()),
                new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
    }

    /** The shell blocks of VERIFY.md's steps 1 to 6 (not the one running verify.sh, nor asciinema play). */
    static List<String> verifySteps(Path bundle) throws IOException {
        List<String> steps = new ArrayList<>();
        Matcher m = SH_BLOCK.matcher(Files.readString(bundle.resolve("VERIFY.md")));
        while (m.find()) {
            String block = m.group(1).replaceAll("(?m)^   ", "");
            if (!block.contains("verify.sh") && !block.contains("asciinema play")) {
                steps.add(block);
            }
        }
        return steps;
    }

    private static Path unpack(byte[] tar, Path empty, UUID session) throws Exception {
        assertThat(empty).isEmptyDirectory();
        Path archive = Files.write(empty.resolve("bundle.tar"), tar);
        Run untar = run(empty, "tar", "-xf", "bundle.tar");
        assertThat(untar.exit).as(untar.output).isEqualTo(0);
        Files.delete(archive);
        try (var top = Files.list(empty)) {
            assertThat(top.map(p -> p.getFileName().toString())).containsExactly("session-" + session);
        }
        return empty.resolve("session-" + session);
    }

    private static void assertFails(Path bundle, String step) throws Exception {
        Run run = run(bundle, "sh", "-c", step);
        assertThat(run.exit).as("should fail:\n" + step + "\n" + run.output).isNotEqualTo(0);
    }

    /** What someone who edits the bundle would do: make SHA256SUMS match again. */
    private static void rewriteSums(Path bundle) throws Exception {
        Run sums = run(
                bundle,
                "sh",
                "-c",
                "cut -c67- SHA256SUMS | while read -r f; do sha256sum \"$f\"; done > S " + "&& mv S SHA256SUMS");
        assertThat(sums.exit).as(sums.output).isEqualTo(0);
    }

    private static String sha256sum(Path file) throws Exception {
        return run(file.getParent(), "sha256sum", file.getFileName().toString())
                .output
                .substring(0, 64);
    }

    /** Flips the lowest bit of the byte at {@code at} (from the end when negative). */
    static void flipByte(Path file, long at) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            long position = at < 0 ? f.length() + at : at;
            f.seek(position);
            int b = f.read();
            f.seek(position);
            f.write(b ^ 0x01);
        }
    }

    record Run(int exit, String output) {}

    static Run run(Path dir, String... command) throws Exception {
        Process p = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish");
        }
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }
}
