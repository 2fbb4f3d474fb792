package dev.portcullis.workflow.policy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One rule of the policy: who may request which targets and logins, for how long, and who must approve.
 *
 * @param requesterGroups  members of any of these groups may request
 * @param targetNames      targets named explicitly
 * @param targetLabels     or every target carrying all these labels
 * @param logins           SSH logins or database roles that may be requested
 * @param ticketPattern    null when no ticket is required
 * @param approvalsRequired distinct approvers needed before the grant starts
 * @param approverGroups   an approver must be a member of one of these groups at the moment of approval
 * @param denyThreshold    distinct denials that close the request
 * @param jitGroup         Keycloak group the requester joins for the grant's lifetime, or null
 * @param session          what sessions under this rule may do at the bastion
 * @param retention        how long the recordings of sessions under this rule are kept at least; null: for ever
 */
public record AccessRule(
        String name,
        Set<String> requesterGroups,
        Set<String> targetNames,
        Map<String, String> targetLabels,
        Set<String> logins,
        Duration maxDuration,
        boolean reasonRequired,
        Pattern ticketPattern,
        int approvalsRequired,
        Set<String> approverGroups,
        int denyThreshold,
        Duration pendingTtl,
        String jitGroup,
        AccessLevel access,
        SessionOptions session,
        Duration retention) {

    /** A rule whose recordings are kept for ever (no {@code retention:}). */
    public AccessRule(
            String name,
            Set<String> requesterGroups,
            Set<String> targetNames,
            Map<String, String> targetLabels,
            Set<String> logins,
            Duration maxDuration,
            boolean reasonRequired,
            Pattern ticketPattern,
            int approvalsRequired,
            Set<String> approverGroups,
            int denyThreshold,
            Duration pendingTtl,
            String jitGroup,
            AccessLevel access,
            SessionOptions session) {
        this(
                name,
                requesterGroups,
                targetNames,
                targetLabels,
                logins,
                maxDuration,
                reasonRequired,
                ticketPattern,
                approvalsRequired,
                approverGroups,
                denyThreshold,
                pendingTtl,
                jitGroup,
                access,
                session,
                null);
    }

    public AccessRule {
        Objects.requireNonNull(name, "name");
        requesterGroups = Set.copyOf(requesterGroups);
        targetNames = Set.copyOf(targetNames);
        targetLabels = Map.copyOf(targetLabels);
        logins = Set.copyOf(logins);
        approverGroups = Set.copyOf(approverGroups);
        Objects.requireNonNull(maxDuration, "maxDuration");
        Objects.requireNonNull(pendingTtl, "pendingTtl");
        Objects.requireNonNull(access, "access");
        session = session == null ? SessionOptions.DEFAULT : session;
        if (retention != null && (retention.isNegative() || retention.isZero())) {
            throw new IllegalArgumentException("retention must be positive, or null for ever");
        }
    }

    public boolean ticketRequired() {
        return ticketPattern != null;
    }

    public boolean appliesToRequester(Set<String> groups) {
        return groups.stream().anyMatch(requesterGroups::contains);
    }

    public boolean coversTarget(Target target) {
        return targetNames.contains(target.name()) || (!targetLabels.isEmpty() && target.hasLabels(targetLabels));
    }

    public boolean allowsLogin(String login) {
        return logins.contains(login);
    }

    public boolean isApprover(Set<String> groups) {
        return groups.stream().anyMatch(approverGroups::contains);
    }

    public List<String> sortedApproverGroups() {
        return approverGroups.stream().sorted().toList();
    }
}
