package dev.portcullis.broker.web;

import io.quarkus.qute.TemplateData;
import java.util.List;
import java.util.Map;

/**
 * What the pages show, already worded and formatted: templates only lay it out. Each record is
 * {@link TemplateData} so Qute resolves its components without reflection.
 */
public final class Views {

    private Views() {}

    /** The signed-in person, for the header and the navigation. */
    @TemplateData
    public record Me(
            String username, String groups, boolean auditor, boolean admin, boolean approver, boolean requester) {}

    /** One target and login the policy lets me request, with the rule's limits. */
    @TemplateData
    public record AccessOption(
            String value,
            String label,
            String kind,
            int maxMinutes,
            String maxDuration,
            boolean reasonRequired,
            boolean ticketRequired,
            String ticketPattern,
            int approvalsRequired,
            String approverGroups) {}

    /** The request form as filled in, with the errors by field name (target, login, duration, reason, ticket). */
    @TemplateData
    public record RequestForm(
            String access, String duration, String reason, String ticket, Map<String, String> errors, String error) {
        static RequestForm empty() {
            return new RequestForm("", "60", "", "", Map.of(), null);
        }

        public boolean hasErrors() {
            return !errors.isEmpty() || error != null;
        }

        /** The error for a field, or an empty string. */
        public String err(String field) {
            return errors.getOrDefault(field, "");
        }

        public boolean selected(String value) {
            return value.equals(access);
        }
    }

    @TemplateData
    public record ReviewLine(String reviewer, String decision, String comment, String at) {}

    /**
     * One access request as a card.
     *
     * @param stillCanApprove who could still approve (live from the directory), or a description when they cannot be listed
     * @param connect         how to connect, for an active grant; null otherwise
     */
    @TemplateData
    public record RequestCard(
            String id,
            String requester,
            String target,
            String kind,
            String login,
            String access,
            String duration,
            String reason,
            String ticket,
            String state,
            String createdAt,
            String pendingUntil,
            String grantedAt,
            String endsAt,
            String endsAtIso,
            String endedAt,
            String endedBy,
            String endReason,
            List<ReviewLine> reviews,
            long approvals,
            String approvalsRequired,
            String approverGroups,
            String stillCanApprove,
            boolean mine,
            boolean canReview,
            boolean live,
            Connect connect) {

        public boolean pending() {
            return "PENDING".equals(state);
        }

        public boolean hasReviews() {
            return !reviews.isEmpty();
        }
    }

    /** The exact command for an active grant, with what it needs first. */
    @TemplateData
    public record Connect(String command, String note) {}

    @TemplateData
    /**
     * @param retention what happens to the recording: kept for ever, kept until a time (rule, days), deleted by policy
     * @param held      a live legal hold covers the session
     * @param deleted   its recording's payload was deleted by policy
     */
    public record SessionRow(
            String id,
            String requestId,
            String username,
            String target,
            String login,
            String protocol,
            String startedAt,
            String endedAt,
            String duration,
            String bytes,
            String status,
            String detail,
            boolean open,
            boolean hasRecording,
            String retention,
            boolean held,
            boolean deleted) {}

    /** A legal hold as the replay page lists it. */
    public record HoldLine(
            String id, String what, String reason, String placedBy, String placedAt, boolean live, String released) {}

    @TemplateData
    public record SessionFilter(
            String user, String target, String status, String from, String to, List<String> statuses) {
        public boolean any() {
            return !user.isEmpty() || !target.isEmpty() || !status.isEmpty() || !from.isEmpty() || !to.isEmpty();
        }
    }

    /** One exec, file, forward or query event of a recording, beside the player. */
    @TemplateData
    public record EventLine(String time, double seconds, String type, String text) {}

    /** A recording's verification, as a badge. */
    @TemplateData
    public record Badge(String status, String text, String css) {}

    @TemplateData
    public record AuditRow(
            long id, String at, String actor, String action, String subject, String details, String hash) {}

    @TemplateData
    public record AuditFilter(String actor, String action, String subject) {
        public boolean any() {
            return !actor.isEmpty() || !action.isEmpty() || !subject.isEmpty();
        }
    }

    /** The audit log's hash chain as verified just now. */
    @TemplateData
    public record Chain(boolean valid, String text) {}

    /** A one-line message after an action (approved, denied, released...), or an error. */
    @TemplateData
    public record Flash(String text, boolean error) {}

    /** The request a notification's link put in focus: its id when the reader may review it now, and what to tell them. */
    public record Focus(String id, boolean reviewable, boolean deny, String text) {}
}
