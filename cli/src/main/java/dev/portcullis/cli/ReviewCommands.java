package dev.portcullis.cli;

import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** For approvers: what waits for them, and their decisions. Separation of duties is the broker's to check. */
final class ReviewCommands {

    private ReviewCommands() {}

    @Command(
            name = "approvals",
            description = "Requests waiting for your review.",
            footer = {"", "Example:", "  portcullis approvals"})
    static final class Approvals implements Callable<Integer> {

        @ParentCommand
        Main main;

        @Mixin
        Output output;

        @Override
        public Integer call() {
            Object answer = main.broker().get("/api/v1/requests?scope=review");
            if (output.json()) {
                main.out.println(Json.write(answer));
                return ExitCodes.OK;
            }
            Table t = new Table("ID", "REQUESTER", "TARGET", "LOGIN", "FOR", "APPROVALS", "TICKET", "REASON");
            for (Map<String, Object> r : Json.objects(answer)) {
                t.row(
                        r.get("id"),
                        r.get("requester"),
                        r.get("target"),
                        r.get("login"),
                        Durations.format(java.time.Duration.ofMinutes(Json.num(r, "durationMinutes", 0))),
                        r.get("approvals") + "/" + r.get("approvalsRequired"),
                        r.get("ticket"),
                        r.get("reason"));
            }
            RequestCommands.print(main, t, "Nothing waits for your review.");
            return ExitCodes.OK;
        }
    }

    @Command(
            name = "approve",
            description = "Approve a request.",
            footer = {"", "Example:", "  portcullis approve 3f2a6c1e-... --comment \"ok, INC-1234 is real\""})
    static final class Approve implements Callable<Integer> {

        @ParentCommand
        Main main;

        @Parameters(index = "0", paramLabel = "ID", description = "the request's id (see portcullis approvals)")
        String id;

        @Option(
                names = {"-c", "--comment"},
                description = "a note for the requester and the audit trail")
        String comment;

        @Override
        public Integer call() {
            RequestCommands.requireUuid(id);
            Map<String, Object> after = LoginCommands.asMap(main.broker()
                    .post(
                            "/api/v1/requests/" + id + "/approve",
                            comment == null ? Map.of() : Map.of("comment", comment),
                            false));
            main.out.println("Approved " + after.get("requester") + "'s request for " + after.get("login") + "@"
                    + after.get("target") + " (" + after.get("approvals") + " of " + after.get("approvalsRequired")
                    + "): " + after.get("state") + ".");
            return ExitCodes.OK;
        }
    }

    @Command(
            name = "deny",
            description = "Deny a request; the reason is required and shown to the requester.",
            footer = {"", "Example:", "  portcullis deny 3f2a6c1e-... --reason \"not during the change freeze\""})
    static final class Deny implements Callable<Integer> {

        @ParentCommand
        Main main;

        @Parameters(index = "0", paramLabel = "ID", description = "the request's id (see portcullis approvals)")
        String id;

        @Option(
                names = {"-r", "--reason"},
                required = true,
                description = "why")
        String reason;

        @Override
        public Integer call() {
            RequestCommands.requireUuid(id);
            Map<String, Object> after = LoginCommands.asMap(
                    main.broker().post("/api/v1/requests/" + id + "/deny", Map.of("reason", reason), false));
            main.out.println("Denied " + after.get("requester") + "'s request for " + after.get("login") + "@"
                    + after.get("target") + ": " + after.get("state") + ".");
            return ExitCodes.OK;
        }
    }
}
