package io.vigil.ops;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.openshift.api.model.monitoring.v1.PrometheusRule;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import io.vigil.config.EnvironmentConfig;
import io.vigil.config.VigilConfig;
import io.vigil.http.HttpServerRunner;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Kubernetes manifests (deploy/kubernetes) parsed into fabric8's typed Kubernetes model, strictly:
 * a field the model does not know (a typo, a field of another API version) fails, naming it. Their
 * probes, port, state volume, settings and selectors are checked against Vigil's own; the PrometheusRule
 * holds exactly the rules of dashboards/prometheus/vigil-rules.yml.
 */
class KubernetesManifestsTest {
    private static final Path K8S = DashboardsTest.REPO.resolve("deploy/kubernetes");
    private static final Path PROMETHEUS_RULE = K8S.resolve("base/prometheusrule.yaml");
    private static final YAMLMapper YAML = new YAMLMapper();
    private static final Map<String, Class<? extends HasMetadata>> KINDS = Map.of(
            "ServiceAccount", ServiceAccount.class,
            "Service", Service.class,
            "StatefulSet", StatefulSet.class,
            "PodDisruptionBudget", PodDisruptionBudget.class,
            "ServiceMonitor", ServiceMonitor.class,
            "PrometheusRule", PrometheusRule.class,
            "Secret", Secret.class);

    private static List<HasMetadata> base;

    @BeforeAll
    static void parseTheBase() throws IOException {
        JsonNode kustomization =
                YAML.readTree(K8S.resolve("base/kustomization.yaml").toFile());
        base = new ArrayList<>();
        for (JsonNode r : kustomization.path("resources")) {
            base.addAll(parse(K8S.resolve("base").resolve(r.asText())));
        }
        assertThat(base).extracting(HasMetadata::getKind).contains("StatefulSet", "Service");
    }

    @Test
    void shouldParseEveryManifestStrictlyAndListEveryFileInTheKustomization() throws IOException {
        List<String> listed = new ArrayList<>();
        YAML.readTree(K8S.resolve("base/kustomization.yaml").toFile())
                .path("resources")
                .forEach(r -> listed.add(r.asText()));
        try (Stream<Path> files = Files.list(K8S.resolve("base"))) {
            List<String> onDisk = files.map(f -> f.getFileName().toString())
                    .filter(n -> n.endsWith(".yaml") && !n.equals("kustomization.yaml"))
                    .toList();
            assertThat(listed).containsExactlyInAnyOrderElementsOf(onDisk);
        }
        for (HasMetadata r : base) {
            assertThat(unknownFields(r))
                    .as(r.getKind() + "/" + r.getMetadata().getName())
                    .isEmpty();
        }
        for (HasMetadata r : parse(K8S.resolve("secrets.example.yaml"))) {
            assertThat(unknownFields(r)).isEmpty();
        }
    }

    @Test
    void shouldCatchAFieldTheModelDoesNotKnow() throws IOException {
        // The strictness above must be able to fail: "replica" for "replicas", "tempalte" for "template".
        String typo = Files.readString(K8S.resolve("base/statefulset.yaml"))
                .replace("  replicas: 1", "  replica: 1")
                .replace(
                        "        - name: vigil\n          image:",
                        "        - name: vigil\n          imag: x\n          image:");
        StatefulSet parsed = YAML.readValue(typo, StatefulSet.class);
        assertThat(unknownFields(parsed))
                .containsExactlyInAnyOrder("spec.replica", "spec.template.spec.containers[0].imag");
    }

    @Test
    void shouldProbeVigilsOwnHealthRoutesOnItsOwnPort() {
        Container vigil = container();
        int port = new VigilConfig(Map.of(VigilConfig.BOOTSTRAP_SERVERS, "x:1")).getInt(VigilConfig.HTTP_PORT);
        assertThat(vigil.getPorts()).singleElement().satisfies(p -> {
            assertThat(p.getName()).isEqualTo("http");
            assertThat(p.getContainerPort()).isEqualTo(port);
        });
        assertThat(env(vigil))
                .containsEntry("VIGIL_HTTP_PORT", Integer.toString(port))
                .containsEntry("VIGIL_HTTP_BIND", "0.0.0.0");
        assertProbe(vigil.getLivenessProbe(), HttpServerRunner.LIVE);
        assertProbe(vigil.getStartupProbe(), HttpServerRunner.LIVE);
        assertProbe(vigil.getReadinessProbe(), HttpServerRunner.READY);
    }

    @Test
    void shouldKeepTheStateOnAClaimAndRunNonRootOnAReadOnlyRoot() throws IOException {
        StatefulSet set = one(StatefulSet.class);
        Container vigil = container();
        String stateDir = env(vigil).get("VIGIL_STATE_DIR");
        assertThat(vigil.getVolumeMounts()).anySatisfy(m -> {
            assertThat(m.getMountPath()).isEqualTo(stateDir);
            assertThat(set.getSpec().getVolumeClaimTemplates())
                    .extracting(c -> c.getMetadata().getName())
                    .contains(m.getName());
        });
        var pod = set.getSpec().getTemplate().getSpec();
        assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
        // The image's user (Dockerfile USER 10001:10001), so the volume's group matches.
        Matcher user = Pattern.compile("(?m)^USER (\\d+):(\\d+)$")
                .matcher(Files.readString(DashboardsTest.REPO.resolve("Dockerfile")));
        assertThat(user.find()).isTrue();
        assertThat(pod.getSecurityContext().getRunAsUser()).isEqualTo(Long.parseLong(user.group(1)));
        assertThat(pod.getSecurityContext().getFsGroup()).isEqualTo(Long.parseLong(user.group(2)));
        assertThat(vigil.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(vigil.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
        assertThat(vigil.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(pod.getAutomountServiceAccountToken()).isFalse();
        assertThat(vigil.getResources().getRequests()).containsKeys("cpu", "memory");
        assertThat(vigil.getResources().getLimits()).containsKey("memory");
        // Vigil stops within 10 s of SIGTERM; Kubernetes must wait at least that.
        assertThat(pod.getTerminationGracePeriodSeconds()).isGreaterThanOrEqualTo(15L);
    }

    @Test
    void shouldSetOnlyRealSettingsAndTakeTheSecretsWhole() throws IOException {
        Container vigil = container();
        Map<String, String> vars = new HashMap<>(env(vigil));
        vars.remove("JAVA_TOOL_OPTIONS");
        for (HasMetadata r : parse(K8S.resolve("secrets.example.yaml"))) {
            vars.putAll(((Secret) r).getStringData());
        }
        // What Vigil starts with in the pod: an undeclared VIGIL_ variable or a malformed value (the webhook
        // secret's format, say) fails here, naming it.
        VigilConfig config = EnvironmentConfig.load(null, vars, Map.of());
        assertThat(config.getString(VigilConfig.STATE_DIR)).isEqualTo("/var/lib/vigil");
        assertThat(config.getList(VigilConfig.ALERTS_WEBHOOKS)).containsExactly("ops");
        assertThat(config.kafkaClientSettings()).containsKey("sasl.jaas.config");
        assertThat(vigil.getEnvFrom())
                .extracting(EnvFromSource::getSecretRef)
                .extracting(s -> s.getName())
                .containsExactly("vigil-kafka", "vigil-webhooks", "vigil-http-auth");
        assertThat(parse(K8S.resolve("secrets.example.yaml")))
                .extracting(r -> r.getMetadata().getName())
                .containsExactly("vigil-kafka", "vigil-webhooks", "vigil-http-auth");
    }

    @Test
    void shouldSelectThePodsAndScrapeTheHttpServiceOnce() {
        Map<String, String> podLabels =
                one(StatefulSet.class).getSpec().getTemplate().getMetadata().getLabels();
        List<Service> services = all(Service.class);
        for (Service s : services) {
            assertThat(podLabels).containsAllEntriesOf(s.getSpec().getSelector());
            assertThat(s.getSpec().getPorts())
                    .singleElement()
                    .satisfies(p -> assertThat(p.getTargetPort().getStrVal()).isEqualTo("http"));
        }
        assertThat(podLabels)
                .containsAllEntriesOf(
                        one(PodDisruptionBudget.class).getSpec().getSelector().getMatchLabels());
        assertThat(podLabels)
                .containsAllEntriesOf(
                        one(StatefulSet.class).getSpec().getSelector().getMatchLabels());
        ServiceMonitor monitor = one(ServiceMonitor.class);
        Map<String, String> wanted = monitor.getSpec().getSelector().getMatchLabels();
        assertThat(services)
                .filteredOn(s -> s.getMetadata().getLabels().entrySet().containsAll(wanted.entrySet()))
                .extracting(s -> s.getMetadata().getName())
                .containsExactly("vigil");
        assertThat(monitor.getSpec().getEndpoints()).singleElement().satisfies(e -> {
            assertThat(e.getPort()).isEqualTo("http");
            assertThat(e.getPath()).isEqualTo(HttpServerRunner.METRICS);
        });
        assertThat(one(StatefulSet.class).getSpec().getServiceName()).isEqualTo("vigil-headless");
    }

    @Test
    void shouldCarryExactlyTheShippedPrometheusRules() throws IOException {
        String generated = prometheusRule();
        if (Boolean.getBoolean("vigil.k8s.write")) {
            Files.writeString(PROMETHEUS_RULE, generated);
        }
        assertThat(Files.readString(PROMETHEUS_RULE))
                .as("deploy/kubernetes/base/prometheusrule.yaml differs from dashboards/prometheus/vigil-rules.yml;"
                        + " regenerate it with: ./mvnw -B -pl monitor test -Dtest=KubernetesManifestsTest"
                        + " -Dvigil.k8s.write=true")
                .isEqualTo(generated);
        PrometheusRule rule = one(PrometheusRule.class);
        JsonNode shipped = YAML.readTree(DashboardsTest.REPO
                .resolve("dashboards/prometheus/vigil-rules.yml")
                .toFile());
        assertThat(rule.getSpec().getGroups()).hasSize(shipped.path("groups").size());
        assertThat(rule.getSpec().getGroups().stream()
                        .mapToInt(g -> g.getRules().size())
                        .sum())
                .isEqualTo(shipped.findValues("expr").size());
    }

    @Test
    void shouldPatchOnlyWhatTheBaseHas() throws IOException {
        for (String overlay : List.of("pilot", "production")) {
            JsonNode k = YAML.readTree(K8S.resolve("overlays")
                    .resolve(overlay)
                    .resolve("kustomization.yaml")
                    .toFile());
            assertThat(k.path("resources").get(0).asText()).isEqualTo("../../base");
            for (JsonNode p : k.path("patches")) {
                String kind = p.path("target").path("kind").asText();
                String name = p.path("target").path("name").asText();
                assertThat(base)
                        .as(overlay + " patches " + kind + "/" + name)
                        .anyMatch(r -> r.getKind().equals(kind)
                                && r.getMetadata().getName().equals(name));
                HasMetadata patch = YAML.readValue(p.path("patch").asText(), KINDS.get(kind));
                assertThat(unknownFields(patch))
                        .as(overlay + " patch of " + kind)
                        .isEmpty();
            }
        }
    }

    /** The PrometheusRule resource holding vigil-rules.yml's groups, as committed. */
    static String prometheusRule() throws IOException {
        JsonNode rules = YAML.readTree(DashboardsTest.REPO
                .resolve("dashboards/prometheus/vigil-rules.yml")
                .toFile());
        ObjectNode r = YAML.createObjectNode();
        r.put("apiVersion", "monitoring.coreos.com/v1");
        r.put("kind", "PrometheusRule");
        ObjectNode metadata = r.putObject("metadata");
        metadata.put("name", "vigil");
        metadata.putObject("labels").put("app.kubernetes.io/name", "vigil");
        r.putObject("spec").set("groups", rules.path("groups"));
        YAMLMapper writer = new YAMLMapper(new YAMLFactory()
                .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
                .enable(YAMLGenerator.Feature.LITERAL_BLOCK_STYLE));
        return "# GENERATED from dashboards/prometheus/vigil-rules.yml by KubernetesManifestsTest: do not edit;\n"
                + "# regenerate: ./mvnw -B -pl monitor test -Dtest=KubernetesManifestsTest -Dvigil.k8s.write=true\n"
                + writer.writeValueAsString(r);
    }

    private static List<HasMetadata> parse(Path file) throws IOException {
        List<HasMetadata> out = new ArrayList<>();
        for (String doc : Files.readString(file).split("(?m)^---\\s*$")) {
            JsonNode tree = YAML.readTree(doc);
            if (tree == null || tree.isMissingNode() || tree.isNull()) {
                continue;
            }
            Class<? extends HasMetadata> type = KINDS.get(tree.path("kind").asText());
            assertThat(type)
                    .as("a kind this test knows: " + tree.path("kind").asText())
                    .isNotNull();
            out.add(YAML.treeToValue(tree, type));
        }
        return out;
    }

    private static Container container() {
        return one(StatefulSet.class).getSpec().getTemplate().getSpec().getContainers().stream()
                .filter(c -> c.getName().equals("vigil"))
                .findFirst()
                .orElseThrow();
    }

    private static Map<String, String> env(Container c) {
        Map<String, String> out = new HashMap<>();
        for (EnvVar v : c.getEnv()) {
            out.put(v.getName(), v.getValue());
        }
        return out;
    }

    private static void assertProbe(Probe probe, String path) {
        assertThat(probe.getHttpGet().getPath()).isEqualTo(path);
        assertThat(probe.getHttpGet().getPort().getStrVal()).isEqualTo("http");
    }

    private static <T> T one(Class<T> type) {
        List<T> all = all(type);
        assertThat(all).hasSize(1);
        return all.get(0);
    }

    private static <T> List<T> all(Class<T> type) {
        return base.stream().filter(type::isInstance).map(type::cast).toList();
    }

    /** Paths of every field the typed model did not recognise (kept in its additionalProperties). */
    static List<String> unknownFields(Object model) {
        List<String> out = new ArrayList<>();
        walk(model, "", out, java.util.Collections.newSetFromMap(new IdentityHashMap<>()));
        return out;
    }

    private static void walk(Object o, String path, List<String> out, Set<Object> seen) {
        if (o == null || !o.getClass().getName().startsWith("io.fabric8.") || !seen.add(o)) {
            if (o instanceof Collection<?> c) {
                int i = 0;
                for (Object e : c) {
                    walk(e, path + "[" + i++ + "]", out, seen);
                }
            } else if (o instanceof Map<?, ?> m && !path.isEmpty()) {
                m.forEach((k, v) -> walk(v, path + "." + k, out, seen));
            }
            return;
        }
        for (Method m : o.getClass().getMethods()) {
            if (m.getParameterCount() != 0
                    || Modifier.isStatic(m.getModifiers())
                    || !m.getName().startsWith("get")
                    || m.getDeclaringClass() == Object.class) {
                continue;
            }
            Object value;
            try {
                value = m.invoke(o);
            } catch (ReflectiveOperationException e) {
                continue;
            }
            String field =
                    Character.toLowerCase(m.getName().charAt(3)) + m.getName().substring(4);
            String at = path.isEmpty() ? field : path + "." + field;
            if (m.getName().equals("getAdditionalProperties") && value instanceof Map<?, ?> extra) {
                extra.keySet().forEach(k -> out.add(path.isEmpty() ? k.toString() : path + "." + k));
            } else if (value instanceof Collection<?>
                    || value instanceof Map<?, ?>
                    || (value != null && value.getClass().getName().startsWith("io.fabric8."))) {
                walk(value, at, out, seen);
            }
        }
    }
}
