package dev.portcullis.deploy;

import dev.portcullis.workflow.policy.PolicyException;
import dev.portcullis.workflow.policy.PolicyLoader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Offline checks of the Kubernetes manifests under deploy/k8s, since no cluster exists here: what a typo would
 * break at apply time (missing fields, selectors that select nothing, references to ConfigMaps, Secrets, keys and
 * ports that do not exist, undocumented settings) and what the architecture promises (2+ brokers, health probes,
 * hardened pods, targets reachable from their segment's bastions only). {@link #check} returns every problem
 * found, one line each, so a test can show all of them and broken samples can prove each check bites.
 */
final class ManifestChecker {

    /** One parsed YAML document and the file it came from. */
    record Manifest(String file, Map<String, Object> doc) {
        String kind() {
            return String.valueOf(doc.get("kind"));
        }

        String name() {
            return String.valueOf(map(doc.get("metadata")).get("name"));
        }

        String namespace() {
            return String.valueOf(map(doc.get("metadata")).get("namespace"));
        }

        Map<String, Object> spec() {
            return map(doc.get("spec"));
        }

        String where() {
            return file + ": " + kind() + " " + name();
        }
    }

    /** The pods a workload makes: where, namespace, labels, spec, replicas. */
    record Pods(
            Manifest owner,
            String namespace,
            Map<String, Object> labels,
            Map<String, Object> spec,
            int replicas,
            Map<String, Object> annotations) {}

    static final String COMPONENT = "app.kubernetes.io/component";
    static final String SEGMENT = "portcullis.dev/segment";
    static final String TARGET = "portcullis.dev/target";
    static final String TARGET_CIDRS = "portcullis.dev/target-cidrs";
    /** The API version of each kind the manifests use, as served by current Kubernetes (1.25+ removed the betas). */
    private static final Map<String, String> API_VERSIONS = Map.ofEntries(
            Map.entry("Namespace", "v1"),
            Map.entry("ConfigMap", "v1"),
            Map.entry("Secret", "v1"),
            Map.entry("Service", "v1"),
            Map.entry("PersistentVolumeClaim", "v1"),
            Map.entry("Deployment", "apps/v1"),
            Map.entry("StatefulSet", "apps/v1"),
            Map.entry("DaemonSet", "apps/v1"),
            Map.entry("PodDisruptionBudget", "policy/v1"),
            Map.entry("NetworkPolicy", "networking.k8s.io/v1"),
            Map.entry("Ingress", "networking.k8s.io/v1"),
            Map.entry("HorizontalPodAutoscaler", "autoscaling/v2"));
    /** Fields of a container and of a pod spec (core/v1), so that a misspelt one is not silently ignored by the checks. */
    private static final Set<String> CONTAINER_FIELDS = Set.of(
            "name",
            "image",
            "imagePullPolicy",
            "command",
            "args",
            "workingDir",
            "ports",
            "env",
            "envFrom",
            "resources",
            "resizePolicy",
            "restartPolicy",
            "securityContext",
            "volumeMounts",
            "volumeDevices",
            "readinessProbe",
            "livenessProbe",
            "startupProbe",
            "lifecycle",
            "terminationMessagePath",
            "terminationMessagePolicy",
            "stdin",
            "stdinOnce",
            "tty");

    private static final Set<String> POD_FIELDS = Set.of(
            "containers",
            "initContainers",
            "volumes",
            "securityContext",
            "serviceAccountName",
            "automountServiceAccountToken",
            "terminationGracePeriodSeconds",
            "topologySpreadConstraints",
            "affinity",
            "nodeSelector",
            "tolerations",
            "priorityClassName",
            "enableServiceLinks",
            "imagePullSecrets",
            "dnsPolicy",
            "dnsConfig",
            "hostname",
            "subdomain",
            "restartPolicy",
            "schedulerName",
            "runtimeClassName",
            "shareProcessNamespace",
            "readinessGates",
            "preemptionPolicy",
            "overhead",
            "hostNetwork",
            "hostPID",
            "hostIPC",
            "hostUsers",
            "setHostnameAsFQDN",
            "os",
            "activeDeadlineSeconds",
            "serviceAccount",
            "ephemeralContainers",
            "hostAliases",
            "resourceClaims",
            "schedulingGates",
            "nodeName");
    private static final Set<String> CLUSTER_SCOPED = Set.of(
            "Namespace",
            "ClusterRole",
            "ClusterRoleBinding",
            "StorageClass",
            "PersistentVolume",
            "IngressClass",
            "CustomResourceDefinition",
            "PriorityClass");

    private final List<Manifest> manifests;
    private final Set<String> documentedEnv;
    private final List<String> problems = new ArrayList<>();
    private final List<Pods> pods = new ArrayList<>();

    private ManifestChecker(List<Manifest> manifests, Set<String> documentedEnv) {
        this.manifests = manifests;
        this.documentedEnv = documentedEnv;
    }

    static List<String> check(List<Manifest> manifests, Set<String> documentedEnv) {
        ManifestChecker checker = new ManifestChecker(manifests, documentedEnv);
        checker.run();
        return checker.problems;
    }

    /** Every YAML document of every *.yaml file under {@code dir} except kustomization files. */
    static List<Manifest> load(Path dir) throws IOException {
        List<Manifest> result = new ArrayList<>();
        List<Path> files;
        try (Stream<Path> walk = Files.walk(dir)) {
            files = walk.filter(p -> p.toString().endsWith(".yaml")
                            && !p.getFileName().toString().equals("kustomization.yaml"))
                    .sorted()
                    .toList();
        }
        for (Path file : files) {
            try (InputStream in = Files.newInputStream(file)) {
                for (Object doc : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(in)) {
                    if (doc == null) {
                        continue;
                    }
                    if (!(doc instanceof Map<?, ?>)) {
                        throw new IOException(file + ": a document that is not a mapping");
                    }
                    result.add(new Manifest(dir.relativize(file).toString(), map(doc)));
                }
            } catch (RuntimeException e) {
                throw new IOException(file + ": not valid YAML: " + e.getMessage(), e);
            }
        }
        return result;
    }

    /**
     * The environment names a settings table documents: each back-quoted NAME in the first column, and shorthand
     * suffixes such as {@code `_USERNAME`} after {@code `QUARKUS_DATASOURCE_JDBC_URL`}, read as the preceding name with
     * its last one to three words replaced.
     */
    static Set<String> documentedSettings(String markdown) {
        Set<String> names = new LinkedHashSet<>();
        Pattern quoted = Pattern.compile("`([A-Z_][A-Z0-9_]*)`");
        for (String line : markdown.split("\n")) {
            if (!line.startsWith("| `")) {
                continue;
            }
            String first = line.substring(1, line.indexOf('|', 1));
            String previous = null;
            Matcher m = quoted.matcher(first);
            while (m.find()) {
                String name = m.group(1);
                if (name.startsWith("_") && previous != null) {
                    String[] words = previous.split("_");
                    for (int drop = 1; drop <= 3 && drop < words.length; drop++) {
                        names.add(String.join("_", List.of(words).subList(0, words.length - drop)) + name);
                    }
                } else if (!name.startsWith("_")) {
                    names.add(name);
                    previous = name;
                }
            }
        }
        return names;
    }

    private void run() {
        for (Manifest m : manifests) {
            requiredFields(m);
        }
        for (Manifest m : manifests) {
            if (m.kind().equals("Deployment")
                    || m.kind().equals("StatefulSet")
                    || m.kind().equals("DaemonSet")) {
                Map<String, Object> template = map(m.spec().get("template"));
                int replicas = m.spec().get("replicas") instanceof Integer r ? r : 1;
                Map<String, Object> meta = map(template.get("metadata"));
                pods.add(new Pods(
                        m,
                        m.namespace(),
                        map(meta.get("labels")),
                        map(template.get("spec")),
                        replicas,
                        map(meta.get("annotations"))));
            }
        }
        for (Pods p : pods) {
            workload(p);
        }
        for (Manifest m : manifests) {
            switch (m.kind()) {
                case "Service" -> service(m);
                case "PodDisruptionBudget" -> disruptionBudget(m);
                case "NetworkPolicy" -> networkPolicy(m);
                case "Ingress" -> ingress(m);
                default -> {}
            }
        }
        defaultDeny();
        policyConfigMaps();
        inventories();
        recordingsInS3();
    }

    /**
     * Recordings live in S3, not on a shared volume: every bastion sets the bucket and takes its S3 credentials from a
     * Secret of its own segment (so no segment holds credentials that could write another's prefix), and no
     * workload mounts a recordings volume.
     */
    private void recordingsInS3() {
        for (Pods p : pods) {
            for (Object v : list(p.spec().get("volumes"))) {
                Map<String, Object> claim = map(map(v).get("persistentVolumeClaim"));
                if (String.valueOf(claim.get("claimName")).contains("recordings")) {
                    problems.add(p.owner().where() + ": mounts the recordings volume " + claim.get("claimName")
                            + "; recordings go to S3");
                }
            }
            if (!"bastion".equals(p.labels().get(COMPONENT))) {
                continue;
            }
            Object segment = p.labels().get(SEGMENT);
            Map<String, Map<String, Object>> env = new java.util.HashMap<>();
            for (Object c : list(p.spec().get("containers"))) {
                for (Object e : list(map(c).get("env"))) {
                    env.put(String.valueOf(map(e).get("name")), map(e));
                }
            }
            if (!env.containsKey("PORTCULLIS_RECORDINGS_S3_BUCKET")) {
                problems.add(p.owner().where() + ": a bastion without PORTCULLIS_RECORDINGS_S3_BUCKET; recordings go "
                        + "to S3");
            }
            for (String name :
                    List.of("PORTCULLIS_RECORDINGS_S3_ACCESS_KEY_ID", "PORTCULLIS_RECORDINGS_S3_SECRET_ACCESS_KEY")) {
                Map<String, Object> ref =
                        map(map(map(env.get(name)).get("valueFrom")).get("secretKeyRef"));
                String secret = String.valueOf(ref.get("name"));
                if (!secret.equals("portcullis-bastion-segment-" + segment + "-s3")) {
                    problems.add(p.owner().where() + ": " + name + " must come from the Secret "
                            + "portcullis-bastion-segment-" + segment + "-s3 (its own segment's S3 credentials), not "
                            + (ref.isEmpty() ? "a plain value" : "Secret " + secret));
                }
            }
        }
    }

    private void requiredFields(Manifest m) {
        Map<String, Object> metadata = map(m.doc().get("metadata"));
        if (blank(m.doc().get("apiVersion"))) {
            problems.add(m.file() + ": a document without apiVersion");
        }
        if (blank(m.doc().get("kind"))) {
            problems.add(m.file() + ": a document without kind");
        }
        if (blank(metadata.get("name"))) {
            problems.add(m.file() + ": " + m.kind() + " without metadata.name");
        }
        if (!CLUSTER_SCOPED.contains(m.kind()) && blank(metadata.get("namespace"))) {
            problems.add(m.where() + ": no metadata.namespace");
        }
        String apiVersion = API_VERSIONS.get(m.kind());
        if (apiVersion == null) {
            problems.add(m.where() + ": a kind these checks do not know; add its API version to ManifestChecker");
        } else if (!apiVersion.equals(m.doc().get("apiVersion"))) {
            problems.add(m.where() + ": apiVersion " + m.doc().get("apiVersion") + ", expected " + apiVersion);
        }
    }

    // --- workloads

    private void workload(Pods p) {
        Manifest m = p.owner();
        Map<String, Object> selector = map(m.spec().get("selector"));
        if (!selects(selector, p.labels())) {
            problems.add(m.where() + ": spec.selector does not select its own pod template's labels");
        }
        if ("broker".equals(p.labels().get(COMPONENT)) && p.replicas() < 2) {
            problems.add(m.where() + ": " + p.replicas() + " broker replica(s); scale-out needs at least 2");
        }
        for (String field : p.spec().keySet()) {
            if (!POD_FIELDS.contains(field)) {
                problems.add(m.where() + ": unknown pod spec field " + field);
            }
        }
        Map<String, Object> podSecurity = map(p.spec().get("securityContext"));
        if (!"RuntimeDefault".equals(map(podSecurity.get("seccompProfile")).get("type"))) {
            problems.add(m.where() + ": pod securityContext.seccompProfile.type is not RuntimeDefault");
        }
        Map<String, Map<String, Object>> volumes = new LinkedHashMap<>();
        for (Object v : list(p.spec().get("volumes"))) {
            volumes.put(String.valueOf(map(v).get("name")), map(v));
            volumeSource(m, p.namespace(), map(v));
        }
        List<Object> containers = list(p.spec().get("containers"));
        if (containers.isEmpty()) {
            problems.add(m.where() + ": no containers");
        }
        for (Object c : containers) {
            container(p, map(c), podSecurity, volumes);
        }
    }

    private void container(
            Pods p, Map<String, Object> c, Map<String, Object> podSecurity, Map<String, Map<String, Object>> volumes) {
        String where = p.owner().where() + " container " + c.get("name");
        for (String field : c.keySet()) {
            if (!CONTAINER_FIELDS.contains(field)) {
                problems.add(where + ": unknown container field " + field);
            }
        }
        if (blank(c.get("image"))) {
            problems.add(where + ": no image");
        }
        Map<String, Object> resources = map(c.get("resources"));
        for (String needed : List.of("requests.cpu", "requests.memory", "limits.memory")) {
            String[] path = needed.split("\\.");
            if (blank(map(resources.get(path[0])).get(path[1]))) {
                problems.add(where + ": no resources." + needed);
            }
        }
        Map<String, Object> security = map(c.get("securityContext"));
        if (!Boolean.TRUE.equals(security.get("runAsNonRoot"))
                && !Boolean.TRUE.equals(podSecurity.get("runAsNonRoot"))) {
            problems.add(where + ": runAsNonRoot is not true");
        }
        if (!Boolean.FALSE.equals(security.get("allowPrivilegeEscalation"))) {
            problems.add(where + ": securityContext.allowPrivilegeEscalation is not false");
        }
        if (!Boolean.TRUE.equals(security.get("readOnlyRootFilesystem"))) {
            problems.add(where + ": securityContext.readOnlyRootFilesystem is not true");
        }
        if (!list(map(security.get("capabilities")).get("drop")).contains("ALL")) {
            problems.add(where + ": securityContext.capabilities.drop does not hold ALL");
        }

        Set<String> portNames = new LinkedHashSet<>();
        Set<Integer> portNumbers = new LinkedHashSet<>();
        for (Object port : list(c.get("ports"))) {
            portNames.add(String.valueOf(map(port).get("name")));
            if (map(port).get("containerPort") instanceof Integer n) {
                portNumbers.add(n);
            }
        }
        boolean broker = "broker".equals(p.labels().get(COMPONENT));
        for (String probe : List.of("readinessProbe", "livenessProbe")) {
            Map<String, Object> spec = map(c.get(probe));
            if (spec.isEmpty()) {
                problems.add(where + ": no " + probe);
                continue;
            }
            Map<String, Object> http = map(spec.get("httpGet"));
            Map<String, Object> tcp = map(spec.get("tcpSocket"));
            Object port = http.isEmpty() ? tcp.get("port") : http.get("port");
            if (!(port instanceof Integer n ? portNumbers.contains(n) : portNames.contains(String.valueOf(port)))) {
                problems.add(where + ": " + probe + " port " + port + " is not a port of the container");
            }
            // the broker's Quarkus health, the bastion's own endpoint (PORTCULLIS_BASTION_HEALTH_PORT): each checks the
            // broker, recording storage, signing key and grant stream, which a TCP probe of the SSH port cannot
            String health = broker ? "/q/health/" : "/health/";
            String expected = health + (probe.equals("readinessProbe") ? "ready" : "live");
            if ((broker || "bastion".equals(p.labels().get(COMPONENT))) && !expected.equals(http.get("path"))) {
                problems.add(where + ": " + probe + " is not an HTTP GET of " + expected);
            }
            if (!http.isEmpty() && !String.valueOf(http.get("path")).startsWith(health)) {
                problems.add(where + ": " + probe + " path " + http.get("path") + " is not under " + health);
            }
        }
        if (broker || "bastion".equals(p.labels().get(COMPONENT))) {
            scraped(where, p.annotations(), portNumbers, broker ? "/q/metrics" : "/metrics");
        }
        Map<String, Object> startup = map(map(c.get("startupProbe")).get("httpGet"));
        if (!startup.isEmpty() && !String.valueOf(startup.get("path")).startsWith("/q/health/")) {
            problems.add(where + ": startupProbe path " + startup.get("path") + " is not under /q/health/");
        }

        List<String> mountPaths = new ArrayList<>();
        for (Object mount : list(c.get("volumeMounts"))) {
            String name = String.valueOf(map(mount).get("name"));
            if (!volumes.containsKey(name)) {
                problems.add(where + ": volumeMount " + name + " names no volume of the pod");
            }
            mountPaths.add(String.valueOf(map(mount).get("mountPath")));
        }

        // Settings: documented names, existing ConfigMaps / Secrets / keys, files under a mount.
        Map<String, String> values = new LinkedHashMap<>();
        for (Object from : list(c.get("envFrom"))) {
            Map<String, Object> ref = map(map(from).get("configMapRef"));
            if (!ref.isEmpty()) {
                find("ConfigMap", p.namespace(), String.valueOf(ref.get("name")))
                        .ifPresentOrElse(
                                cm -> map(cm.doc().get("data")).forEach((k, v) -> values.put(k, String.valueOf(v))),
                                () -> problems.add(
                                        where + ": envFrom ConfigMap " + ref.get("name") + " does not exist"));
            }
            Map<String, Object> secret = map(map(from).get("secretRef"));
            if (!secret.isEmpty()) {
                find("Secret", p.namespace(), String.valueOf(secret.get("name")))
                        .ifPresentOrElse(
                                s -> secretKeys(s).forEach(k -> values.put(k, "")),
                                () -> problems.add(
                                        where + ": envFrom Secret " + secret.get("name") + " does not exist"));
            }
        }
        for (Object e : list(c.get("env"))) {
            Map<String, Object> env = map(e);
            String name = String.valueOf(env.get("name"));
            values.put(name, env.get("value") == null ? "" : String.valueOf(env.get("value")));
            Map<String, Object> valueFrom = map(env.get("valueFrom"));
            for (String kind : List.of("secretKeyRef", "configMapKeyRef")) {
                Map<String, Object> ref = map(valueFrom.get(kind));
                if (!ref.isEmpty()) {
                    keyReference(
                            where + ": env " + name,
                            kind.equals("secretKeyRef") ? "Secret" : "ConfigMap",
                            p.namespace(),
                            ref);
                }
            }
        }
        if (broker) {
            brokerSettings(where, p, c, values);
        }
        for (Map.Entry<String, String> setting : values.entrySet()) {
            if (!documentedEnv.contains(setting.getKey())) {
                problems.add(where + ": setting " + setting.getKey()
                        + " is in neither README's settings table nor ssh-bastion/README.md");
            }
            for (String part : setting.getValue().split(",")) {
                if (part.startsWith("/")) {
                    fileProblem(p, c, part)
                            .ifPresent(problem ->
                                    problems.add(where + ": " + setting.getKey() + "=" + part + " " + problem));
                }
            }
        }
    }

    /**
     * Why {@code path} cannot be read in the container: under no volume mount, or a file that the mounted ConfigMap
     * or Secret does not hold. Empty when it can (a directory that is a mount point counts).
     */
    private Optional<String> fileProblem(Pods p, Map<String, Object> container, String path) {
        Map<String, Map<String, Object>> volumes = new LinkedHashMap<>();
        for (Object v : list(p.spec().get("volumes"))) {
            volumes.put(String.valueOf(map(v).get("name")), map(v));
        }
        for (Object m : list(container.get("volumeMounts"))) {
            String mountPath = String.valueOf(map(m).get("mountPath"));
            if (path.equals(mountPath)) {
                return Optional.empty();
            }
            if (!path.startsWith(mountPath + "/")) {
                continue;
            }
            Map<String, Object> volume = volumes.getOrDefault(String.valueOf(map(m).get("name")), Map.of());
            String key = path.substring(mountPath.length() + 1);
            Map<String, Object> configMap = map(volume.get("configMap"));
            Map<String, Object> secret = map(volume.get("secret"));
            Optional<Manifest> source = !configMap.isEmpty()
                    ? find("ConfigMap", p.namespace(), String.valueOf(configMap.get("name")))
                    : !secret.isEmpty()
                            ? find("Secret", p.namespace(), String.valueOf(secret.get("secretName")))
                            : Optional.empty();
            if (source.isEmpty()) {
                return Optional
                        .empty(); // a volume of files made at run time (PVC, emptyDir), or a missing source reported
                // elsewhere
            }
            Set<String> keys = source.get().kind().equals("Secret")
                    ? secretKeys(source.get())
                    : map(source.get().doc().get("data")).keySet();
            return keys.contains(key)
                    ? Optional.empty()
                    : Optional.of("is no key of " + source.get().kind() + " "
                            + source.get().name() + " mounted at " + mountPath + " (keys: " + keys + ")");
        }
        return Optional.of("is under no volume mount of the container");
    }

    private void volumeSource(Manifest m, String namespace, Map<String, Object> volume) {
        Map<String, Object> configMap = map(volume.get("configMap"));
        if (!configMap.isEmpty()
                && find("ConfigMap", namespace, String.valueOf(configMap.get("name")))
                        .isEmpty()) {
            problems.add(m.where() + ": volume " + volume.get("name") + " needs ConfigMap " + configMap.get("name")
                    + ", which does not exist");
        }
        Map<String, Object> secret = map(volume.get("secret"));
        if (!secret.isEmpty()
                && find("Secret", namespace, String.valueOf(secret.get("secretName")))
                        .isEmpty()) {
            problems.add(m.where() + ": volume " + volume.get("name") + " needs Secret " + secret.get("secretName")
                    + ", which does not exist");
        }
        Map<String, Object> claim = map(volume.get("persistentVolumeClaim"));
        if (!claim.isEmpty()) {
            Optional<Manifest> pvc = find("PersistentVolumeClaim", namespace, String.valueOf(claim.get("claimName")));
            if (pvc.isEmpty()) {
                problems.add(m.where() + ": volume " + volume.get("name") + " needs PersistentVolumeClaim "
                        + claim.get("claimName") + ", which does not exist");
            } else if (!list(pvc.get().spec().get("accessModes")).contains("ReadWriteMany") && replicasOf(m) > 1) {
                problems.add(m.where() + ": volume " + volume.get("name")
                        + " is shared by replicas but its claim is not ReadWriteMany");
            }
        }
    }

    private void keyReference(String where, String kind, String namespace, Map<String, Object> ref) {
        Optional<Manifest> target = find(kind, namespace, String.valueOf(ref.get("name")));
        if (target.isEmpty()) {
            problems.add(where + " needs " + kind + " " + ref.get("name") + ", which does not exist");
        } else if (!(kind.equals("Secret")
                        ? secretKeys(target.get())
                        : map(target.get().doc().get("data")).keySet())
                .contains(String.valueOf(ref.get("key")))) {
            problems.add(where + " needs key " + ref.get("key") + " of " + kind + " " + ref.get("name")
                    + ", which it does not have");
        }
    }

    // --- services, budgets, ingress

    private void service(Manifest m) {
        Map<String, Object> selector = map(m.spec().get("selector"));
        List<Pods> selected = selected(m.namespace(), Map.of("matchLabels", selector));
        if (selector.isEmpty() || selected.isEmpty()) {
            problems.add(m.where() + ": its selector " + selector + " matches no pod template");
            return;
        }
        for (Object port : list(m.spec().get("ports"))) {
            Object target = map(port).get("targetPort");
            if (target instanceof String name) {
                for (Pods p : selected) {
                    boolean found = list(p.spec().get("containers")).stream()
                            .flatMap(c -> list(map(c).get("ports")).stream())
                            .anyMatch(cp -> name.equals(map(cp).get("name")));
                    if (!found) {
                        problems.add(m.where() + ": targetPort " + name + " is no container port of "
                                + p.owner().name());
                    }
                }
            }
        }
    }

    private void disruptionBudget(Manifest m) {
        List<Pods> selected = selected(m.namespace(), map(m.spec().get("selector")));
        if (selected.isEmpty()) {
            problems.add(m.where() + ": its selector matches no pod template");
        }
        Object min = m.spec().get("minAvailable");
        Object max = m.spec().get("maxUnavailable");
        if (min == null && max == null) {
            problems.add(m.where() + ": neither minAvailable nor maxUnavailable");
        }
        for (Pods p : selected) {
            if (min instanceof Integer n && n >= p.replicas() || max instanceof Integer n2 && n2 < 1) {
                problems.add(m.where() + ": allows no voluntary disruption of "
                        + p.owner().name() + " (" + p.replicas() + " replicas); node drains would hang");
            }
        }
    }

    /** What the ingress may route from outside: the people's API, the web UI and its assets; never /q/* or /internal/*. */
    static final Set<String> PUBLIC_PREFIXES = Set.of("/api", "/ui", "/static", "/webjars", "/signed-out");

    private void ingress(Manifest m) {
        if (m.spec().get("defaultBackend") != null) {
            problems.add(m.where() + ": a defaultBackend routes every path, /q/* and /internal/* too");
        }
        for (Object rule : list(m.spec().get("rules"))) {
            for (Object path : list(map(map(rule).get("http")).get("paths"))) {
                String service = String.valueOf(
                        map(map(map(path).get("backend")).get("service")).get("name"));
                if (find("Service", m.namespace(), service).isEmpty()) {
                    problems.add(m.where() + ": backend Service " + service + " does not exist");
                }
                String p = String.valueOf(map(path).get("path"));
                String type = String.valueOf(map(path).get("pathType"));
                String trimmed = p.length() > 1 && p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
                boolean exposed = type.equals("Exact")
                        ? !p.equals("/")
                                && PUBLIC_PREFIXES.stream().noneMatch(pre -> p.equals(pre) || p.startsWith(pre + "/"))
                        : !PUBLIC_PREFIXES.contains(trimmed);
                if (exposed) {
                    problems.add(m.where() + ": path " + p + " (" + type
                            + ") routes more than /api, /ui and the static assets "
                            + "(/q/* and /internal/* stay inside the cluster)");
                }
            }
        }
    }

    /**
     * A broker behind the ingress: migrations as an owner role of their own, the web UI's cookie key shared by every
     * replica from one Secret, forwarded headers believed from the ingress only, session cookies Secure, and the audit
     * heads written to a volume of their own.
     */
    private void brokerSettings(String where, Pods p, Map<String, Object> c, Map<String, String> values) {
        Set<String> fromSecrets = new LinkedHashSet<>();
        for (Object e : list(c.get("env"))) {
            if (!map(map(map(e).get("valueFrom")).get("secretKeyRef")).isEmpty()) {
                fromSecrets.add(String.valueOf(map(e).get("name")));
            }
        }
        String owner = values.get("QUARKUS_FLYWAY_USERNAME");
        if (owner == null
                || owner.isBlank()
                || owner.equals(values.get("QUARKUS_DATASOURCE_USERNAME"))
                || !fromSecrets.contains("QUARKUS_FLYWAY_PASSWORD")) {
            problems.add(where + ": the migrations do not run as an owner role of their own (QUARKUS_FLYWAY_USERNAME, "
                    + "QUARKUS_FLYWAY_PASSWORD from a Secret, not the datasource's login)");
        }
        if (!fromSecrets.contains("QUARKUS_OIDC_WEB_TOKEN_STATE_MANAGER_ENCRYPTION_SECRET")) {
            problems.add(
                    where
                            + ": QUARKUS_OIDC_WEB_TOKEN_STATE_MANAGER_ENCRYPTION_SECRET does not come from a Secret every replica shares");
        }
        if (!"true".equals(values.get("QUARKUS_HTTP_PROXY_PROXY_ADDRESS_FORWARDING"))
                || blank(values.get("QUARKUS_HTTP_PROXY_TRUSTED_PROXIES"))) {
            problems.add(where + ": behind the ingress without proxy forwarding from trusted proxies only "
                    + "(QUARKUS_HTTP_PROXY_PROXY_ADDRESS_FORWARDING, QUARKUS_HTTP_PROXY_TRUSTED_PROXIES)");
        }
        if (!"true".equals(values.get("QUARKUS_OIDC_WEB_AUTHENTICATION_COOKIE_FORCE_SECURE"))) {
            problems.add(
                    where
                            + ": the web UI's session cookies are not forced Secure (QUARKUS_OIDC_WEB_AUTHENTICATION_COOKIE_FORCE_SECURE)");
        }
        String heads = values.get("PORTCULLIS_AUDIT_SIGNED_HEADS_DIR");
        boolean onClaim = false;
        for (Object mount : list(c.get("volumeMounts"))) {
            if (heads != null
                    && heads.equals(map(mount).get("mountPath"))
                    && !Boolean.TRUE.equals(map(mount).get("readOnly"))) {
                onClaim = list(p.spec().get("volumes")).stream()
                        .anyMatch(v -> map(v).get("name").equals(map(mount).get("name"))
                                && !map(map(v).get("persistentVolumeClaim")).isEmpty());
            }
        }
        if (!onClaim) {
            problems.add(where
                    + ": PORTCULLIS_AUDIT_SIGNED_HEADS_DIR is not a writable PersistentVolumeClaim mount of its own");
        }
    }

    // --- network policies

    private void defaultDeny() {
        Set<String> namespaces = new LinkedHashSet<>();
        pods.forEach(p -> namespaces.add(p.namespace()));
        for (String ns : namespaces) {
            boolean deny = manifests.stream()
                    .anyMatch(m -> m.kind().equals("NetworkPolicy")
                            && m.namespace().equals(ns)
                            && map(m.spec().get("podSelector")).isEmpty()
                            && list(m.spec().get("policyTypes")).containsAll(List.of("Ingress", "Egress"))
                            && list(m.spec().get("ingress")).isEmpty()
                            && list(m.spec().get("egress")).isEmpty());
            if (!deny) {
                problems.add("namespace " + ns
                        + ": no default-deny NetworkPolicy (empty podSelector, Ingress and Egress, no rules)");
            }
        }
    }

    private void networkPolicy(Manifest m) {
        Map<String, Object> podSelector = map(m.spec().get("podSelector"));
        boolean ours = pods.stream().anyMatch(p -> p.namespace().equals(m.namespace()));
        List<Pods> selected = selected(m.namespace(), podSelector);
        if (ours && !podSelector.isEmpty() && selected.isEmpty()) {
            problems.add(m.where() + ": its podSelector matches no pod template");
        }
        Map<String, Object> labelsRequired = map(podSelector.get("matchLabels"));
        boolean guardsTargets = "true".equals(String.valueOf(labelsRequired.get(TARGET)));
        if (guardsTargets) {
            List<Object> ingress = list(m.spec().get("ingress"));
            if (!list(m.spec().get("policyTypes")).contains("Ingress")) {
                problems.add(m.where() + ": guards targets but does not restrict Ingress");
            }
            for (Object rule : ingress) {
                List<Object> from = list(map(rule).get("from"));
                if (from.isEmpty()) {
                    problems.add(m.where() + ": lets anyone reach targets (an ingress rule without from)");
                }
                for (Object peer : from) {
                    Map<String, Object> peerPods =
                            map(map(map(peer).get("podSelector")).get("matchLabels"));
                    if (!"bastion".equals(peerPods.get(COMPONENT)) || map(peer).containsKey("ipBlock")) {
                        problems.add(m.where() + ": lets a peer that is not a bastion reach targets: " + peer);
                    }
                }
            }
        }
        // Egress towards a target segment: only from that segment's bastions.
        Map<String, List<String>> segments = targetSegments();
        for (Object rule : list(m.spec().get("egress"))) {
            for (Object peer : list(map(rule).get("to"))) {
                Map<String, Object> ipBlock = map(map(peer).get("ipBlock"));
                for (Map.Entry<String, List<String>> segment : segments.entrySet()) {
                    boolean reachesSegment;
                    if (!ipBlock.isEmpty()) {
                        List<String> except = list(ipBlock.get("except")).stream()
                                .map(String::valueOf)
                                .toList();
                        reachesSegment = segment.getValue().stream()
                                .anyMatch(cidr -> Cidr.reaches(String.valueOf(ipBlock.get("cidr")), except, cidr));
                    } else {
                        Map<String, Object> peerPods =
                                map(map(map(peer).get("podSelector")).get("matchLabels"));
                        Map<String, Object> peerNs =
                                map(map(map(peer).get("namespaceSelector")).get("matchLabels"));
                        reachesSegment = "true".equals(String.valueOf(peerPods.get(TARGET)))
                                && segment.getKey().equals(peerNs.get(SEGMENT));
                    }
                    if (!reachesSegment) {
                        continue;
                    }
                    boolean onlyThatSegmentsBastions = !podSelector.isEmpty()
                            && !selected.isEmpty()
                            && selected.stream()
                                    .allMatch(p -> "bastion".equals(p.labels().get(COMPONENT))
                                            && segment.getKey()
                                                    .equals(p.labels().get(SEGMENT)));
                    if (!onlyThatSegmentsBastions) {
                        problems.add(m.where() + ": lets pods other than segment " + segment.getKey()
                                + "'s bastions reach its targets (" + segment.getValue() + ") through " + peer);
                    }
                }
            }
        }
    }

    /** Segment -> its targets' CIDRs, from the bastion workloads' annotation. */
    private Map<String, List<String>> targetSegments() {
        Map<String, List<String>> segments = new LinkedHashMap<>();
        for (Pods p : pods) {
            if ("bastion".equals(p.labels().get(COMPONENT))) {
                Object cidrs = map(map(p.owner().doc().get("metadata")).get("annotations"))
                        .get(TARGET_CIDRS);
                if (blank(cidrs) || blank(p.labels().get(SEGMENT))) {
                    problems.add(p.owner().where() + ": a bastion needs the label " + SEGMENT + " and the annotation "
                            + TARGET_CIDRS);
                    continue;
                }
                segments.put(
                        String.valueOf(p.labels().get(SEGMENT)),
                        List.of(String.valueOf(cidrs).split("\\s*,\\s*")));
            }
        }
        return segments;
    }

    // --- the policy and the inventories

    private void policyConfigMaps() {
        for (Manifest m : manifests) {
            if (m.kind().equals("ConfigMap") && map(m.doc().get("data")).get("policies.yaml") instanceof String text) {
                try {
                    var policy = PolicyLoader.parse(m.where(), text);
                    for (var target : policy.targets()) {
                        String segment = segmentOf(target.host());
                        if (segment == null) {
                            problems.add(m.where() + ": target " + target.name() + " (" + target.host()
                                    + ") is in no bastion's segment");
                        }
                    }
                } catch (PolicyException e) {
                    problems.add(m.where() + ": the policy does not load: " + e.getMessage());
                }
            }
        }
    }

    private void inventories() {
        Map<String, String> policyTargets = new LinkedHashMap<>();
        for (Manifest m : manifests) {
            if (m.kind().equals("ConfigMap") && map(m.doc().get("data")).get("policies.yaml") instanceof String text) {
                try {
                    PolicyLoader.parse(m.where(), text).targets().forEach(t -> policyTargets.put(t.name(), t.host()));
                } catch (PolicyException reportedAbove) {
                    // already a problem
                }
            }
        }
        for (Pods p : pods) {
            if (!"bastion".equals(p.labels().get(COMPONENT))) {
                continue;
            }
            String segment = String.valueOf(p.labels().get(SEGMENT));
            for (Object c : list(p.spec().get("containers"))) {
                String targetsFile = list(map(c).get("env")).stream()
                        .map(ManifestChecker::map)
                        .filter(e -> "PORTCULLIS_BASTION_TARGETS".equals(e.get("name")))
                        .map(e -> String.valueOf(e.get("value")))
                        .findFirst()
                        .orElse(null);
                if (targetsFile == null) {
                    problems.add(p.owner().where() + ": no PORTCULLIS_BASTION_TARGETS");
                    continue;
                }
                Map<String, Object> inventory = inventoryAt(p, map(c), targetsFile);
                if (inventory == null) {
                    problems.add(p.owner().where() + ": PORTCULLIS_BASTION_TARGETS=" + targetsFile
                            + " is in no mounted ConfigMap");
                    continue;
                }
                // SSH targets under "targets", databases under "databases" (the PostgreSQL proxy's roles)
                for (String section : List.of("targets", "databases")) {
                    for (Map.Entry<String, Object> t :
                            map(inventory.get(section)).entrySet()) {
                        String where = p.owner().where() + ": inventory " + section + " entry " + t.getKey();
                        if (!policyTargets.isEmpty() && !policyTargets.containsKey(t.getKey())) {
                            problems.add(where + " is not in the policy");
                        }
                        Object address = map(t.getValue()).get("address");
                        String host = address == null
                                ? policyTargets.get(t.getKey())
                                : String.valueOf(address).contains(":")
                                        ? String.valueOf(address)
                                                .substring(
                                                        0,
                                                        String.valueOf(address).lastIndexOf(':'))
                                        : String.valueOf(address);
                        if (host != null && !segment.equals(segmentOf(host))) {
                            problems.add(where + " at " + (address == null ? host : address) + " is outside segment "
                                    + segment);
                        }
                        List<String> files = new ArrayList<>();
                        if (map(t.getValue()).get("identityFile") instanceof String f) {
                            files.add(f);
                        }
                        map(map(t.getValue()).get("identityFiles")).values().forEach(f -> files.add(String.valueOf(f)));
                        map(map(t.getValue()).get("roles")).values().forEach(r -> {
                            if (map(r).get("passwordFile") instanceof String f) {
                                files.add(f);
                            }
                        });
                        for (String file : files) {
                            fileProblem(p, map(c), file)
                                    .ifPresent(problem -> problems.add(where + ": " + file + " " + problem));
                        }
                    }
                }
            }
        }
    }

    private Map<String, Object> inventoryAt(Pods p, Map<String, Object> container, String file) {
        Map<String, String> volumeToConfigMap = new LinkedHashMap<>();
        for (Object v : list(p.spec().get("volumes"))) {
            Map<String, Object> cm = map(map(v).get("configMap"));
            if (!cm.isEmpty()) {
                volumeToConfigMap.put(String.valueOf(map(v).get("name")), String.valueOf(cm.get("name")));
            }
        }
        for (Object mount : list(container.get("volumeMounts"))) {
            String path = String.valueOf(map(mount).get("mountPath"));
            String configMap = volumeToConfigMap.get(String.valueOf(map(mount).get("name")));
            if (configMap != null && file.startsWith(path + "/")) {
                Optional<Manifest> cm = find("ConfigMap", p.namespace(), configMap);
                Object text = cm.map(x -> map(x.doc().get("data")).get(file.substring(path.length() + 1)))
                        .orElse(null);
                if (text instanceof String yaml) {
                    return map(new Yaml(new SafeConstructor(new LoaderOptions())).load(yaml));
                }
            }
        }
        return null;
    }

    private String segmentOf(String host) {
        for (Map.Entry<String, List<String>> s : targetSegmentsQuietly().entrySet()) {
            if (s.getValue().stream().anyMatch(cidr -> Cidr.contains(cidr, host))) {
                return s.getKey();
            }
        }
        return null;
    }

    private Map<String, List<String>> targetSegmentsQuietly() {
        Map<String, List<String>> segments = new LinkedHashMap<>();
        for (Pods p : pods) {
            Object cidrs =
                    map(map(p.owner().doc().get("metadata")).get("annotations")).get(TARGET_CIDRS);
            if ("bastion".equals(p.labels().get(COMPONENT)) && !blank(cidrs)) {
                segments.put(
                        String.valueOf(p.labels().get(SEGMENT)),
                        List.of(String.valueOf(cidrs).split("\\s*,\\s*")));
            }
        }
        return segments;
    }

    // --- helpers

    private List<Pods> selected(String namespace, Map<String, Object> selector) {
        return pods.stream()
                .filter(p -> p.namespace().equals(namespace) && selects(selector, p.labels()))
                .toList();
    }

    /** A label selector (matchLabels and matchExpressions) against a pod's labels; an empty selector selects all. */
    static boolean selects(Map<String, Object> selector, Map<String, Object> labels) {
        for (Map.Entry<String, Object> want : map(selector.get("matchLabels")).entrySet()) {
            if (!Objects.equals(
                    String.valueOf(want.getValue()),
                    labels.get(want.getKey()) == null ? null : String.valueOf(labels.get(want.getKey())))) {
                return false;
            }
        }
        for (Object e : list(selector.get("matchExpressions"))) {
            Map<String, Object> expression = map(e);
            Object value = labels.get(String.valueOf(expression.get("key")));
            List<String> values =
                    list(expression.get("values")).stream().map(String::valueOf).toList();
            boolean ok = switch (String.valueOf(expression.get("operator"))) {
                case "In" -> value != null && values.contains(String.valueOf(value));
                case "NotIn" -> value == null || !values.contains(String.valueOf(value));
                case "Exists" -> value != null;
                case "DoesNotExist" -> value == null;
                default -> false;
            };
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    private Optional<Manifest> find(String kind, String namespace, String name) {
        return manifests.stream()
                .filter(m -> m.kind().equals(kind)
                        && m.namespace().equals(namespace)
                        && m.name().equals(name))
                .findFirst();
    }

    private static Set<String> secretKeys(Manifest secret) {
        Set<String> keys = new LinkedHashSet<>(map(secret.doc().get("data")).keySet());
        keys.addAll(map(secret.doc().get("stringData")).keySet());
        return keys;
    }

    private int replicasOf(Manifest m) {
        return m.spec().get("replicas") instanceof Integer r ? r : 1;
    }

    private static boolean blank(Object value) {
        return value == null || String.valueOf(value).isBlank();
    }

    @SuppressWarnings("unchecked")
    /** The pods' metrics are scraped: the Prometheus annotations name a port of the container and the metrics path. */
    private void scraped(String where, Map<String, Object> annotations, Set<Integer> ports, String path) {
        if (!"true".equals(String.valueOf(annotations.get("prometheus.io/scrape")))) {
            problems.add(where + ": pods are not scraped (annotation prometheus.io/scrape: \"true\")");
            return;
        }
        if (!path.equals(annotations.get("prometheus.io/path"))) {
            problems.add(where + ": prometheus.io/path is not " + path);
        }
        Object port = annotations.get("prometheus.io/port");
        if (!(port != null && port.toString().matches("[0-9]+") && ports.contains(Integer.parseInt(port.toString())))) {
            problems.add(where + ": prometheus.io/port " + port + " is not a port of the container");
        }
    }

    static Map<String, Object> map(Object value) {
        return value instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object value) {
        return value instanceof List<?> l ? (List<Object>) l : List.of();
    }

    /** IPv4 CIDR arithmetic, enough for NetworkPolicy ipBlocks. */
    static final class Cidr {
        private Cidr() {}

        static long[] range(String cidr) {
            String[] parts = cidr.split("/");
            int bits = parts.length == 2 ? Integer.parseInt(parts[1]) : 32;
            long start = address(parts[0]) & (bits == 0 ? 0 : (0xFFFFFFFFL << (32 - bits)) & 0xFFFFFFFFL);
            long size = 1L << (32 - bits);
            return new long[] {start, start + size - 1};
        }

        static long address(String dotted) {
            String[] octets = dotted.split("\\.");
            if (octets.length != 4) {
                throw new IllegalArgumentException("not an IPv4 address: " + dotted);
            }
            long a = 0;
            for (String o : octets) {
                a = (a << 8) | Integer.parseInt(o);
            }
            return a;
        }

        static boolean contains(String cidr, String host) {
            try {
                long[] r = range(cidr);
                long a = address(host);
                return a >= r[0] && a <= r[1];
            } catch (IllegalArgumentException notAnAddress) {
                return false;
            }
        }

        /** Whether {@code cidr} minus {@code except} still reaches part of {@code target}. */
        static boolean reaches(String cidr, List<String> except, String target) {
            long[] allowed = range(cidr);
            long[] t = range(target);
            if (allowed[1] < t[0] || t[1] < allowed[0]) {
                return false;
            }
            long from = Math.max(allowed[0], t[0]);
            long to = Math.min(allowed[1], t[1]);
            // covered entirely by one except range?
            return except.stream().map(Cidr::range).noneMatch(e -> e[0] <= from && to <= e[1]);
        }
    }
}
