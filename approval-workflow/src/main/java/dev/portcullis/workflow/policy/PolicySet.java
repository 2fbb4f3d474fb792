package dev.portcullis.workflow.policy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The whole policy: targets and rules, as loaded and validated by {@link PolicyLoader}.
 * Rules are ordered as in the file and the first rule that matches a request decides, so an
 * operator reading the file top to bottom can tell which rule applies.
 */
public final class PolicySet {

    private final Map<String, Target> targets;
    private final List<AccessRule> rules;

    public PolicySet(List<Target> targets, List<AccessRule> rules) {
        Map<String, Target> byName = new LinkedHashMap<>();
        for (Target target : targets) {
            if (byName.putIfAbsent(target.name(), target) != null) {
                throw new IllegalArgumentException("duplicate target " + target.name());
            }
        }
        this.targets = Map.copyOf(byName);
        this.rules = List.copyOf(rules);
    }

    public Optional<Target> target(String name) {
        return Optional.ofNullable(name == null ? null : targets.get(name));
    }

    public List<Target> targets() {
        return targets.values().stream()
                .sorted((a, b) -> a.name().compareTo(b.name()))
                .toList();
    }

    public List<AccessRule> rules() {
        return rules;
    }

    public Optional<AccessRule> rule(String name) {
        return rules.stream().filter(r -> r.name().equals(name)).findFirst();
    }

    /** The rule under which members of {@code groups} may request {@code login} on {@code target}, if any. */
    public Optional<AccessRule> ruleFor(Set<String> groups, Target target, String login) {
        return rules.stream()
                .filter(r -> r.appliesToRequester(groups) && r.coversTarget(target) && r.allowsLogin(login))
                .findFirst();
    }

    /** Everything members of {@code groups} may request, one option per target and login. */
    public List<RequestOption> optionsFor(Set<String> groups) {
        List<RequestOption> options = new ArrayList<>();
        for (Target target : targets()) {
            Set<String> logins = new TreeSet<>();
            for (AccessRule rule : rules) {
                if (rule.appliesToRequester(groups) && rule.coversTarget(target)) {
                    logins.addAll(rule.logins());
                }
            }
            for (String login : logins) {
                ruleFor(groups, target, login).ifPresent(rule -> options.add(new RequestOption(target, login, rule)));
            }
        }
        return options;
    }
}
