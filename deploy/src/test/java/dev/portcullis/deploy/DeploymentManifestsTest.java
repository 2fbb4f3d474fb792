package dev.portcullis.deploy;

import static dev.portcullis.deploy.ManifestChecker.list;
import static dev.portcullis.deploy.ManifestChecker.map;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.portcullis.deploy.ManifestChecker.Cidr;
import dev.portcullis.deploy.ManifestChecker.Manifest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The scale-out deployment (deploy/k8s, deploy/systemd, deploy/Dockerfile), validated offline: no cluster and no
 * systemd run here. Each check is shown to reject a broken copy of the real manifests.
 */
class DeploymentManifestsTest {

    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    private static final Path K8S = REPO.resolve("deploy/k8s");
    private static final Path SYSTEMD = REPO.resolve("deploy/systemd");

    private static Set<String> documented() throws IOException {
        Set<String> names =
                new LinkedHashSet<>(ManifestChecker.documentedSettings(Files.readString(REPO.resolve("README.md"))));
        names.addAll(ManifestChecker.documentedSettings(Files.readString(REPO.resolve("ssh-bastion/README.md"))));
        return names;
    }

    private static List<String> problems(List<Manifest> manifests) throws IOException {
        return ManifestChecker.check(manifests, documented());
    }

    /** A fresh copy of the manifests with one document changed. */
    private static List<String> problemsAfter(String kind, String name, Consumer<Map<String, Object>> change)
            throws IOException {
        List<Manifest> manifests = ManifestChecker.load(K8S);
        Manifest doc = manifests.stream()
                .filter(m -> m.kind().equals(kind) && m.name().equals(name))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + " " + name));
        change.accept(doc.doc());
        return problems(manifests);
    }

    private static Map<String, Object> firstContainer(Map<String, Object> deployment) {
        return map(list(map(map(map(deployment.get("spec")).get("template")).get("spec"))
                        .get("containers"))
                .get(0));
    }

    @Test
    void theManifestsPassEveryCheck() throws IOException {
        List<Manifest> manifests = ManifestChecker.load(K8S);
        assertThat(manifests)
                .extracting(Manifest::kind)
                .contains(
                        "Namespace",
                        "Deployment",
                        "Service",
                        "PodDisruptionBudget",
                        "NetworkPolicy",
                        "ConfigMap",
                        "Secret",
                        "PersistentVolumeClaim",
                        "Ingress");
        assertThat(manifests)
                .filteredOn(m -> m.kind().equals("Deployment"))
                .extracting(Manifest::name)
                .contains("portcullis-broker", "bastion-segment-a", "bastion-segment-b");
        assertThat(problems(manifests)).isEmpty();
    }

    @Test
    void everyManifestIsInAKustomizationAndEveryImageIsPinnedThere() throws IOException {
        List<Path> kustomizations;
        try (Stream<Path> walk = Files.walk(K8S)) {
            kustomizations = walk.filter(p -> p.getFileName().toString().equals("kustomization.yaml"))
                    .toList();
        }
        Set<Path> listed = new LinkedHashSet<>();
        Set<String> images = new LinkedHashSet<>();
        for (Path k : kustomizations) {
            Map<String, Object> kustomization =
                    map(new Yaml(new SafeConstructor(new LoaderOptions())).load(Files.readString(k)));
            assertThat(kustomization.get("kind")).isEqualTo("Kustomization");
            for (Object resource : list(kustomization.get("resources"))) {
                Path file = k.getParent().resolve(String.valueOf(resource));
                assertThat(file).as("resource of " + k).exists();
                listed.add(file.normalize());
            }
            list(kustomization.get("images")).forEach(i -> images.add(String.valueOf(map(i).get("name"))));
        }
        try (Stream<Path> walk = Files.walk(K8S)) {
            List<Path> unlisted = walk.filter(p -> p.toString().endsWith(".yaml")
                            && !p.getFileName().toString().equals("kustomization.yaml")
                            && !p.getFileName().toString().endsWith(".example.yaml"))
                    .map(Path::normalize)
                    .filter(p -> !listed.contains(p))
                    .toList();
            assertThat(unlisted)
                    .as("manifests no kustomization applies (operator-provided ones end in .example.yaml)")
                    .isEmpty();
        }
        for (Manifest m : ManifestChecker.load(K8S)) {
            if (m.kind().equals("Deployment")) {
                String image = String.valueOf(firstContainer(m.doc()).get("image"));
                assertThat(images)
                        .as("kustomization images: " + image)
                        .contains(image.substring(0, image.indexOf(':')));
            }
        }
    }

    @Test
    void kustomizeRendersTheBaseWhereKubectlIsInstalled() throws Exception {
        Path kubectl = Stream.of(System.getenv().getOrDefault("PATH", "").split(":"))
                .map(d -> Path.of(d, "kubectl"))
                .filter(Files::isExecutable)
                .findFirst()
                .orElse(null);
        assumeTrue(kubectl != null, "kubectl is not installed; the checks above parse the same files");
        // "kubectl kustomize" renders offline; it never contacts a cluster.
        Process render = new ProcessBuilder(kubectl.toString(), "kustomize", K8S.toString())
                .redirectErrorStream(true)
                .start();
        String output = new String(render.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(render.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(render.exitValue()).as(output).isZero();
        List<Manifest> rendered = new ArrayList<>();
        for (Object doc : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(output)) {
            rendered.add(new Manifest("kustomize", map(doc)));
        }
        assertThat(rendered)
                .extracting(Manifest::kind)
                .contains("Namespace", "Deployment", "NetworkPolicy", "PodDisruptionBudget");
        assertThat(rendered)
                .filteredOn(m -> !m.kind().equals("Namespace"))
                .extracting(Manifest::namespace)
                .containsOnly("portcullis");
    }

    @Test
    void theSettingsTablesAreReadWithTheirShorthands() throws IOException {
        Set<String> names = documented();
        assertThat(names)
                .contains(
                        "PORTCULLIS_POLICY_FILE",
                        "QUARKUS_DATASOURCE_JDBC_URL",
                        "QUARKUS_DATASOURCE_USERNAME",
                        "QUARKUS_DATASOURCE_PASSWORD",
                        "QUARKUS_KEYCLOAK_ADMIN_CLIENT_CLIENT_SECRET",
                        "PORTCULLIS_SSH_HOST_CA_KEY_FILE",
                        "PORTCULLIS_BROKER_URL",
                        "PORTCULLIS_BASTION_PORT",
                        "PORTCULLIS_BASTION_HOST_NAMES");
        assertThat(names).doesNotContain("PORTCULLIS_NO_SUCH_SETTING", "_USERNAME");
    }

    @Test
    void fewerThanTwoBrokersOrABudgetThatBlocksDrainsAreRefused() throws IOException {
        assertThat(problemsAfter(
                        "Deployment",
                        "portcullis-broker",
                        d -> map(d.get("spec")).put("replicas", 1)))
                .anySatisfy(p -> assertThat(p).contains("1 broker replica(s)"));
        assertThat(problemsAfter("PodDisruptionBudget", "portcullis-broker", b -> {
                    map(b.get("spec")).remove("maxUnavailable");
                    map(b.get("spec")).put("minAvailable", 2);
                }))
                .anySatisfy(p -> assertThat(p)
                        .contains("PodDisruptionBudget portcullis-broker: allows no voluntary disruption"));
    }

    @Test
    void probesMustBeTheHealthEndpoints() throws IOException {
        assertThat(problemsAfter(
                        "Deployment",
                        "portcullis-broker",
                        d -> map(map(firstContainer(d).get("readinessProbe")).get("httpGet"))
                                .put("path", "/health")))
                .anySatisfy(p -> assertThat(p).contains("readinessProbe is not an HTTP GET of /q/health/ready"));
        assertThat(problemsAfter(
                        "Deployment",
                        "bastion-segment-a",
                        d -> firstContainer(d).remove("livenessProbe")))
                .anySatisfy(p -> assertThat(p).contains("bastion-segment-a container bastion: no livenessProbe"));
        assertThat(problemsAfter(
                        "Deployment",
                        "bastion-segment-a",
                        d -> map(map(firstContainer(d).get("readinessProbe")).get("httpGet"))
                                .put("port", "sshd")))
                .anySatisfy(p -> assertThat(p).contains("readinessProbe port sshd is not a port of the container"));
        // a TCP probe of the SSH port says nothing of the broker, the recording store, the key or the grant stream
        assertThat(problemsAfter(
                        "Deployment",
                        "bastion-segment-a",
                        d -> firstContainer(d).put("readinessProbe", Map.of("tcpSocket", Map.of("port", "ssh")))))
                .anySatisfy(p -> assertThat(p)
                        .contains("bastion-segment-a container bastion: readinessProbe is not an HTTP GET of "
                                + "/health/ready"));
        assertThat(problemsAfter(
                        "Deployment",
                        "bastion-segment-b",
                        d -> map(map(firstContainer(d).get("livenessProbe")).get("httpGet"))
                                .put("path", "/q/health/live")))
                .anySatisfy(p -> assertThat(p).contains("livenessProbe is not an HTTP GET of /health/live"));
    }

    /** The sample dashboard loads (JSON), and every panel asks Prometheus for a Portcullis figure. */
    @Test
    void theGrafanaDashboardIsWellFormed() throws IOException {
        Path dashboard = Path.of("grafana/portcullis-dashboard.json");
        com.fasterxml.jackson.databind.JsonNode json =
                new com.fasterxml.jackson.databind.ObjectMapper().readTree(dashboard.toFile());
        assertThat(json.path("panels").size()).isPositive();
        for (com.fasterxml.jackson.databind.JsonNode panel : json.path("panels")) {
            assertThat(panel.path("targets").size())
                    .as(panel.path("title").asText())
                    .isPositive();
            panel.path("targets")
                    .forEach(t -> assertThat(t.path("expr").asText()).contains("portcullis_"));
        }
    }

    @Test
    void brokersAndBastionsAreScraped() throws IOException {
        assertThat(problemsAfter(
                        "Deployment",
                        "bastion-segment-a",
                        d -> map(map(map(d.get("spec")).get("template")).get("metadata"))
                                .remove("annotations")))
                .anySatisfy(p -> assertThat(p).contains("bastion-segment-a container bastion: pods are not scraped"));
        assertThat(problemsAfter(
                        "Deployment",
                        "bastion-segment-b",
                        d -> map(map(map(map(d.get("spec")).get("template")).get("metadata"))
                                        .get("annotations"))
                                .put("prometheus.io/port", "9999")))
                .anySatisfy(p -> assertThat(p).contains("prometheus.io/port 9999 is not a port of the container"));
        assertThat(problemsAfter(
                        "Deployment",
                        "portcullis-broker",
                        d -> map(map(map(map(d.get("spec")).get("template")).get("metadata"))
                                        .get("annotations"))
                                .put("prometheus.io/path", "/metrics")))
                .anySatisfy(p -> assertThat(p).contains("prometheus.io/path is not /q/metrics"));
    }

    @Test
    void everyContainerHasResourcesAndAHardenedSecurityContext() throws IOException {
        assertThat(problemsAfter(
                        "Deployment",
                        "bastion-segment-b",
                        d -> firstContainer(d).remove("resources")))
                .anySatisfy(
                        p -> assertThat(p).contains("bastion-segment-b container bastion: no resources.requests.cpu"))
                .anySatisfy(p -> assertThat(p).contains("no resources.limits.memory"));
        assertThat(problemsAfter("Deployment", "portcullis-broker", d -> {
                    map(firstContainer(d).get("securityContext")).put("allowPrivilegeEscalation", true);
                    map(firstContainer(d).get("securityContext")).remove("readOnlyRootFilesystem");
                    map(firstContainer(d).get("securityContext")).remove("runAsNonRoot");
                    map(map(map(map(d.get("spec")).get("template")).get("spec")).get("securityContext"))
                            .remove("runAsNonRoot");
                }))
                .anySatisfy(p -> assertThat(p).contains("allowPrivilegeEscalation is not false"))
                .anySatisfy(p -> assertThat(p).contains("readOnlyRootFilesystem is not true"))
                .anySatisfy(p -> assertThat(p).contains("runAsNonRoot is not true"));
    }

    @Test
    void selectorsMustSelectPods() throws IOException {
        assertThat(problemsAfter(
                        "Service",
                        "portcullis-broker",
                        s -> map(map(s.get("spec")).get("selector")).put("app.kubernetes.io/name", "broker")))
                .anySatisfy(p -> assertThat(p).contains("Service portcullis-broker: its selector"));
        assertThat(problemsAfter(
                        "PodDisruptionBudget",
                        "bastion-segment-a",
                        b -> map(map(map(b.get("spec")).get("selector")).get("matchLabels"))
                                .put("portcullis.dev/segment", "c")))
                .anySatisfy(p -> assertThat(p)
                        .contains("PodDisruptionBudget bastion-segment-a: its selector matches no pod template"));
        assertThat(problemsAfter(
                        "Service",
                        "bastion-segment-a",
                        s -> map(list(map(s.get("spec")).get("ports")).get(1)).put("targetPort", "pg")))
                .anySatisfy(p -> assertThat(p).contains("targetPort pg is no container port of bastion-segment-a"));
    }

    @Test
    void referencesMustExist() throws IOException {
        assertThat(problemsAfter(
                        "Deployment",
                        "portcullis-broker",
                        d -> map(map(map(list(firstContainer(d).get("env")).get(0))
                                                .get("valueFrom"))
                                        .get("secretKeyRef"))
                                .put("key", "DB_PASSWORD")))
                .anySatisfy(p -> assertThat(p).contains("needs key DB_PASSWORD of Secret portcullis-broker-secrets"));
        assertThat(problemsAfter(
                        "Deployment",
                        "bastion-segment-a",
                        d -> map(map(list(map(map(map(d.get("spec")).get("template"))
                                                                .get("spec"))
                                                        .get("volumes"))
                                                .get(1))
                                        .get("secret"))
                                .put("secretName", "bastion-keys")))
                .anySatisfy(p -> assertThat(p).contains("needs Secret bastion-keys, which does not exist"));
        assertThat(problemsAfter(
                        "ConfigMap",
                        "portcullis-broker-config",
                        c -> map(c.get("data")).put("PORTCULLIS_POLICY_FILE", "/etc/policies.yaml")))
                .anySatisfy(p ->
                        assertThat(p).contains("PORTCULLIS_POLICY_FILE=/etc/policies.yaml is under no volume mount"));
        assertThat(problemsAfter(
                        "ConfigMap",
                        "portcullis-broker-config",
                        c -> map(c.get("metadata")).remove("namespace")))
                .anySatisfy(p -> assertThat(p).contains("ConfigMap portcullis-broker-config: no metadata.namespace"));
    }

    @Test
    void misspeltFieldsAndRetiredApiVersionsAreRefused() throws IOException {
        assertThat(problemsAfter(
                        "Deployment",
                        "portcullis-broker",
                        d -> firstContainer(d)
                                .put("readinesProbe", firstContainer(d).remove("readinessProbe"))))
                .anySatisfy(p -> assertThat(p).contains("unknown container field readinesProbe"))
                .anySatisfy(p -> assertThat(p).contains("no readinessProbe"));
        assertThat(problemsAfter(
                        "Deployment",
                        "bastion-segment-a",
                        d -> map(map(map(d.get("spec")).get("template")).get("spec"))
                                .put("securitycontext", Map.of())))
                .anySatisfy(p -> assertThat(p).contains("unknown pod spec field securitycontext"));
        assertThat(problemsAfter(
                        "PodDisruptionBudget", "portcullis-broker", b -> b.put("apiVersion", "policy/v1beta1")))
                .anySatisfy(p -> assertThat(p).contains("apiVersion policy/v1beta1, expected policy/v1"));
    }

    @Test
    void recordingsGoToS3WithEachSegmentsOwnCredentialsAndNoSharedVolume() throws IOException {
        List<Manifest> manifests = ManifestChecker.load(K8S);
        assertThat(manifests)
                .filteredOn(m -> m.kind().equals("PersistentVolumeClaim"))
                .extracting(Manifest::name)
                .doesNotContain("portcullis-recordings");
        // segment b's bastions handed segment a's S3 credentials could write segment a's prefix
        assertThat(problemsAfter(
                        "Deployment",
                        "bastion-segment-b",
                        d -> list(firstContainer(d).get("env")).stream()
                                .map(ManifestChecker::map)
                                .filter(e -> String.valueOf(e.get("name")).startsWith("PORTCULLIS_RECORDINGS_S3_"))
                                .map(e -> map(map(e.get("valueFrom")).get("secretKeyRef")))
                                .filter(r -> !r.isEmpty())
                                .forEach(r -> r.put("name", "portcullis-bastion-segment-a-s3"))))
                .anySatisfy(p -> assertThat(p)
                        .contains("PORTCULLIS_RECORDINGS_S3_ACCESS_KEY_ID must come from the "
                                + "Secret portcullis-bastion-segment-b-s3"));
        // a bastion put back on a shared volume
        assertThat(problemsAfter(
                        "Deployment",
                        "bastion-segment-a",
                        d -> list(map(map(map(d.get("spec")).get("template")).get("spec"))
                                        .get("volumes"))
                                .add(Map.of(
                                        "name",
                                        "recordings",
                                        "persistentVolumeClaim",
                                        Map.of("claimName", "portcullis-recordings")))))
                .anySatisfy(p -> assertThat(p).contains("mounts the recordings volume portcullis-recordings"));
        // a bastion without the bucket
        assertThat(problemsAfter(
                        "Deployment",
                        "bastion-segment-a",
                        d -> list(firstContainer(d).get("env"))
                                .removeIf(e -> "PORTCULLIS_RECORDINGS_S3_BUCKET".equals(map(e).get("name")))))
                .anySatisfy(p -> assertThat(p).contains("a bastion without PORTCULLIS_RECORDINGS_S3_BUCKET"));
    }

    @Test
    void settingsMustBeDocumented() throws IOException {
        assertThat(problemsAfter(
                        "ConfigMap",
                        "portcullis-broker-config",
                        c -> map(c.get("data")).put("PORTCULLIS_TURBO", "true")))
                .anySatisfy(
                        p -> assertThat(p)
                                .contains(
                                        "setting PORTCULLIS_TURBO is in neither README's settings table nor ssh-bastion/README.md"));
    }

    @Test
    void onlyASegmentsBastionsReachItsTargets() throws IOException {
        // the broker allowed into segment a
        assertThat(problemsAfter(
                        "NetworkPolicy",
                        "broker-egress",
                        n -> map(map(list(map(list(map(n.get("spec")).get("egress"))
                                                                .get(0))
                                                        .get("to"))
                                                .get(0))
                                        .get("ipBlock"))
                                .put("except", List.of("10.30.0.0/16"))))
                .anySatisfy(
                        p -> assertThat(p)
                                .contains(
                                        "NetworkPolicy broker-egress: lets pods other than segment a's bastions reach its targets"));
        // segment b's bastions allowed into segment a
        assertThat(problemsAfter(
                        "NetworkPolicy",
                        "bastion-segment-b-to-targets",
                        n -> map(map(list(map(list(map(n.get("spec")).get("egress"))
                                                                .get(0))
                                                        .get("to"))
                                                .get(0))
                                        .get("ipBlock"))
                                .put("cidr", "10.0.0.0/8")))
                .anySatisfy(p -> assertThat(p)
                        .contains("bastion-segment-b-to-targets: lets pods other than segment a's bastions"));
        // in-cluster targets opened to an address range
        assertThat(problemsAfter(
                        "NetworkPolicy",
                        "portcullis-targets-from-bastions-only",
                        n -> list(map(list(map(n.get("spec")).get("ingress")).get(0))
                                        .get("from"))
                                .add(Map.of("ipBlock", Map.of("cidr", "0.0.0.0/0")))))
                .anySatisfy(p -> assertThat(p).contains("lets a peer that is not a bastion reach targets"));
        // no default deny
        assertThat(problemsAfter(
                        "NetworkPolicy",
                        "default-deny",
                        n -> map(n.get("spec")).put("policyTypes", List.of("Ingress"))))
                .anySatisfy(p -> assertThat(p).contains("namespace portcullis: no default-deny NetworkPolicy"));
    }

    @Test
    void inventoriesAndThePolicyAgreeWithTheSegments() throws IOException {
        assertThat(
                        problemsAfter(
                                "ConfigMap",
                                "portcullis-bastion-segment-a-targets",
                                c -> map(c.get("data"))
                                        .put(
                                                "targets.yaml",
                                                "targets:\n  prod-web-1:\n    address: 10.30.0.11:22\n  prod-web-9:\n    address: 10.20.0.9:22\n")))
                .anySatisfy(p -> assertThat(p)
                        .contains("inventory targets entry prod-web-1 at 10.30.0.11:22 is outside segment a"))
                .anySatisfy(p -> assertThat(p).contains("inventory targets entry prod-web-9 is not in the policy"));
        assertThat(
                        problemsAfter(
                                "ConfigMap",
                                "portcullis-bastion-segment-a-targets",
                                c -> map(c.get("data"))
                                        .put(
                                                "targets.yaml",
                                                "targets:\n  prod-web-1:\n    identityFile: /etc/portcullis/target-keys/prod-web-2\n"
                                                        + "databases:\n  prod-db:\n    roles:\n      app_readonly: {passwordFile: /etc/portcullis/db/app_readonly}\n")))
                .anySatisfy(
                        p -> assertThat(p)
                                .contains(
                                        "/etc/portcullis/target-keys/prod-web-2 is no key of Secret portcullis-bastion-segment-a-target-keys"))
                .anySatisfy(p ->
                        assertThat(p).contains("inventory databases entry prod-db at 10.30.0.21 is outside segment a"))
                .anySatisfy(p -> assertThat(p).contains("/etc/portcullis/db/app_readonly is under no volume mount"));
        assertThat(problemsAfter(
                        "ConfigMap",
                        "portcullis-broker-config",
                        c -> map(c.get("data")).put("PORTCULLIS_SSH_USER_CA_KEY_FILE", "/etc/portcullis/ssh-ca/ca")))
                .anySatisfy(
                        p -> assertThat(p)
                                .contains(
                                        "PORTCULLIS_SSH_USER_CA_KEY_FILE=/etc/portcullis/ssh-ca/ca is no key of Secret portcullis-ssh-ca"));
        assertThat(problemsAfter(
                        "ConfigMap",
                        "portcullis-policy",
                        c -> map(c.get("data"))
                                .put("policies.yaml", "version: 1\ntargets:\n  - name: x\n    kind: telnet\n")))
                .anySatisfy(p -> assertThat(p).contains("the policy does not load"));
    }

    /**
     * Each segment's inventory loads with the bastion's own loader (TargetInventory), so a format change in the bastion
     * shows here. The manifests carry placeholders for what only the operator has (the targets' host keys) and name
     * key and password files mounted from Secrets; the test puts real ones in their place.
     */
    @Test
    void everyInventoryLoadsWithTheBastionsLoader(@TempDir Path dir) throws Exception {
        Path key = dir.resolve("id_ed25519");
        Process keygen = new ProcessBuilder(
                        "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "test", "-f", key.toString())
                .redirectErrorStream(true)
                .start();
        assertThat(keygen.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(keygen.exitValue()).isZero();
        String hostKey = Files.readString(dir.resolve("id_ed25519.pub")).strip();
        int inventories = 0;
        for (Manifest m : ManifestChecker.load(K8S)) {
            if (!m.kind().equals("ConfigMap")
                    || !(map(m.doc().get("data")).get("targets.yaml") instanceof String yaml)) {
                continue;
            }
            String local = yaml.replaceAll("hostKey: .*", "hostKey: " + hostKey);
            java.util.regex.Matcher files = java.util.regex.Pattern.compile(
                            "(identityFile|passwordFile|ca): (/[^ ,}\\n]+)")
                    .matcher(yaml);
            while (files.find()) {
                Path copy = dir.resolve(Path.of(files.group(2)).getFileName().toString());
                if (files.group(1).equals("identityFile")) {
                    Files.copy(key, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                } else if (files.group(1).equals("ca")) {
                    // a database server's CA certificate (PEM): any certificate does for loading
                    dev.portcullis.bastion.db.DbTls.selfSigned(dir.resolve("ca"), List.of("db.example"));
                    Files.copy(
                            dir.resolve("ca").resolve("db-tls.crt"),
                            copy,
                            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                } else {
                    Files.writeString(copy, "a-password\n");
                }
                local = local.replace(files.group(2), copy.toString());
            }
            Path file = dir.resolve(m.name() + ".yaml");
            Files.writeString(file, local);
            var inventory = dev.portcullis.bastion.upstream.TargetInventory.load(file);
            Map<String, Object> parsed = map(new Yaml(new SafeConstructor(new LoaderOptions())).load(yaml));
            assertThat(inventory.names())
                    .as(m.name())
                    .containsAll(map(parsed.get("targets")).keySet());
            for (String database : map(parsed.get("databases")).keySet()) {
                assertThat(inventory.database(database))
                        .as(m.name() + " database " + database)
                        .isPresent();
            }
            inventories++;
        }
        assertThat(inventories).as("bastion inventories found").isEqualTo(2);
    }

    @Test
    void cidrArithmetic() {
        assertThat(Cidr.contains("10.20.0.0/16", "10.20.255.1")).isTrue();
        assertThat(Cidr.contains("10.20.0.0/16", "10.21.0.1")).isFalse();
        assertThat(Cidr.contains("10.20.0.0/16", "db.example.com")).isFalse();
        assertThat(Cidr.reaches("0.0.0.0/0", List.of("10.20.0.0/16"), "10.20.0.0/16"))
                .isFalse();
        assertThat(Cidr.reaches("0.0.0.0/0", List.of("10.20.0.0/17"), "10.20.0.0/16"))
                .isTrue();
        assertThat(Cidr.reaches("10.0.0.0/8", List.of(), "10.30.0.0/16")).isTrue();
        assertThat(Cidr.reaches("192.168.0.0/16", List.of(), "10.30.0.0/16")).isFalse();
    }

    // --- systemd

    @Test
    void systemdUnitsAndEnvironmentFilesPassTheirChecks() throws IOException {
        List<String> problems = new ArrayList<>();
        for (String unit : List.of("portcullis-broker.service", "portcullis-bastion.service")) {
            problems.addAll(SystemdUnitChecker.check(unit, Files.readString(SYSTEMD.resolve(unit))));
        }
        for (String env : List.of("broker.env", "bastion.env")) {
            problems.addAll(
                    SystemdUnitChecker.checkEnvironmentFile(env, Files.readString(SYSTEMD.resolve(env)), documented()));
        }
        assertThat(problems).isEmpty();
        Map<String, Map<String, List<String>>> broker =
                SystemdUnitChecker.parse(Files.readString(SYSTEMD.resolve("portcullis-broker.service")));
        assertThat(broker.get("Service").get("EnvironmentFile"))
                .containsExactly("/etc/portcullis/broker.env", "-/etc/portcullis/broker.secrets.env");
    }

    @Test
    void aWeakenedUnitOrASecretInAnExampleIsRefused() throws IOException {
        String unit = Files.readString(SYSTEMD.resolve("portcullis-bastion.service"));
        assertThat(SystemdUnitChecker.check(
                        "weak",
                        unit.replace("NoNewPrivileges=yes\n", "")
                                .replace("ProtectSystem=strict", "ProtectSystem=full")
                                .replace("Restart=on-failure", "Restart=no")
                                .replace("User=portcullis", "User=root")))
                .contains(
                        "weak: no NoNewPrivileges=",
                        "weak: ProtectSystem=full, expected strict",
                        "weak: Restart=no, expected on-failure",
                        "weak: runs as root");
        assertThat(SystemdUnitChecker.check("broken", "[Service\nExecStart=/bin/true\n"))
                .singleElement()
                .asString()
                .contains("section header");
        assertThat(SystemdUnitChecker.checkEnvironmentFile(
                        "bastion.env", "PORTCULLIS_BASTION_CLIENT_SECRET=hunter2\nNOT_A_SETTING=1\n", documented()))
                .anySatisfy(p -> assertThat(p).contains("is a secret"))
                .anySatisfy(p -> assertThat(p).contains("NOT_A_SETTING is in neither"));
    }

    @Test
    void systemdAnalyzeVerifiesTheUnits(@TempDir Path dir) throws Exception {
        Path tool = Stream.of("/usr/bin/systemd-analyze", "/bin/systemd-analyze")
                .map(Path::of)
                .filter(Files::isExecutable)
                .findFirst()
                .orElse(null);
        assumeTrue(tool != null, "systemd-analyze is not installed; the parse checks above still ran");
        // verify checks that ExecStart's binary exists; use this JVM's java where /usr/bin/java is missing.
        String java = Files.isExecutable(Path.of("/usr/bin/java"))
                ? "/usr/bin/java"
                : Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(tool.toString(), "verify"));
        for (String unit : List.of("portcullis-broker.service", "portcullis-bastion.service")) {
            Path copy = dir.resolve(unit);
            Files.writeString(copy, Files.readString(SYSTEMD.resolve(unit)).replace("/usr/bin/java", java));
            command.add(copy.toString());
        }
        Process verify = new ProcessBuilder(command).redirectErrorStream(true).start();
        assertThat(verify.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String output = new String(verify.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        // verify exits 0 on unknown keys and bad values but says so: any output is a finding.
        assertThat(output).isEmpty();
        assertThat(verify.exitValue()).isZero();

        Path broken = dir.resolve("broken.service");
        Files.writeString(broken, "[Unit]\nDescription=x\n[Service]\nExecStart=" + java + "\nRestartt=always\n");
        Process bad = new ProcessBuilder(tool.toString(), "verify", broken.toString())
                .redirectErrorStream(true)
                .start();
        assertThat(bad.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(new String(bad.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
                .contains("Restartt");
    }

    // --- behind the ingress

    @Test
    void theIngressRoutesTheApiTheUiAndItsAssetsButNeverQOrInternal() throws IOException {
        Manifest ingress = ManifestChecker.load(K8S).stream()
                .filter(m -> m.kind().equals("Ingress"))
                .findFirst()
                .orElseThrow();
        List<String> paths = new ArrayList<>();
        for (Object rule : list(ingress.spec().get("rules"))) {
            for (Object path : list(map(map(rule).get("http")).get("paths"))) {
                paths.add(map(path).get("pathType") + " " + map(path).get("path"));
            }
        }
        assertThat(paths)
                .contains("Prefix /api", "Prefix /ui", "Prefix /static", "Exact /")
                .noneMatch(p -> p.equals("Prefix /") || p.contains("/q") || p.contains("/internal"));

        assertThat(problemsAfter(
                        "Ingress", "portcullis-broker", i -> lastPath(i).put("pathType", "Prefix")))
                .anySatisfy(p -> assertThat(p)
                        .contains("Ingress portcullis-broker")
                        .contains(": path / (Prefix) routes more than /api"));
        assertThat(problemsAfter(
                        "Ingress", "portcullis-broker", i -> firstPath(i).put("path", "/internal")))
                .anySatisfy(p -> assertThat(p).contains("path /internal (Prefix) routes more than /api"));
        assertThat(problemsAfter(
                        "Ingress", "portcullis-broker", i -> firstPath(i).put("path", "/q")))
                .anySatisfy(p -> assertThat(p).contains("path /q (Prefix) routes more than /api"));
    }

    @Test
    void brokerReplicasShareOneCookieKeyBelieveOnlyTheIngressAndMigrateAsTheOwner() throws IOException {
        assertThat(problemsAfter(
                        "Deployment",
                        "portcullis-broker",
                        d -> list(firstContainer(d).get("env"))
                                .removeIf(e -> map(e).get("name")
                                        .equals("QUARKUS_OIDC_WEB_TOKEN_STATE_MANAGER_ENCRYPTION_SECRET"))))
                .anySatisfy(p -> assertThat(p)
                        .contains(
                                "QUARKUS_OIDC_WEB_TOKEN_STATE_MANAGER_ENCRYPTION_SECRET does not come from a Secret"));
        assertThat(problemsAfter(
                        "ConfigMap",
                        "portcullis-broker-config",
                        c -> map(c.get("data")).remove("QUARKUS_HTTP_PROXY_TRUSTED_PROXIES")))
                .anySatisfy(p -> assertThat(p).contains("without proxy forwarding from trusted proxies only"));
        assertThat(problemsAfter(
                        "ConfigMap",
                        "portcullis-broker-config",
                        c -> map(c.get("data")).remove("QUARKUS_OIDC_WEB_AUTHENTICATION_COOKIE_FORCE_SECURE")))
                .anySatisfy(p -> assertThat(p).contains("session cookies are not forced Secure"));
        assertThat(problemsAfter(
                        "ConfigMap",
                        "portcullis-broker-config",
                        c -> map(c.get("data")).put("QUARKUS_FLYWAY_USERNAME", "portcullis")))
                .anySatisfy(p -> assertThat(p).contains("the migrations do not run as an owner role of their own"));
        assertThat(problemsAfter(
                        "Deployment",
                        "portcullis-broker",
                        d -> list(firstContainer(d).get("volumeMounts")).forEach(m -> {
                            if (map(m).get("name").equals("audit-heads")) map(m).put("readOnly", true);
                        })))
                .anySatisfy(p -> assertThat(p)
                        .contains("PORTCULLIS_AUDIT_SIGNED_HEADS_DIR is not a writable PersistentVolumeClaim"));
    }

    private static Map<String, Object> firstPath(Map<String, Object> ingress) {
        return map(
                list(map(map(list(map(ingress.get("spec")).get("rules")).get(0)).get("http"))
                                .get("paths"))
                        .get(0));
    }

    private static Map<String, Object> lastPath(Map<String, Object> ingress) {
        List<Object> paths =
                list(map(map(list(map(ingress.get("spec")).get("rules")).get(0)).get("http"))
                        .get("paths"));
        return map(paths.get(paths.size() - 1));
    }

    // --- the image

    @Test
    void theDockerfileBuildsBothImagesFromWhatTheBuildMakes() throws IOException {
        String dockerfile = Files.readString(REPO.resolve("deploy/Dockerfile"));
        assertThat(dockerfile)
                .contains(
                        "AS broker",
                        "AS bastion",
                        "COPY broker-api/target/quarkus-app/",
                        "COPY deploy/target/lib/",
                        "USER 10001");
        assertThat(dockerfile).doesNotContain("USER root");
        assertThat(REPO.resolve("ssh-bastion/src/main/java/dev/portcullis/bastion/BastionMain.java"))
                .exists();
        assertThat(dockerfile).contains("dev.portcullis.bastion.BastionMain", "quarkus-run.jar");
    }
}
