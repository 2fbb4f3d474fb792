package dev.portcullis.cli;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code portcullis}: the engineer's command line for Portcullis. Talks only to the broker's public REST API (and
 * Keycloak to sign in), then hands over to the stock {@code ssh} and {@code psql}.
 */
@Command(
        name = "portcullis",
        mixinStandardHelpOptions = true,
        version = "portcullis 0.1.0",
        description = "Just-in-time access to production: ask, get approved, connect through the recording bastion.",
        subcommands = {
            LoginCommands.Login.class,
            LoginCommands.Logout.class,
            RequestCommands.Targets.class,
            RequestCommands.Status.class,
            RequestCommands.Request.class,
            RequestCommands.Release.class,
            ReviewCommands.Approvals.class,
            ReviewCommands.Approve.class,
            ReviewCommands.Deny.class,
            SshCommand.class,
            PsqlCommand.class,
            AuditCommands.Sessions.class,
            AuditCommands.Play.class,
            AuditCommands.Verify.class,
            CompletionCommand.class,
            CommandLine.HelpCommand.class
        },
        footer = {
            "",
            "Example:",
            "  portcullis login --broker https://portcullis.example.com",
            "  portcullis request prod-web-1 --login ubuntu --for 2h --reason \"disk full\" --ticket INC-1 --wait",
            "  portcullis ssh prod-web-1",
            "",
            ExitCodes.HELP
        })
public final class Main {

    final Map<String, String> env;
    final PrintStream out;
    final PrintStream err;
    final BufferedReader in;
    final ConfigDir dir;

    Main(Map<String, String> env, PrintStream out, PrintStream err, BufferedReader in) {
        this.env = env;
        this.out = out;
        this.err = err;
        this.in = in;
        this.dir = ConfigDir.fromEnvironment(env);
    }

    public static void main(String[] args) {
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true);
        int code = run(args, System.getenv(), out, System.err, new BufferedReader(new InputStreamReader(System.in)));
        out.flush();
        System.exit(code);
    }

    /** Runs one command line; returns its exit code. Every failure is one line on {@code err}, never a stack trace. */
    static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err, BufferedReader in) {
        Main main = new Main(env, out, err, in);
        CommandLine cli = commandLine(main);
        cli.setOut(new java.io.PrintWriter(out, true));
        cli.setErr(new java.io.PrintWriter(err, true));
        cli.setExecutionExceptionHandler((e, line, parsed) -> {
            if (e instanceof CliException c) {
                err.println("portcullis: " + c.getMessage());
                return c.exitCode();
            }
            if (e instanceof IllegalArgumentException) {
                err.println("portcullis: " + e.getMessage());
                return ExitCodes.USAGE;
            }
            err.println("portcullis: unexpected " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()));
            return ExitCodes.ERROR;
        });
        return cli.execute(args);
    }

    static CommandLine commandLine(Main main) {
        CommandLine cli = new CommandLine(main);
        return cli;
    }

    Broker broker() {
        SignIn signIn = SignIn.load(dir);
        if (!signIn.present()) {
            throw new CliException(ExitCodes.SIGN_IN, "not signed in: run portcullis login --broker URL");
        }
        return new Broker(dir, signIn);
    }

    private boolean asked;

    /** Whether someone is at a terminal to answer questions ($PORTCULLIS_ASSUME_TTY=1: answers come on stdin). */
    boolean interactive() {
        return System.console() != null || "1".equals(env.get("PORTCULLIS_ASSUME_TTY"));
    }

    /** Whether a question was put to someone (not merely skipped for want of a terminal). */
    boolean confirmAsked() {
        return asked;
    }

    /** Asks a yes/no question on the terminal; false when there is no one to ask. */
    boolean confirm(String question) {
        if (!interactive()) {
            return false;
        }
        asked = true;
        err.print(question + " [y/N] ");
        err.flush();
        try {
            String answer = in.readLine();
            return answer != null && answer.trim().toLowerCase().startsWith("y");
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
