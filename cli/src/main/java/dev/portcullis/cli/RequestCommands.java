package dev.portcullis.cli;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** Asking for access and giving it back. */
final class RequestCommands {

    private RequestCommands() {}

    @Command(
            name = "targets",
            description = "What you may request, with each rule's limits.",
            footer = {"", "Example:", "  portcullis targets --output json"})
    static final class Targets implements Callable<Integer> {

        @ParentCommand
        Main main;

        @Mixin
        Output output;

        @Override
        public Integer call() {
            Object answer = main.broker().get("/api/v1/targets");
            if (output.json()) {
                main.out.println(Json.write(answer));
                return ExitCodes.OK;
            }
            Table t = new Table("TARGET", "KIND", "LOGIN", "ACCESS", "MAX", "APPROVALS", "REASON", "TICKET");
            for (Map<String, Object> o : Json.objects(answer)) {
                t.row(
                        o.get("target"),
                        o.get("kind"),
                        o.get("login"),
                        o.get("access"),
                        o.get("maxDuration"),
                        o.get("approvalsRequired") + " from " + String.join(",", strings(o.get("approverGroups"))),
                        Boolean.TRUE.equals(o.get("reasonRequired")) ? "required" : "optional",
                        o.get("ticketPattern"));
            }
            print(main, t, "You may request nothing (ask an administrator for a policy rule).");
            return ExitCodes.OK;
        }
    }

    @Command(
            name = "status",
            aliases = "ls",
            description = "Your pending requests and active grants, with the time left.",
            footer = {"", "Example:", "  portcullis status --all"})
    static final class Status implements Callable<Integer> {

        @ParentCommand
        Main main;

        @Mixin
        Output output;

        @Option(names = "--all", description = "also requests that have ended")
        boolean all;

        @Override
        public Integer call() {
            Object answer = main.broker().get("/api/v1/requests?scope=mine" + (all ? "" : "&state=PENDING,ACTIVE"));
            if (output.json()) {
                main.out.println(Json.write(answer));
                return ExitCodes.OK;
            }
            Instant now = Instant.now();
            Table t = new Table("ID", "TARGET", "LOGIN", "STATE", "APPROVALS", "TIME LEFT", "REASON");
            for (Map<String, Object> r : Json.objects(answer)) {
                String state = Json.str(r, "state");
                String left = "ACTIVE".equals(state)
                        ? Durations.left(Json.str(r, "endsAt"), now)
                        : "PENDING".equals(state)
                                ? "decide within "
                                        + Durations.left(Json.str(r, "pendingUntil"), now)
                                                .replace(" left", "")
                                : "-";
                t.row(
                        r.get("id"),
                        r.get("target"),
                        r.get("login"),
                        state,
                        r.get("approvals") + "/" + orDash(r.get("approvalsRequired")),
                        left,
                        r.get("reason"));
            }
            print(
                    main,
                    t,
                    all
                            ? "You have made no requests."
                            : "Nothing pending or active. Ask with: portcullis request TARGET ...");
            return ExitCodes.OK;
        }
    }

    @Command(
            name = "request",
            description = "Ask for time-limited access to a target; --wait follows it until it is decided.",
            footer = {
                "",
                "Example:",
                "  portcullis request prod-web-1 --login ubuntu --for 2h --reason \"disk full\" --ticket INC-1234 --wait",
                "",
                "With --wait: exit 0 when ACTIVE, 5 denied, 6 timed out, 7 cancelled; 4 when the policy refuses the request.",
                "Ctrl-C while waiting asks whether to cancel the request."
            })
    static final class Request implements Callable<Integer> {

        @ParentCommand
        Main main;

        @Parameters(index = "0", paramLabel = "TARGET", description = "the target's name (see portcullis targets)")
        String target;

        @Option(
                names = {"-l", "--login"},
                required = true,
                description = "the login (SSH user or database role)")
        String login;

        @Option(names = "--for", required = true, paramLabel = "DURATION", description = "how long: 30m, 2h, 1h30m")
        String duration;

        @Option(
                names = {"-r", "--reason"},
                description = "why, for the approvers and the audit trail")
        String reason;

        @Option(
                names = {"-t", "--ticket"},
                description = "the incident or change ticket, e.g. INC-1234")
        String ticket;

        @Option(
                names = {"-w", "--wait"},
                description = "follow the request, print each approval, exit when it is decided")
        boolean waitForIt;

        @Override
        public Integer call() {
            int minutes = Durations.minutes(duration);
            Broker broker = main.broker();
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("target", target);
            body.put("login", login);
            body.put("durationMinutes", minutes);
            body.put("reason", reason);
            body.put("ticket", ticket);
            Map<String, Object> created = LoginCommands.asMap(broker.post("/api/v1/requests", body, true));
            String id = Json.str(created, "id");
            main.out.println("Requested " + login + "@" + target + " for "
                    + Durations.format(java.time.Duration.ofMinutes(minutes)) + ": request " + id + ", "
                    + Json.str(created, "state") + approvalsNeeded(created) + ".");
            if (!waitForIt) {
                return ExitCodes.OK;
            }
            return new RequestWaiter(main, broker, id).await(created);
        }

        private static String approvalsNeeded(Map<String, Object> r) {
            if (!"PENDING".equals(Json.str(r, "state")) || r.get("approvalsRequired") == null) {
                return "";
            }
            return ", needs " + r.get("approvalsRequired") + " approval(s) from "
                    + String.join(", ", strings(r.get("approverGroups")));
        }
    }

    @Command(
            name = "release",
            description = "Give an active grant back now (or withdraw a pending request). " + "Cuts its open sessions.",
            footer = {
                "",
                "Example:",
                "  portcullis release            (your only active grant)",
                "  portcullis release 3f2a...    (that one)"
            })
    static final class Release implements Callable<Integer> {

        @ParentCommand
        Main main;

        @Parameters(
                index = "0",
                arity = "0..1",
                paramLabel = "ID",
                description = "the request's id (default: your only active grant)")
        String id;

        @Override
        public Integer call() {
            Broker broker = main.broker();
            String which = id;
            String state = null;
            if (which == null) {
                List<Map<String, Object>> active = Json.objects(broker.get("/api/v1/requests?scope=mine&state=ACTIVE"));
                if (active.isEmpty()) {
                    throw new CliException(ExitCodes.ERROR, "you hold no active grant");
                }
                if (active.size() > 1) {
                    StringBuilder ids = new StringBuilder();
                    active.forEach(r -> ids.append(' ')
                            .append(r.get("id"))
                            .append(" (")
                            .append(r.get("target"))
                            .append(')'));
                    throw new CliException(ExitCodes.USAGE, "you hold " + active.size() + " grants; say which:" + ids);
                }
                which = Json.str(active.get(0), "id");
                state = "ACTIVE";
            }
            requireUuid(which);
            if (state == null) {
                state = Json.str(LoginCommands.asMap(broker.get("/api/v1/requests/" + which)), "state");
            }
            String action = "PENDING".equals(state) ? "cancel" : "release";
            Map<String, Object> after =
                    LoginCommands.asMap(broker.post("/api/v1/requests/" + which + "/" + action, null, false));
            main.out.println(("cancel".equals(action) ? "Withdrew request " : "Released ") + which + " ("
                    + after.get("login") + "@" + after.get("target") + "): " + after.get("state") + ".");
            return ExitCodes.OK;
        }
    }

    static void requireUuid(String id) {
        try {
            java.util.UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + id + "' is not a request id (see portcullis status)");
        }
    }

    static void print(Main main, Table t, String empty) {
        if (t.isEmpty()) {
            main.out.println(empty);
        } else {
            t.print(main.out);
        }
    }

    static List<String> strings(Object list) {
        return list instanceof List<?> l ? l.stream().map(String::valueOf).toList() : List.of();
    }

    private static Object orDash(Object o) {
        return o == null ? "-" : o;
    }
}
