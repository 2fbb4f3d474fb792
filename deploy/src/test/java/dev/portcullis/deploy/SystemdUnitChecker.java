package dev.portcullis.deploy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parses systemd unit files (INI with repeated keys and backslash continuations) and checks what a Portcullis
 * service must say: how it starts, as whom, from which environment files, restarted on failure, and hardened.
 */
final class SystemdUnitChecker {

    private SystemdUnitChecker() {}

    /** Section -> key -> values in order (a key may repeat, like EnvironmentFile). */
    static Map<String, Map<String, List<String>>> parse(String text) {
        Map<String, Map<String, List<String>>> sections = new LinkedHashMap<>();
        Map<String, List<String>> current = null;
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            while (line.endsWith("\\") && i + 1 < lines.length) {
                line = line.substring(0, line.length() - 1) + " " + lines[++i].strip();
            }
            if (line.isEmpty() || line.startsWith("#") || line.startsWith(";")) {
                continue;
            }
            if (line.startsWith("[")) {
                if (!line.endsWith("]")) {
                    throw new IllegalArgumentException("line " + (i + 1) + ": a section header without ]: " + line);
                }
                current = sections.computeIfAbsent(line.substring(1, line.length() - 1), s -> new LinkedHashMap<>());
                continue;
            }
            int eq = line.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("line " + (i + 1) + ": not KEY=VALUE: " + line);
            }
            if (current == null) {
                throw new IllegalArgumentException("line " + (i + 1) + ": a setting before any [Section]");
            }
            current.computeIfAbsent(line.substring(0, eq).strip(), k -> new ArrayList<>())
                    .add(line.substring(eq + 1).strip());
        }
        return sections;
    }

    static List<String> check(String name, String text) {
        List<String> problems = new ArrayList<>();
        Map<String, Map<String, List<String>>> unit;
        try {
            unit = parse(text);
        } catch (IllegalArgumentException e) {
            return List.of(name + ": " + e.getMessage());
        }
        for (String section : List.of("Unit", "Service", "Install")) {
            if (!unit.containsKey(section)) {
                problems.add(name + ": no [" + section + "] section");
            }
        }
        Map<String, List<String>> service = unit.getOrDefault("Service", Map.of());
        require(problems, name, unit.getOrDefault("Unit", Map.of()), "Description", null);
        require(problems, name, unit.getOrDefault("Install", Map.of()), "WantedBy", null);
        require(problems, name, service, "ExecStart", null);
        require(problems, name, service, "User", null);
        require(problems, name, service, "Restart", "on-failure");
        require(problems, name, service, "NoNewPrivileges", "yes");
        require(problems, name, service, "ProtectSystem", "strict");
        require(problems, name, service, "ReadWritePaths", null);
        require(problems, name, service, "EnvironmentFile", null);
        for (String exec : service.getOrDefault("ExecStart", List.of())) {
            if (!exec.replaceFirst("^[-@:+!]+", "").startsWith("/")) {
                problems.add(name + ": ExecStart is not an absolute path: " + exec);
            }
        }
        if (service.getOrDefault("User", List.of()).contains("root")) {
            problems.add(name + ": runs as root");
        }
        for (String file : service.getOrDefault("EnvironmentFile", List.of())) {
            if (!file.replaceFirst("^-", "").startsWith("/etc/portcullis/")) {
                problems.add(name + ": EnvironmentFile outside /etc/portcullis/: " + file);
            }
        }
        return problems;
    }

    /** An example environment file: KEY=VALUE lines with documented names and no secrets. */
    static List<String> checkEnvironmentFile(String name, String text, Set<String> documented) {
        List<String> problems = new ArrayList<>();
        int n = 0;
        for (String raw : text.split("\n")) {
            n++;
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq <= 0) {
                problems.add(name + ":" + n + ": not KEY=VALUE");
                continue;
            }
            String key = line.substring(0, eq);
            if (!documented.contains(key)) {
                problems.add(name + ":" + n + ": " + key
                        + " is in neither README's settings table nor ssh-bastion/README.md");
            }
            if (key.contains("SECRET") || key.contains("PASSWORD")) {
                problems.add(name + ":" + n + ": " + key
                        + " is a secret; it belongs in a 0600 *.secrets.env file, not in the example");
            }
        }
        return problems;
    }

    private static void require(
            List<String> problems, String name, Map<String, List<String>> section, String key, String value) {
        List<String> values = section.getOrDefault(key, List.of());
        if (values.isEmpty() || values.stream().allMatch(String::isBlank)) {
            problems.add(name + ": no " + key + "=");
        } else if (value != null && !values.get(values.size() - 1).equals(value)) {
            problems.add(name + ": " + key + "=" + values.get(values.size() - 1) + ", expected " + value);
        }
    }
}
