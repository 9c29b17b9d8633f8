package io.vigil.alerts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vigil.config.EnvironmentConfig;
import io.vigil.config.VigilConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AlertSettingsTest {
    private static final String SECRET_A = "whsec_" + Base64.getEncoder().encodeToString(new byte[32]);
    private static final String SECRET_B = "whsec_"
            + Base64.getEncoder().encodeToString(new byte[] {
                1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24
            });

    private static VigilConfig config(Map<String, String> extra) {
        Map<String, Object> values = new HashMap<>(Map.of(VigilConfig.BOOTSTRAP_SERVERS, "unused:9092"));
        values.putAll(extra);
        return new VigilConfig(values);
    }

    @Test
    void shouldReadEndpointsTargetsAndBudgetWhenConfigured(@TempDir Path dir) throws Exception {
        Path secretFile = dir.resolve("pager.secret");
        Files.writeString(secretFile, SECRET_B + "\n");
        AlertSettings s = AlertSettings.from(config(Map.of(
                "alerts.fdr", "0.01",
                "alerts.webhooks", "ops,pager",
                "alerts.webhook.ops.url", "https://hooks.example/vigil",
                "alerts.webhook.ops.secret", SECRET_A + "," + SECRET_B,
                "alerts.webhook.pager.url", "http://127.0.0.1:9/hook",
                "alerts.webhook.pager.secret-file", secretFile.toString(),
                "alerts.webhook.pager.format", "alertmanager",
                "alerts.targets.chest-ct.sensitivity", "0.9",
                "alerts.webhook.retry-horizon-ms", "60000")));
        assertThat(s.fdr()).isEqualTo(0.01);
        assertThat(s.targets()).containsEntry("chest-ct|sensitivity", 0.9);
        assertThat(s.webhooks()).hasSize(2);
        assertThat(s.webhooks().get(0).keys()).hasSize(2);
        assertThat(s.webhooks().get(1).format()).isEqualTo(WebhookEndpoint.Format.ALERTMANAGER);
        assertThat(s.retryPolicy().horizon()).isEqualTo(Duration.ofMinutes(1));
        assertThat(s.webhooks().toString())
                .doesNotContain(SECRET_A.substring(6))
                .doesNotContain("hooks.example");
    }

    @Test
    void shouldMapWebhookEnvironmentVariablesToEndpointKeys() {
        Map<String, String> env = EnvironmentConfig.fromEnvironment(Map.of(
                "VIGIL_ALERTS_WEBHOOKS", "ops_pager",
                "VIGIL_ALERTS_WEBHOOK_OPS_PAGER_SECRET", SECRET_A,
                "VIGIL_ALERTS_WEBHOOK_OPS_PAGER_URL", "https://x.example/h",
                "VIGIL_ALERTS_WEBHOOK_RETRY_HORIZON_MS", "1000"));
        assertThat(env)
                .containsEntry("alerts.webhook.ops-pager.secret", SECRET_A)
                .containsEntry("alerts.webhook.ops-pager.url", "https://x.example/h")
                .containsEntry("alerts.webhook.retry-horizon-ms", "1000");
    }

    @Test
    void shouldFailNamingTheKeyWithoutTheSecretWhenASecretIsMalformed() {
        assertThatThrownBy(() -> AlertSettings.from(config(Map.of(
                        "alerts.webhooks", "ops",
                        "alerts.webhook.ops.url", "https://hooks.example/vigil",
                        "alerts.webhook.ops.secret", "whsec_dG9vc2hvcnQ="))))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("alerts.webhook.ops.secret")
                .hasMessageNotContaining("dG9vc2hvcnQ");
    }

    @Test
    void shouldRejectUnknownAlertKeys() {
        assertThatThrownBy(() -> config(Map.of("alerts.webhook.ops.token", "x")))
                .isInstanceOf(ConfigException.class);
        assertThatThrownBy(() -> config(Map.of("alerts.fdr", "0.9"))).isInstanceOf(ConfigException.class);
    }

    @Test
    void shouldReplaceTheDefaultsWhenARulesFileIsGiven(@TempDir Path dir) throws Exception {
        Path rules = dir.resolve("rules.json");
        Files.writeString(
                rules,
                "{\"rules\":[{\"name\":\"Only\",\"metric\":\"auc\",\"condition\":\"below\","
                        + "\"target\":0.8,\"min_n\":100}]}");
        assertThat(AlertSettings.from(config(Map.of("alerts.rules-file", rules.toString())))
                        .rules())
                .extracting(AlertRule::name)
                .containsExactly("Only");
        Files.writeString(
                rules,
                "{\"rules\":[{\"name\":\"Bad\",\"metric\":\"auc\",\"condition\":\"below\"," + "\"treshold\":0.8}]}");
        assertThatThrownBy(() -> AlertSettings.from(config(Map.of("alerts.rules-file", rules.toString()))))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("alerts.rules-file");
    }
}
