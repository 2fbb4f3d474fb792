package dev.portcullis.cli;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Follows one request over the broker's server-sent events ({@code GET /api/v1/requests/ID/events}) and tells what
 * happens: each approval or denial as it is given, then the outcome as an exit code. No polling: the broker pushes.
 * A dropped stream is opened again (a bounded number of times); the first event of each stream is the request as it
 * is, so nothing is missed and nothing is told twice. Ctrl-C asks whether to withdraw the request.
 */
final class RequestWaiter {

    private static final int RECONNECTS = 30;

    private final Main main;
    private final Broker broker;
    private final String id;
    private int reviewsTold;
    private String stateTold;

    RequestWaiter(Main main, Broker broker, String id) {
        this.main = main;
        this.broker = broker;
        this.id = id;
    }

    int await(Map<String, Object> first) {
        Interrupts.onCtrlC(this::askToCancel);
        try {
            Map<String, Object> latest = first;
            tell(first);
            for (int attempt = 0; attempt <= RECONNECTS && !settled(latest); attempt++) {
                if (attempt > 0) {
                    pause(Math.min(5000, 250L * attempt));
                }
                try (Stream<String> lines = broker.lines("/api/v1/requests/" + id + "/events")) {
                    Iterator<String> it = lines.iterator();
                    List<String> block = new ArrayList<>();
                    while (it.hasNext()) {
                        String line = it.next();
                        if (!line.isEmpty()) {
                            block.add(line);
                            continue;
                        }
                        Map<String, Object> view = requestEvent(block);
                        block.clear();
                        if (view != null) {
                            latest = view;
                            tell(view);
                            if (settled(view)) {
                                break;
                            }
                        }
                    }
                } catch (java.io.UncheckedIOException e) {
                    // the stream dropped; open it again
                }
            }
            if (!settled(latest)) {
                throw new CliException(ExitCodes.ERROR, "lost the broker while waiting; see portcullis status");
            }
            return ExitCodes.forState(Json.str(latest, "state"));
        } finally {
            Interrupts.reset();
        }
    }

    /** The view a {@code request} event carries, or null for any other block (comments, keep-alives). */
    static Map<String, Object> requestEvent(List<String> block) {
        if (!block.contains("event:request") && !block.contains("event: request")) {
            return null;
        }
        StringBuilder data = new StringBuilder();
        for (String l : block) {
            if (l.startsWith("data:")) {
                data.append(l.substring(l.startsWith("data: ") ? 6 : 5));
            }
        }
        return Json.object(data.toString());
    }

    private static boolean settled(Map<String, Object> view) {
        return !"PENDING".equals(Json.str(view, "state"));
    }

    /** Prints what is new since the last event: reviews, then the state when it changed. */
    private synchronized void tell(Map<String, Object> view) {
        List<Map<String, Object>> reviews = Json.objects(view.get("reviews"));
        Object required = view.get("approvalsRequired");
        long approvals = 0;
        for (int i = 0; i < reviews.size(); i++) {
            Map<String, Object> r = reviews.get(i);
            boolean approved = "APPROVE".equals(Json.str(r, "decision"));
            if (approved) {
                approvals++;
            }
            if (i < reviewsTold) {
                continue;
            }
            String comment = Json.str(r, "comment");
            main.out.println(
                    approved
                            ? "  approved by " + r.get("reviewer") + " (" + approvals + " of " + required + ")"
                                    + (comment == null || comment.isBlank() ? "" : ": " + comment)
                            : "  denied by " + r.get("reviewer") + (comment == null ? "" : ": " + comment));
        }
        reviewsTold = reviews.size();
        String state = Json.str(view, "state");
        if (state.equals(stateTold)) {
            return;
        }
        stateTold = state;
        switch (state) {
            case "PENDING" ->
                main.out.println("Waiting for approvals (decide within "
                        + Durations.left(Json.str(view, "pendingUntil"), Instant.now())
                                .replace(" left", "") + "; Ctrl-C to stop) ...");
            case "ACTIVE" ->
                main.out.println("ACTIVE: " + view.get("login") + "@" + view.get("target") + " until "
                        + view.get("endsAt") + " (" + Durations.left(Json.str(view, "endsAt"), Instant.now())
                        + "). Connect: portcullis ssh " + view.get("target"));
            default ->
                main.out.println(state
                        + (view.get("endReason") != null ? ": " + view.get("endReason") : "")
                        + (view.get("endedBy") != null ? " (" + view.get("endedBy") + ")" : ""));
        }
        main.out.flush();
    }

    private void askToCancel() {
        if (!main.confirm("\nWithdraw request " + id + "?")) {
            main.err.println(
                    "Still waiting; the request stays pending. (Ctrl-C again asks again; portcullis status shows it.)");
            if (!main.interactive()) {
                main.out.flush();
                Runtime.getRuntime().halt(130);
            }
            return;
        }
        try {
            Map<String, Object> after =
                    LoginCommands.asMap(broker.post("/api/v1/requests/" + id + "/cancel", null, false));
            main.out.println("Withdrew request " + id + ": " + after.get("state") + ".");
            main.out.flush();
            Runtime.getRuntime().halt(ExitCodes.forState(Json.str(after, "state")));
        } catch (CliException e) {
            main.err.println("portcullis: " + e.getMessage());
            main.err.flush();
            Runtime.getRuntime().halt(e.exitCode());
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(ExitCodes.ERROR, "interrupted");
        }
    }
}
