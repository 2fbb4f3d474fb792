package dev.portcullis.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/** Argument parsing, exit codes and messages, without any server. */
@Tag("unit")
class CommandLineTest {

    @TempDir
    Path home;

    record Ran(int exit, String out, String err) {}

    private Ran run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = Main.run(
                args,
                Map.of(
                        "HOME",
                        home.toString(),
                        "PORTCULLIS_CONFIG_DIR",
                        home.resolve("cfg").toString()),
                new PrintStream(out, true),
                new PrintStream(err, true),
                new BufferedReader(new StringReader("")));
        return new Ran(exit, out.toString(), err.toString());
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            quoteCharacter = '"',
            value = {
                "request                                                          | Missing required",
                "request prod-web-1 --for 2h                                      | Missing required option: '--login",
                "request prod-web-1 --login ubuntu                                | Missing required option: '--for",
                "request prod-web-1 --login ubuntu --for 2 --reason x             | '2' is not a duration",
                "request prod-web-1 --login ubuntu --for 0h --reason x            | not a duration people can be granted",
                "deny 3f2a6c1e-0000-0000-0000-000000000000                        | Missing required option: '--reason",
                "approve not-an-id                                                | 'not-an-id' is not a request id",
                "psql prod-db                                                     | Missing required option: '--role",
                "frobnicate                                                       | Unmatched argument",
                "status --output yaml                                             | Invalid value for option '--output'",
                "completion fish                                                  | completion is for bash or zsh",
                "ssh prod-web-1 --ssh-config maybe                                | --ssh-config is ask, yes or no",
                "play 3f2a6c1e-0000-0000-0000-000000000000 --speed 0              | --speed must be above 0"
            })
    void aWrongCommandLineExitsTwoWithOneLineSayingWhy(String args, String says) {
        Ran r = run(args.trim().split("\\s+"));
        assertThat(r.exit()).as(r.err()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains(says).doesNotContain("Exception", "\tat ");
    }

    @ParameterizedTest
    @CsvSource({
        "status",
        "targets",
        "approvals",
        "sessions",
        "release",
        "ssh prod-web-1",
        "psql prod-db --role r",
        "request prod-web-1 --login ubuntu --for 1h --reason x"
    })
    void withoutSigningInEveryCommandExitsThreeAndSaysHowToSignIn(String args) {
        Ran r = run(args.split(" "));
        assertThat(r.exit()).isEqualTo(ExitCodes.SIGN_IN);
        assertThat(r.err()).isEqualTo("portcullis: not signed in: run portcullis login --broker URL\n");
    }

    @Test
    void loginNeedsToKnowTheBroker() {
        Ran r = run("login");
        assertThat(r.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("which broker?");
        Ran unreachable = run("login", "--broker", "http://127.0.0.1:1");
        assertThat(unreachable.exit()).isEqualTo(ExitCodes.ERROR);
        assertThat(unreachable.err()).isEqualTo("portcullis: cannot reach the broker at http://127.0.0.1:1\n");
    }

    @Test
    void everyCommandsHelpShowsAnExample() {
        CommandLine cli = Main.commandLine(new Main(Map.of(), System.out, System.err, null));
        for (Map.Entry<String, CommandLine> sub : cli.getSubcommands().entrySet()) {
            if (sub.getKey().equals("help") || sub.getKey().equals("ls")) {
                continue;
            }
            assertThat(sub.getValue().getUsageMessage())
                    .as(sub.getKey())
                    .contains("Example:", "portcullis " + sub.getKey());
        }
        assertThat(run("--help").out()).contains("Exit codes:", "5  denied by an approver");
    }

    @Test
    void completionServesBashAndZsh() {
        Ran bash = run("completion", "bash");
        assertThat(bash.exit()).isZero();
        assertThat(bash.out()).contains("complete -F", "request", "--wait");
        assertThat(run("completion", "zsh").out()).startsWith("autoload -U +X compinit");
    }

    @ParameterizedTest
    @CsvSource({
        "ACTIVE,0",
        "DENIED,5",
        "TIMED_OUT,6",
        "CANCELLED,7",
        "EXPIRED,8",
        "REVOKED,8",
        "PENDING,1",
        "WHATEVER,1"
    })
    void eachOutcomeHasItsExitCode(String state, int code) {
        assertThat(ExitCodes.forState(state)).isEqualTo(code);
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {"30m|30", "2h|120", "1h30m|90", "1d|1440", "2H|120"})
    void durationsReadAsPeopleWriteThem(String text, int minutes) {
        assertThat(Durations.minutes(text)).isEqualTo(minutes);
    }

    @Test
    void durationsRefuseWhatTheyCannotRead() {
        for (String bad : List.of("", "2", "h", "2s", "-1h", "1h 30m", "99999999999999999999d")) {
            assertThatThrownBy(() -> Durations.minutes(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void theBrokersProblemDetailsBecomeOneLineWithTheirExitCode() {
        String body = "{\"type\":\"urn:portcullis:problem:not_allowed\",\"title\":\"Forbidden\",\"status\":403,"
                + "\"detail\":\"no rule lets you request prod-web-1\",\"code\":\"not_allowed\"}";
        CliException submit = CliException.ofProblem(403, body, true);
        assertThat(submit.getMessage()).isEqualTo("no rule lets you request prod-web-1 (not_allowed, HTTP 403)");
        assertThat(submit.exitCode()).isEqualTo(ExitCodes.REFUSED_BY_POLICY);
        assertThat(CliException.ofProblem(403, body, false).exitCode()).isEqualTo(ExitCodes.ERROR);
        assertThat(CliException.ofProblem(401, "", false).exitCode()).isEqualTo(ExitCodes.SIGN_IN);
        assertThat(CliException.ofProblem(502, "<html>\nBad\n gateway</html>", false)
                        .getMessage())
                .isEqualTo("the broker answered HTTP 502: <html> Bad gateway</html>");
    }

    @Test
    void theTokensFileIsNeverReadableByOthers() throws Exception {
        ConfigDir dir = new ConfigDir(home.resolve("cfg"));
        SignIn.load(dir).put("broker", "http://b").put("refreshToken", "secret").save(dir);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("session.json"))))
                .isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.root())))
                .isEqualTo("rwx------");
        assertThat(SignIn.load(dir).get("refreshToken")).isEqualTo("secret");
    }

    @Test
    void jsonReadsAndWritesWhatTheBrokerSends() {
        String text =
                "{\"id\":\"a\",\"n\":2,\"x\":1.5,\"ok\":true,\"none\":null,\"list\":[1,\"two\"],\"s\":\"q\\\"\\n\\u00e9\"}";
        Object parsed = Json.parse(text);
        assertThat(Json.write(parsed)).isEqualTo(text.replace("\\u00e9", "\u00e9"));
        for (String bad : List.of("{", "[1,]", "{\"a\" 1}", "tru", "\"open", "{} x")) {
            assertThatThrownBy(() -> Json.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void aRequestEventIsReadFromItsBlock() {
        assertThat(RequestWaiter.requestEvent(List.of("id:1", "event:request", "data:{\"state\":\"ACTIVE\"}")))
                .containsEntry("state", "ACTIVE");
        assertThat(RequestWaiter.requestEvent(List.of(": keep-alive"))).isNull();
    }
}
