package dev.portcullis.workflow.policy;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Loads a policy file and validates all of it before anything is used: a broken file never half-loads.
 * Every problem is reported with its line, and unknown keys are errors, because a misspelt key
 * ({@code approval:} for {@code approvals:}) would otherwise silently drop a check.
 */
public final class PolicyLoader {

    public static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,62}");
    public static final Pattern LOGIN = Pattern.compile("[a-z_][a-z0-9_.-]{0,62}");
    private static final Duration MIN_DURATION = Duration.ofMinutes(1);
    private static final Duration MAX_DURATION = Duration.ofDays(30);
    private static final int MAX_BYTES = 1 << 20;
    /** Retention is counted in whole days: a shorter one is a typo (30m for 30d) that would destroy evidence. */
    private static final Pattern RETENTION = Pattern.compile("([1-9][0-9]{0,4})d");

    private static final long MAX_RETENTION_DAYS = 36_500;

    private static final Set<String> TOP_KEYS = Set.of("version", "targets", "rules");
    private static final Set<String> TARGET_KEYS = Set.of("name", "kind", "host", "port", "database", "labels");
    private static final Set<String> RULE_KEYS = Set.of(
            "name",
            "requesters",
            "targets",
            "targetLabels",
            "logins",
            "maxDuration",
            "reason",
            "ticket",
            "approvals",
            "denyThreshold",
            "pendingTtl",
            "jitGroup",
            "access",
            "session",
            "retention");
    private static final Set<String> SESSION_KEYS =
            Set.of("portForwarding", "agentForwarding", "recordInput", "recordQueryParameters");
    private static final Set<String> APPROVAL_KEYS = Set.of("required", "from");

    /** Where JIT groups live unless the broker is told otherwise ({@code portcullis.jit.parent}). */
    public static final String DEFAULT_JIT_PARENT = "/jit";

    private static final Pattern GROUP_PATH = Pattern.compile("(/[^/\\s][^/]{0,254})+");

    private final List<PolicyError> errors = new ArrayList<>();
    private final Set<Node> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    private final String jitParent;

    private PolicyLoader(String jitParent) {
        this.jitParent = checkedJitParent(jitParent);
    }

    public static PolicySet load(Path file) throws PolicyException {
        return load(file, DEFAULT_JIT_PARENT);
    }

    /**
     * A group as the policy means it: its full path from the realm's root. A name without the leading slash is read
     * as a path from the root too ({@code engineers} is {@code /engineers}, {@code jit/db} is {@code /jit/db}), never
     * as "any group of that name": a group named {@code admins} nested anywhere else is a different group.
     *
     * @return the path, or null when the text cannot be one
     */
    public static String groupPath(String text) {
        if (text == null) return null;
        String path = text.strip().startsWith("/") ? text.strip() : "/" + text.strip();
        return GROUP_PATH.matcher(path).matches() && !path.endsWith(" ") ? path : null;
    }

    private static String checkedJitParent(String parent) {
        String path = groupPath(parent);
        if (path == null || parent == null || !parent.strip().startsWith("/")) {
            throw new IllegalArgumentException(
                    "the JIT parent group must be a group path like /jit, not '" + parent + "'");
        }
        return path;
    }

    /** @param jitParent the group under which every {@code jitGroup} must lie (a path such as {@code /jit}) */
    public static PolicySet load(Path file, String jitParent) throws PolicyException {
        String text;
        try {
            if (Files.size(file) > MAX_BYTES) {
                throw new PolicyException(file.toString(), List.of(new PolicyError(0, "file is larger than 1 MiB")));
            }
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new PolicyException(file.toString(), List.of(new PolicyError(0, "cannot read: " + e.getMessage())));
        }
        return parse(file.toString(), text, jitParent);
    }

    public static PolicySet parse(String source, String text) throws PolicyException {
        return parse(source, text, DEFAULT_JIT_PARENT);
    }

    public static PolicySet parse(String source, String text, String jitParent) throws PolicyException {
        return new PolicyLoader(jitParent).read(source, text);
    }

    private PolicySet read(String source, String text) throws PolicyException {
        if (text.length() > MAX_BYTES) {
            throw new PolicyException(source, List.of(new PolicyError(0, "file is larger than 1 MiB")));
        }
        Node root;
        try (Reader reader = new StringReader(text)) {
            LoaderOptions options = new LoaderOptions();
            options.setMaxAliasesForCollections(10);
            options.setAllowRecursiveKeys(false);
            options.setCodePointLimit(MAX_BYTES);
            root = new Yaml(new SafeConstructor(options)).compose(reader);
        } catch (MarkedYAMLException e) {
            int line = e.getProblemMark() != null ? e.getProblemMark().getLine() + 1 : 0;
            throw new PolicyException(source, List.of(new PolicyError(line, "not valid YAML: " + e.getProblem())));
        } catch (YAMLException | IOException e) {
            throw new PolicyException(source, List.of(new PolicyError(0, "not valid YAML: " + e.getMessage())));
        }
        if (root == null) {
            throw new PolicyException(source, List.of(new PolicyError(0, "the policy is empty")));
        }
        Map<String, Node> top = mapping(root, "the policy", TOP_KEYS);
        if (top == null) {
            throw new PolicyException(source, errors);
        }
        if (top.containsKey("version")) {
            Integer version = integer(top.get("version"), "version");
            if (version != null && version != 1) {
                error(top.get("version"), "unsupported policy version " + version + " (this broker reads version 1)");
            }
        }
        List<Target> targets = new ArrayList<>();
        Map<String, Node> targetNodes = new LinkedHashMap<>();
        for (Node node : sequence(top.get("targets"), "targets", root)) {
            Target target = target(node);
            if (target == null) continue;
            if (targetNodes.putIfAbsent(target.name(), node) != null) {
                error(
                        node,
                        "duplicate target name '" + target.name() + "' (first defined on line "
                                + line(targetNodes.get(target.name())) + ")");
            } else {
                targets.add(target);
            }
        }
        List<AccessRule> rules = new ArrayList<>();
        Map<String, Node> ruleNodes = new LinkedHashMap<>();
        for (Node node : sequence(top.get("rules"), "rules", root)) {
            AccessRule rule = rule(node, targetNodes.keySet(), targets);
            if (rule == null) continue;
            if (ruleNodes.putIfAbsent(rule.name(), node) != null) {
                error(
                        node,
                        "duplicate rule name '" + rule.name() + "' (first defined on line "
                                + line(ruleNodes.get(rule.name())) + ")");
            } else {
                rules.add(rule);
            }
        }
        if (!errors.isEmpty()) {
            throw new PolicyException(source, errors);
        }
        return new PolicySet(targets, rules);
    }

    private Target target(Node node) {
        Map<String, Node> m = mapping(node, "a target", TARGET_KEYS);
        if (m == null) return null;
        int before = errors.size();
        String name = name(m.get("name"), "target name", node);
        String kindText = requiredString(m.get("kind"), "kind", node);
        TargetKind kind = null;
        if (kindText != null) {
            kind = TargetKind.parse(kindText).orElse(null);
            if (kind == null) error(m.get("kind"), "unknown target kind '" + kindText + "' (expected ssh or postgres)");
        }
        String host = requiredString(m.get("host"), "host", node);
        if (host != null && !host.matches("[A-Za-z0-9.:\\[\\]-]{1,253}")) {
            error(m.get("host"), "host '" + host + "' is not a host name or address");
        }
        Integer port = m.containsKey("port") ? integer(m.get("port"), "port") : null;
        if (port != null && (port < 1 || port > 65535)) {
            error(m.get("port"), "port " + port + " is outside 1-65535");
        }
        String database = m.containsKey("database") ? requiredString(m.get("database"), "database", node) : null;
        if (kind == TargetKind.POSTGRES && database == null && !m.containsKey("database")) {
            error(node, "postgres target '" + name + "' needs a database");
        }
        if (kind == TargetKind.SSH && m.containsKey("database")) {
            error(m.get("database"), "ssh target '" + name + "' cannot have a database");
        }
        Map<String, String> labels = m.containsKey("labels") ? labels(m.get("labels"), "labels") : Map.of();
        if (errors.size() > before) return null;
        int effectivePort = port != null ? port : (kind == TargetKind.SSH ? 22 : 5432);
        return new Target(name, kind, host, effectivePort, database, labels);
    }

    private AccessRule rule(Node node, Set<String> knownTargets, List<Target> targets) {
        Map<String, Node> m = mapping(node, "a rule", RULE_KEYS);
        if (m == null) return null;
        int before = errors.size();
        String name = name(m.get("name"), "rule name", node);
        Set<String> requesters = groups(m.get("requesters"), "requesters", node);
        Set<String> targetNames = m.containsKey("targets") ? stringSet(m.get("targets"), "targets") : Set.of();
        for (String t : targetNames) {
            if (!knownTargets.contains(t))
                error(m.get("targets"), "rule '" + name + "' names unknown target '" + t + "'");
        }
        Map<String, String> targetLabels =
                m.containsKey("targetLabels") ? labels(m.get("targetLabels"), "targetLabels") : Map.of();
        if (!m.containsKey("targets") && !m.containsKey("targetLabels")) {
            error(node, "rule '" + name + "' needs targets or targetLabels");
        } else if (!targetLabels.isEmpty() && targets.stream().noneMatch(t -> t.hasLabels(targetLabels))) {
            error(m.get("targetLabels"), "rule '" + name + "': targetLabels " + targetLabels + " match no target");
        }
        Set<String> logins = stringSet(required(m.get("logins"), "logins", node), "logins");
        for (String login : logins) {
            if (!LOGIN.matcher(login).matches()) {
                error(m.get("logins"), "login '" + login + "' must match " + LOGIN.pattern());
            }
        }
        if (m.containsKey("logins") && logins.isEmpty()) error(m.get("logins"), "logins must not be empty");
        Duration maxDuration = duration(required(m.get("maxDuration"), "maxDuration", node), "maxDuration");
        boolean reasonRequired = true;
        if (m.containsKey("reason")) {
            String reason = requiredString(m.get("reason"), "reason", node);
            if ("required".equals(reason)) reasonRequired = true;
            else if ("optional".equals(reason)) reasonRequired = false;
            else if (reason != null)
                error(m.get("reason"), "reason must be 'required' or 'optional', not '" + reason + "'");
        }
        Pattern ticket = null;
        if (m.containsKey("ticket")) {
            String regex = requiredString(m.get("ticket"), "ticket", node);
            if (regex != null) {
                try {
                    ticket = Pattern.compile(regex);
                } catch (PatternSyntaxException e) {
                    error(m.get("ticket"), "ticket pattern is not a valid regular expression: " + e.getDescription());
                }
            }
        }
        int approvalsRequired = 0;
        Set<String> approverGroups = Set.of();
        Map<String, Node> approvals =
                mapping(required(m.get("approvals"), "approvals", node), "approvals", APPROVAL_KEYS);
        if (approvals != null) {
            Integer n = integer(
                    required(approvals.get("required"), "approvals.required", m.get("approvals")),
                    "approvals.required");
            if (n != null && (n < 1 || n > 10))
                error(approvals.get("required"), "approvals.required must be between 1 and 10");
            approvalsRequired = n == null ? 0 : n;
            approverGroups = groups(approvals.get("from"), "approvals.from", m.get("approvals"));
        }
        int denyThreshold = 1;
        if (m.containsKey("denyThreshold")) {
            Integer n = integer(m.get("denyThreshold"), "denyThreshold");
            if (n != null && (n < 1 || n > 10)) error(m.get("denyThreshold"), "denyThreshold must be between 1 and 10");
            denyThreshold = n == null ? 1 : n;
        }
        Duration pendingTtl =
                m.containsKey("pendingTtl") ? duration(m.get("pendingTtl"), "pendingTtl") : Duration.ofHours(24);
        String jitGroup = null;
        if (m.containsKey("jitGroup")) {
            String text = requiredString(m.get("jitGroup"), "jitGroup", node);
            jitGroup = text == null || !text.matches("/?[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*") ? null : groupPath(text);
            if (text != null && jitGroup == null) {
                error(
                        m.get("jitGroup"),
                        "jitGroup '" + text + "' must be a group path like " + jitParent + "/prod-db-admins");
            } else if (jitGroup != null && !jitGroup.startsWith(jitParent + "/")) {
                // The broker adds people to a JIT group and takes them out again: it must never manage a group that
                // gives other powers (/admins, an approver group), so JIT groups live under one parent only.
                error(
                        m.get("jitGroup"),
                        "jitGroup '" + text + "' must be a group below " + jitParent
                                + " (portcullis.jit.parent); the broker manages the members of no other group");
                jitGroup = null;
            }
        }
        AccessLevel access = AccessLevel.WRITE;
        if (m.containsKey("access")) {
            String text = requiredString(m.get("access"), "access", node);
            if ("read".equals(text)) access = AccessLevel.READ;
            else if ("write".equals(text)) access = AccessLevel.WRITE;
            else if (text != null) error(m.get("access"), "access must be 'read' or 'write', not '" + text + "'");
        }
        if (access == AccessLevel.READ) {
            // nothing makes an SSH login read-only: saying so would promise what no check keeps
            targets.stream()
                    .filter(t -> t.kind() == TargetKind.SSH)
                    .filter(t ->
                            targetNames.contains(t.name()) || (!targetLabels.isEmpty() && t.hasLabels(targetLabels)))
                    .findFirst()
                    .ifPresent(t -> error(
                            m.get("access"),
                            "rule '" + name + "': access: read applies to"
                                    + " PostgreSQL targets only, and SSH target '" + t.name()
                                    + "' cannot be made read-only"));
        }
        SessionOptions session = SessionOptions.DEFAULT;
        if (m.containsKey("session")) {
            Map<String, Node> options = mapping(m.get("session"), "session", SESSION_KEYS);
            if (options != null) {
                session = new SessionOptions(
                        flag(
                                options.get("portForwarding"),
                                "session.portForwarding",
                                SessionOptions.DEFAULT.portForwarding()),
                        flag(
                                options.get("agentForwarding"),
                                "session.agentForwarding",
                                SessionOptions.DEFAULT.agentForwarding()),
                        flag(options.get("recordInput"), "session.recordInput", SessionOptions.DEFAULT.recordInput()),
                        flag(
                                options.get("recordQueryParameters"),
                                "session.recordQueryParameters",
                                SessionOptions.DEFAULT.recordQueryParameters()));
            }
        }
        Duration retention = m.containsKey("retention") ? retention(m.get("retention")) : null;
        if (errors.size() > before) return null;
        return new AccessRule(
                name,
                requesters,
                targetNames,
                targetLabels,
                logins,
                maxDuration,
                reasonRequired,
                ticket,
                approvalsRequired,
                approverGroups,
                denyThreshold,
                pendingTtl,
                jitGroup,
                access,
                session,
                retention);
    }

    // ---- node helpers: each reports its own error and returns null (or an empty value) on failure

    private Map<String, Node> mapping(Node node, String what, Set<String> allowedKeys) {
        if (node == null) return null;
        if (!visit(node)) return null;
        if (!(node instanceof MappingNode mappingNode)) {
            error(node, what + " must be a mapping of keys to values");
            return null;
        }
        Map<String, Node> result = new LinkedHashMap<>();
        for (NodeTuple tuple : mappingNode.getValue()) {
            if (!(tuple.getKeyNode() instanceof ScalarNode key)) {
                error(tuple.getKeyNode(), "keys in " + what + " must be plain words");
                continue;
            }
            if (!allowedKeys.contains(key.getValue())) {
                error(
                        key,
                        "unknown key '" + key.getValue() + "' in " + what + " (allowed: "
                                + String.join(
                                        ", ", allowedKeys.stream().sorted().toList()) + ")");
            } else if (result.putIfAbsent(key.getValue(), tuple.getValueNode()) != null) {
                error(key, "duplicate key '" + key.getValue() + "' in " + what);
            }
        }
        return result;
    }

    private List<Node> sequence(Node node, String what, Node parent) {
        if (node == null) {
            error(parent, "missing '" + what + "'");
            return List.of();
        }
        if (!visit(node)) return List.of();
        if (!(node instanceof SequenceNode seq)) {
            error(node, what + " must be a list");
            return List.of();
        }
        return seq.getValue();
    }

    private Node required(Node node, String key, Node parent) {
        if (node == null && parent != null) error(parent, "missing '" + key + "'");
        return node;
    }

    private String requiredString(Node node, String key, Node parent) {
        if (node == null) {
            error(parent, "missing '" + key + "'");
            return null;
        }
        if (!visit(node)) return null;
        if (!(node instanceof ScalarNode scalar)
                || scalar.getTag().equals(Tag.NULL)
                || scalar.getValue().isBlank()) {
            error(node, key + " must be a non-empty text");
            return null;
        }
        return scalar.getValue().trim();
    }

    private String name(Node node, String what, Node parent) {
        String value = requiredString(node, what, parent);
        if (value != null && !NAME.matcher(value).matches()) {
            error(node, what + " '" + value + "' must match " + NAME.pattern());
            return null;
        }
        return value;
    }

    private Integer integer(Node node, String key) {
        if (node == null) return null;
        if (!visit(node)) return null;
        if (node instanceof ScalarNode scalar && scalar.getValue().matches("-?\\d{1,9}")) {
            return Integer.parseInt(scalar.getValue());
        }
        error(node, key + " must be a whole number");
        return null;
    }

    private boolean flag(Node node, String key, boolean absent) {
        if (node == null) return absent;
        if (!visit(node)) return absent;
        if (node instanceof ScalarNode scalar
                && (scalar.getValue().equals("true") || scalar.getValue().equals("false"))) {
            return Boolean.parseBoolean(scalar.getValue());
        }
        error(node, key + " must be true or false");
        return absent;
    }

    private Duration duration(Node node, String key) {
        if (node == null) return Duration.ZERO;
        if (!visit(node)) return Duration.ZERO;
        if (!(node instanceof ScalarNode scalar)) {
            error(node, key + " must be a duration like 30m, 2h or 1d");
            return Duration.ZERO;
        }
        Duration d = Durations.parse(scalar.getValue()).orElse(null);
        if (d == null) {
            error(node, key + " '" + scalar.getValue() + "' is not a duration like 30m, 2h or 1d");
            return Duration.ZERO;
        }
        if (d.compareTo(MIN_DURATION) < 0 || d.compareTo(MAX_DURATION) > 0) {
            error(node, key + " must be between 1m and 30d");
        }
        return d;
    }

    /** {@code retention: 90d}: whole days only, 1d to 36500d; absent means the recordings are kept for ever. */
    private Duration retention(Node node) {
        if (!visit(node)) return null;
        String text = node instanceof ScalarNode scalar ? scalar.getValue() : null;
        Matcher m = text == null ? null : RETENTION.matcher(text);
        if (m == null || !m.matches() || Long.parseLong(m.group(1)) > MAX_RETENTION_DAYS) {
            error(
                    node,
                    "retention " + (text == null ? "" : "'" + text + "' ") + "must be a number of days from 1d to "
                            + MAX_RETENTION_DAYS + "d (leave it out to keep recordings for ever)");
            return null;
        }
        return Duration.ofDays(Long.parseLong(m.group(1)));
    }

    private Set<String> stringSet(Node node, String key) {
        if (node == null) return Set.of();
        if (!visit(node)) return Set.of();
        if (!(node instanceof SequenceNode seq)) {
            error(node, key + " must be a list");
            return Set.of();
        }
        Set<String> values = new LinkedHashSet<>();
        for (Node item : seq.getValue()) {
            if (!visit(item)) continue;
            if (item instanceof ScalarNode s
                    && !s.getTag().equals(Tag.NULL)
                    && !s.getValue().isBlank()) {
                if (!values.add(s.getValue().trim())) error(item, "'" + s.getValue() + "' is listed twice in " + key);
            } else {
                error(item, "every entry of " + key + " must be a non-empty text");
            }
        }
        return values;
    }

    private Set<String> groups(Node node, String key, Node parent) {
        if (node == null) {
            error(parent, "missing '" + key + "'");
            return Set.of();
        }
        Set<String> paths = new LinkedHashSet<>();
        for (String group : stringSet(node, key)) {
            String path = groupPath(group);
            if (path == null) {
                error(node, key + ": '" + group + "' is not a group path like /engineers or /teams/web/approvers");
            } else {
                paths.add(path);
            }
        }
        if (paths.isEmpty()
                && node instanceof SequenceNode seq
                && seq.getValue().isEmpty()) {
            error(node, key + " must name at least one group");
        }
        return paths;
    }

    private Map<String, String> labels(Node node, String key) {
        if (!visit(node)) return Map.of();
        if (!(node instanceof MappingNode mappingNode)) {
            error(node, key + " must be a mapping of label names to values");
            return Map.of();
        }
        Map<String, String> labels = new LinkedHashMap<>();
        for (NodeTuple tuple : mappingNode.getValue()) {
            if (tuple.getKeyNode() instanceof ScalarNode k
                    && tuple.getValueNode() instanceof ScalarNode v
                    && !v.getTag().equals(Tag.NULL)) {
                if (labels.putIfAbsent(k.getValue(), v.getValue()) != null)
                    error(k, "duplicate label '" + k.getValue() + "'");
            } else {
                error(tuple.getKeyNode(), key + " entries must be name: value");
            }
        }
        return labels;
    }

    /** Anchors and aliases would let a small file expand into a huge tree; a policy has no need for them. */
    private boolean visit(Node node) {
        if (!seen.add(node)) {
            error(node, "YAML anchors and aliases are not supported in policy files");
            return false;
        }
        return true;
    }

    private void error(Node node, String message) {
        errors.add(new PolicyError(line(node), message));
    }

    private static int line(Node node) {
        return node == null || node.getStartMark() == null
                ? 0
                : node.getStartMark().getLine() + 1;
    }
}
