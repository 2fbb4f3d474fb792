package dev.portcullis.cli;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** For auditors (and everyone, for their own sessions): what was done, played back, and proved unaltered. */
final class AuditCommands {

    private AuditCommands() {}

    @Command(
            name = "sessions",
            description = "Recorded sessions, newest first: yours, or everyone's for auditors.",
            footer = {"", "Example:", "  portcullis sessions --user alice --target prod-web-1 --output json"})
    static final class Sessions implements Callable<Integer> {

        @ParentCommand
        Main main;

        @Mixin
        Output output;

        @Option(names = "--user", description = "only this person's sessions")
        String user;

        @Option(names = "--target", description = "only sessions on this target")
        String target;

        @Option(names = "--status", description = "OPEN, CLOSED, GRANT_ENDED, TERMINATED or ABORTED")
        String status;

        @Option(names = "--limit", defaultValue = "50", description = "at most this many (default 50)")
        int limit;

        @Override
        public Integer call() {
            StringBuilder q = new StringBuilder("/api/v1/sessions?limit=" + limit);
            for (String[] p : List.of(
                    new String[] {"user", user}, new String[] {"target", target}, new String[] {"status", status})) {
                if (p[1] != null) {
                    q.append('&')
                            .append(p[0])
                            .append('=')
                            .append(java.net.URLEncoder.encode(p[1], java.nio.charset.StandardCharsets.UTF_8));
                }
            }
            Object answer = main.broker().get(q.toString());
            if (output.json()) {
                main.out.println(Json.write(answer));
                return ExitCodes.OK;
            }
            Table t = new Table("ID", "USER", "TARGET", "LOGIN", "PROTOCOL", "STARTED", "ENDED", "STATUS");
            for (Map<String, Object> s : Json.objects(answer)) {
                t.row(
                        s.get("id"),
                        s.get("username"),
                        s.get("target"),
                        s.get("login"),
                        s.get("protocol"),
                        s.get("startedAt"),
                        s.get("endedAt"),
                        s.get("status"));
            }
            RequestCommands.print(main, t, "No sessions.");
            return ExitCodes.OK;
        }
    }

    @Command(
            name = "play",
            description = "Play a recorded terminal session here, at its own pace.",
            footer = {"", "Example:", "  portcullis play 8c1d... --speed 2 --max-idle 1"})
    static final class Play implements Callable<Integer> {

        @ParentCommand
        Main main;

        @Parameters(index = "0", paramLabel = "SESSION", description = "the session's id (see portcullis sessions)")
        String session;

        @Option(names = "--speed", defaultValue = "1", description = "play this many times faster (default 1)")
        double speed;

        @Option(
                names = "--max-idle",
                defaultValue = "2",
                paramLabel = "SECONDS",
                description = "shorten pauses to at most this (default 2)")
        double maxIdle;

        @Override
        public Integer call() throws InterruptedException {
            RequestCommands.requireUuid(session);
            if (speed <= 0 || maxIdle < 0) {
                throw new IllegalArgumentException("--speed must be above 0 and --max-idle not below 0");
            }
            String cast = main.broker().text("/api/v1/sessions/" + session + "/recording.cast");
            double last = 0;
            boolean header = true;
            for (String line : cast.split("\n")) {
                if (line.isBlank()) {
                    continue;
                }
                if (header) {
                    header = false;
                    continue;
                }
                List<Object> event = Json.array(line);
                if (event.size() < 3 || !"o".equals(event.get(1))) {
                    continue;
                }
                double at = ((BigDecimal) event.get(0)).doubleValue();
                double pause = Math.min(maxIdle, Math.max(0, at - last)) / speed;
                last = at;
                if (pause > 0) {
                    main.out.flush();
                    Thread.sleep((long) (pause * 1000));
                }
                main.out.print((String) event.get(2));
            }
            main.out.println();
            main.out.flush();
            return ExitCodes.OK;
        }
    }

    @Command(
            name = "verify",
            description = "Check a recording's hash chain and its bastion's signature.",
            footer = {
                "",
                "Example:",
                "  portcullis verify 8c1d...",
                "",
                "Exit 0 when VALID, 9 when INCOMPLETE or TAMPERED."
            })
    static final class Verify implements Callable<Integer> {

        @ParentCommand
        Main main;

        @Parameters(index = "0", paramLabel = "SESSION", description = "the session's id (see portcullis sessions)")
        String session;

        @Override
        public Integer call() {
            RequestCommands.requireUuid(session);
            Map<String, Object> v =
                    LoginCommands.asMap(main.broker().get("/api/v1/sessions/" + session + "/verification"));
            String status = Json.str(v, "status");
            main.out.println(status
                    + (v.get("problem") == null
                            ? ": the recording is whole, unaltered and signed by its bastion"
                            : ": " + v.get("problem")));
            return "VALID".equals(status) ? ExitCodes.OK : ExitCodes.NOT_VERIFIED;
        }
    }
}
