package io.vigil.ops;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.vigil.config.EnvironmentConfig;
import io.vigil.config.VigilConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * docker-compose.yml is fit for a pilot: Kafka keeps its data on its volume, every service has a health
 * check and starts after what it depends on is healthy, Grafana has no default password and no anonymous
 * access, Vigil's webhook reaches the example receiver with a secret Vigil accepts. (dashboards/check.sh
 * runs {@code docker-compose config} on it, with and without the .env values.)
 */
class ComposeTest {
    private static final Path COMPOSE = DashboardsTest.REPO.resolve("docker-compose.yml");
    private static final Path ENV_EXAMPLE = DashboardsTest.REPO.resolve(".env.example");
    private static final Pattern REQUIRED = Pattern.compile("\\$\\{(\\w+):\\?[^}]*}");

    private final JsonNode services;

    ComposeTest() throws IOException {
        services = new YAMLMapper().readTree(COMPOSE.toFile()).path("services");
    }

    @Test
    void shouldGiveEveryServiceAHealthCheckAndStartItOnlyAfterItsDependenciesAreHealthy() {
        assertThat(services.size()).isGreaterThanOrEqualTo(7);
        services.fields().forEachRemaining(s -> {
            JsonNode test = s.getValue().path("healthcheck").path("test");
            assertThat(test.isArray() && test.size() > 1)
                    .as(s.getKey() + " has a health check")
                    .isTrue();
            JsonNode dependsOn = s.getValue().path("depends_on");
            assertThat(dependsOn.isArray())
                    .as(s.getKey() + ": depends_on with conditions, not a list")
                    .isFalse();
            dependsOn.fields().forEachRemaining(d -> {
                assertThat(services.has(d.getKey()))
                        .as(s.getKey() + " depends on a service")
                        .isTrue();
                assertThat(d.getValue().path("condition").asText())
                        .as(s.getKey() + " -> " + d.getKey())
                        .isEqualTo("service_healthy");
            });
        });
    }

    @Test
    void shouldKeepKafkasDataOnItsVolume() {
        JsonNode kafka = services.path("kafka");
        String logDirs = kafka.path("environment").path("KAFKA_LOG_DIRS").asText();
        assertThat(logDirs).isNotEmpty();
        boolean onVolume = false;
        for (JsonNode v : kafka.path("volumes")) {
            String[] parts = v.asText().split(":");
            onVolume |= !parts[0].startsWith(".") && (logDirs + "/").startsWith(parts[1] + "/");
        }
        assertThat(onVolume)
                .as("KAFKA_LOG_DIRS %s under a named volume", logDirs)
                .isTrue();
    }

    @Test
    void shouldRequireAGrafanaPasswordAndAllowNoAnonymousViewer() throws IOException {
        JsonNode env = services.path("grafana").path("environment");
        assertThat(env.path("GF_AUTH_ANONYMOUS_ENABLED").asText()).isEqualTo("false");
        assertThat(env.has("GF_AUTH_ANONYMOUS_ORG_ROLE")).isFalse();
        assertThat(env.path("GF_SECURITY_ADMIN_PASSWORD").asText()).startsWith("${GRAFANA_ADMIN_PASSWORD:?");
        // Every variable compose requires is in .env.example, and nothing else is needed.
        Set<String> required = new LinkedHashSet<>();
        Matcher m = REQUIRED.matcher(Files.readString(COMPOSE));
        while (m.find()) {
            required.add(m.group(1));
        }
        assertThat(required).containsExactlyInAnyOrder("GRAFANA_ADMIN_PASSWORD", "VIGIL_WEBHOOK_SECRET");
        assertThat(envExample()).containsKeys(required.toArray(String[]::new));
        assertThat(envExample().get("GRAFANA_ADMIN_PASSWORD")).isNotEqualTo("admin");
    }

    @Test
    void shouldSendVigilsWebhooksToTheExampleReceiverWithSettingsVigilAccepts() throws IOException {
        Map<String, String> env = new HashMap<>();
        Map<String, String> example = envExample();
        services.path("vigil").path("environment").fields().forEachRemaining(e -> {
            Matcher m = REQUIRED.matcher(e.getValue().asText());
            env.put(
                    e.getKey(),
                    m.matches() ? example.get(m.group(1)) : e.getValue().asText());
        });
        // What Vigil would start with in the container: unknown variables or a malformed secret fail here.
        VigilConfig config = EnvironmentConfig.load(null, env, Map.of());
        assertThat(config.getList(VigilConfig.ALERTS_WEBHOOKS)).containsExactly("example");
        String url = env.get("VIGIL_ALERTS_WEBHOOK_EXAMPLE_URL");
        Matcher target = Pattern.compile("http://([\\w-]+):(\\d+)/.*").matcher(url);
        assertThat(target.matches()).isTrue();
        JsonNode receiver = services.path(target.group(1));
        assertThat(receiver.isMissingNode())
                .as("the webhook host is a compose service")
                .isFalse();
        StringBuilder command = new StringBuilder();
        receiver.path("command").forEach(part -> command.append(part.asText()).append('\n'));
        assertThat(command).contains("(\"0.0.0.0\", " + target.group(2) + ")");
        assertThat(services.path("vigil").path("depends_on").has(target.group(1)))
                .isTrue();
    }

    private static Map<String, String> envExample() throws IOException {
        Map<String, String> out = new HashMap<>();
        for (String line : Files.readAllLines(ENV_EXAMPLE)) {
            int eq = line.indexOf('=');
            if (!line.startsWith("#") && eq > 0) {
                out.put(line.substring(0, eq).trim(), line.substring(eq + 1).trim());
            }
        }
        return out;
    }
}
