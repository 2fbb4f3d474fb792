package dev.portcullis.workflow.grant;

import dev.portcullis.workflow.policy.AccessRule;
import dev.portcullis.workflow.request.AccessRequest;
import dev.portcullis.workflow.request.Actor;
import dev.portcullis.workflow.request.RequestState;
import java.util.Optional;

/**
 * Continuous verification: a grant stays only while its holder would still be allowed to ask for it.
 * A pure function of the grant, the directory's current view of the holder and the current rule.
 */
public final class GrantVerification {

    private GrantVerification() {}

    /**
     * @param holder the directory's view of the requester now; empty when the directory no longer knows them
     * @param rule   the policy rule the grant was made under, or null when the policy dropped it
     * @return why the grant must be revoked, or empty when it may continue
     */
    public static Optional<String> reasonToRevoke(AccessRequest grant, Optional<Actor> holder, AccessRule rule) {
        return reasonToRevoke(grant, null, holder, rule);
    }

    /**
     * @param requesterId the directory id of the account that asked for the grant, or null when it was not recorded
     */
    public static Optional<String> reasonToRevoke(
            AccessRequest grant, String requesterId, Optional<Actor> holder, AccessRule rule) {
        if (grant.state() != RequestState.ACTIVE) {
            return Optional.empty();
        }
        if (holder.isEmpty()) {
            return Optional.of("continuous verification: " + grant.requester() + " no longer exists in the directory");
        }
        if (requesterId != null
                && holder.get().id() != null
                && !requesterId.equals(holder.get().id())) {
            // The username now belongs to another account (the old one was renamed or deleted): grants are accounts'.
            return Optional.of("continuous verification: the account now named " + grant.requester()
                    + " is not the one that asked for this grant");
        }
        if (!holder.get().enabled()) {
            return Optional.of("continuous verification: " + grant.requester() + " is disabled in the directory");
        }
        if (rule == null) {
            return Optional.of("continuous verification: the policy rule '" + grant.rule() + "' no longer exists");
        }
        if (!rule.appliesToRequester(holder.get().groups())) {
            return Optional.of("continuous verification: " + grant.requester() + " is no longer a member of "
                    + String.join(
                            " or ", rule.requesterGroups().stream().sorted().toList()));
        }
        return Optional.empty();
    }
}
