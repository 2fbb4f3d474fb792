package dev.portcullis.broker.notify;

import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

/** What people read in a mail or chat message: a subject and a few lines of plain facts. */
public record MessageText(String subject, List<String> lines) {

    public static MessageText of(Notice notice) {
        Notice.Facts f = notice.facts();
        String what = f.login() + " on " + f.target() + " (" + f.kind() + ", " + f.access() + ")";
        List<String> lines = new ArrayList<>();
        String subject = switch (notice.event()) {
            case REQUEST_CREATED -> f.requester() + " asks for " + what;
            case REQUEST_REMINDER -> "Still waiting: " + f.requester() + " asks for " + what;
            case REQUEST_APPROVED -> "Approved: " + what;
            case REQUEST_DENIED -> "Denied: " + what;
            case REQUEST_TIMED_OUT -> "Timed out: " + what;
            case GRANT_STARTED -> "Your access has started: " + what;
            case GRANT_ENDING_SOON -> "Your access ends at " + endsAt(f) + ": " + what;
            case GRANT_ENDED -> "Your access has ended: " + what;
            case SESSION_STARTED -> "Session started: " + f.requester() + " as " + what;
            case SESSION_ENDED -> "Session ended: " + f.requester() + " as " + what;
        };
        lines.add("Requester: " + f.requester());
        lines.add("Target: " + f.target() + " (" + f.kind() + ")");
        lines.add("Login: " + f.login() + " (" + f.access() + ")");
        lines.add("Duration: " + f.duration());
        lines.add("Reason: " + (f.reason() == null ? "none" : f.reason()));
        lines.add("Ticket: " + (f.ticket() == null ? "none" : f.ticket()));
        switch (notice.event()) {
            case REQUEST_CREATED, REQUEST_REMINDER -> {
                lines.add("Approvals needed: " + f.approvalsRequired() + " from "
                        + String.join(" or ", f.approverGroups()));
                lines.add("Approve: " + f.links().approve());
                lines.add("Deny: " + f.links().deny());
                lines.add("The link opens the approvals page after you sign in; you decide there.");
            }
            case GRANT_STARTED -> {
                lines.add("Ends: " + endsAt(f));
                lines.add("Connect: " + f.command());
            }
            case GRANT_ENDING_SOON -> lines.add("Ends: " + endsAt(f) + "; ask again if you need longer.");
            case REQUEST_DENIED, GRANT_ENDED -> {
                if (f.endReason() != null) {
                    lines.add("Why: " + f.endReason());
                }
            }
            default -> {}
        }
        lines.add("Request: " + f.links().view());
        return new MessageText(subject, List.copyOf(lines));
    }

    private static String endsAt(Notice.Facts f) {
        return f.endsAt() == null ? "-" : DateTimeFormatter.ISO_INSTANT.format(f.endsAt());
    }

    public String body() {
        return String.join("\n", lines) + "\n";
    }
}
