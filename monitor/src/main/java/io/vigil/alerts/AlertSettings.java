package io.vigil.alerts;

import io.vigil.config.VigilConfig;
import io.vigil.events.Alert;
import io.vigil.events.MetricSnapshot;
import io.vigil.topics.Topics;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.kafka.common.config.ConfigException;

/**
 * The alert settings of a {@link VigilConfig}, parsed and checked once: rules, claimed targets
 * ({@code alerts.targets.<model>.<metric>}), the false-alarm budget, the evaluation interval and the
 * webhook endpoints with their retry policy. Fails fast with a {@link ConfigException} naming the key;
 * never puts a secret into a message.
 */
public record AlertSettings(
        List<AlertRule> rules,
        Map<String, Double> targets,
        double fdr,
        Alert.Severity incidentMinSeverity,
        Duration evaluationInterval,
        Duration resolvedRetention,
        List<WebhookEndpoint> webhooks,
        WebhookSender.Policy retryPolicy) {

    public static AlertSettings from(VigilConfig config) {
        Map<String, String> dynamic = config.dynamicAlertSettings();
        Map<String, Double> targets = new HashMap<>();
        dynamic.forEach((k, v) -> {
            if (k.startsWith(VigilConfig.ALERTS_TARGETS_PREFIX)) {
                String rest = k.substring(VigilConfig.ALERTS_TARGETS_PREFIX.length());
                int dot = rest.lastIndexOf('.');
                try {
                    targets.put(rest.substring(0, dot) + "|" + rest.substring(dot + 1), Double.parseDouble(v.trim()));
                } catch (NumberFormatException e) {
                    throw new ConfigException(k, v, "a claimed target must be a number");
                }
            }
        });
        List<WebhookEndpoint> webhooks = new ArrayList<>();
        for (String name : config.getList(VigilConfig.ALERTS_WEBHOOKS)) {
            webhooks.add(endpoint(name, dynamic));
        }
        return new AlertSettings(
                AlertRules.load(config.getString(VigilConfig.ALERTS_RULES_FILE)),
                Map.copyOf(targets),
                config.getDouble(VigilConfig.ALERTS_FDR),
                Alert.Severity.valueOf(config.getString(VigilConfig.ALERTS_INCIDENT_MIN_SEVERITY)
                        .toUpperCase(java.util.Locale.ROOT)),
                Duration.ofMillis(config.getLong(VigilConfig.ALERTS_EVALUATION_INTERVAL_MS)),
                Duration.ofMillis(config.getLong(VigilConfig.ALERTS_RESOLVED_RETENTION_MS)),
                List.copyOf(webhooks),
                new WebhookSender.Policy(
                        Duration.ofMillis(config.getLong(VigilConfig.ALERTS_WEBHOOK_RETRY_INITIAL_MS)),
                        Duration.ofMillis(config.getLong(VigilConfig.ALERTS_WEBHOOK_RETRY_MAX_MS)),
                        Duration.ofMillis(config.getLong(VigilConfig.ALERTS_WEBHOOK_RETRY_HORIZON_MS)),
                        Duration.ofMillis(config.getLong(VigilConfig.ALERTS_WEBHOOK_TIMEOUT_MS))));
    }

    /** The evaluator stage for these settings. */
    public AlertEvaluator evaluator(
            Topics topics, Supplier<List<MetricSnapshot>> pipelineSnapshots, int worstSliceMinN) {
        return new AlertEvaluator(
                topics,
                new AlertEvaluation(rules, targets, fdr),
                incidentMinSeverity,
                evaluationInterval,
                pipelineSnapshots,
                worstSliceMinN);
    }

    private static WebhookEndpoint endpoint(String name, Map<String, String> dynamic) {
        String prefix = VigilConfig.ALERTS_WEBHOOK_PREFIX + name + ".";
        if (!name.matches("[a-z0-9][a-z0-9_-]{0,62}")) {
            throw new ConfigException(
                    VigilConfig.ALERTS_WEBHOOKS, name, "webhook names must match [a-z0-9][a-z0-9_-]{0,62}");
        }
        String url = dynamic.get(prefix + "url");
        if (url == null || url.isBlank()) {
            throw new ConfigException(prefix + "url", null, "webhook " + name + " needs a URL");
        }
        URI uri;
        try {
            uri = URI.create(url.trim());
        } catch (IllegalArgumentException e) {
            throw new ConfigException(prefix + "url", "(set)", "not a URI");
        }
        if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
            throw new ConfigException(prefix + "url", "(set)", "scheme must be http or https");
        }
        String secrets = dynamic.get(prefix + "secret");
        String secretFile = dynamic.get(prefix + "secret-file");
        if (secrets == null && secretFile != null) {
            try {
                secrets = Files.readString(Path.of(secretFile.trim()), StandardCharsets.UTF_8)
                        .trim();
            } catch (IOException e) {
                throw new ConfigException(prefix + "secret-file", secretFile, "cannot read the secret file");
            }
        }
        if (secrets == null || secrets.isBlank()) {
            throw new ConfigException(
                    prefix + "secret",
                    null,
                    "webhook " + name + " needs a secret (.secret, .secret-file or the environment)");
        }
        List<WebhookSignature> keys = new ArrayList<>();
        for (String s : secrets.split(",")) {
            if (!s.isBlank()) {
                try {
                    keys.add(WebhookSignature.fromSecret(s.trim()));
                } catch (IllegalArgumentException e) {
                    throw new ConfigException(prefix + "secret", "(hidden)", e.getMessage());
                }
            }
        }
        String format = dynamic.getOrDefault(prefix + "format", "vigil").trim();
        WebhookEndpoint.Format f = switch (format) {
            case "vigil" -> WebhookEndpoint.Format.VIGIL;
            case "alertmanager" -> WebhookEndpoint.Format.ALERTMANAGER;
            default -> throw new ConfigException(prefix + "format", format, "must be vigil or alertmanager");
        };
        String events = dynamic.getOrDefault(prefix + "events", "alerts").trim();
        WebhookEndpoint.Events e = switch (events) {
            case "alerts" -> WebhookEndpoint.Events.ALERTS;
            case "incidents" -> WebhookEndpoint.Events.INCIDENTS;
            default -> throw new ConfigException(prefix + "events", events, "must be alerts or incidents");
        };
        return new WebhookEndpoint(name, uri, keys, f, e);
    }
}
