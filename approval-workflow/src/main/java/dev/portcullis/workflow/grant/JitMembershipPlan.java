package dev.portcullis.workflow.grant;

import dev.portcullis.workflow.policy.AccessRule;
import dev.portcullis.workflow.policy.PolicySet;
import dev.portcullis.workflow.request.AccessRequest;
import dev.portcullis.workflow.request.RequestState;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Just-in-time groups belong to the broker: a person is a member exactly while they hold an active grant
 * under a rule that names the group. Given what the directory says now and which grants are active, this
 * works out the changes that make it so. Running it again after the changes yields nothing.
 */
public final class JitMembershipPlan {

    public enum Kind {
        ADD,
        REMOVE
    }

    public record Change(Kind kind, String username, String group) {}

    private JitMembershipPlan() {}

    /** Every JIT group the policy names. */
    public static Set<String> groups(PolicySet policy) {
        return ofJitRules(policy, AccessRule::jitGroup);
    }

    /** The names of the rules that name a JIT group: only grants under these can change a JIT group's members. */
    public static Set<String> rules(PolicySet policy) {
        return ofJitRules(policy, AccessRule::name);
    }

    private static Set<String> ofJitRules(PolicySet policy, Function<AccessRule, String> field) {
        return policy.rules().stream()
                .filter(rule -> rule.jitGroup() != null)
                .map(field)
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /**
     * @param members     the current members of each JIT group, as the directory says
     * @param activeGrants grants that are ACTIVE now (others are ignored)
     */
    public static List<Change> plan(
            Map<String, Set<String>> members, List<AccessRequest> activeGrants, PolicySet policy) {
        Map<String, Set<String>> wanted = new HashMap<>();
        for (String group : members.keySet()) {
            wanted.put(group, new HashSet<>());
        }
        for (AccessRequest grant : activeGrants) {
            if (grant.state() != RequestState.ACTIVE) continue;
            policy.rule(grant.rule())
                    .map(AccessRule::jitGroup)
                    .filter(members::containsKey)
                    .ifPresent(group -> wanted.get(group).add(grant.requester()));
        }
        List<Change> changes = new ArrayList<>();
        for (Map.Entry<String, Set<String>> group : new java.util.TreeMap<>(members).entrySet()) {
            Set<String> want = wanted.get(group.getKey());
            new TreeSet<>(want)
                    .stream()
                            .filter(u -> !group.getValue().contains(u))
                            .forEach(u -> changes.add(new Change(Kind.ADD, u, group.getKey())));
            new TreeSet<>(group.getValue())
                    .stream()
                            .filter(u -> !want.contains(u))
                            .forEach(u -> changes.add(new Change(Kind.REMOVE, u, group.getKey())));
        }
        return changes;
    }
}
