package io.vigil.alerts;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vigil.events.Alert;
import io.vigil.serde.Json;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Webhook request bodies. {@code vigil}: the alert record exactly as written to the alerts topic
 * (schemas/alert.schema.json). {@code alertmanager}: the Alertmanager webhook body, version 4
 * ({@code receiver, status, alerts[{status, labels, annotations, startsAt, endsAt, generatorURL,
 * fingerprint}], groupLabels, commonLabels, commonAnnotations, externalURL, groupKey,
 * truncatedAlerts}), one alert per body, so receivers written for Alertmanager work unchanged.
 * Labels: {@code alertname} (the rule), {@code severity}, {@code model}, {@code version},
 * {@code slice}, {@code slice_value}, {@code metric}, and {@code window} when known.
 */
public final class WebhookBodies {
    /** Alertmanager's zero time, its {@code endsAt} of an alert that has not ended. */
    static final String ZERO_TIME = "0001-01-01T00:00:00Z";

    private WebhookBodies() {}

    public static byte[] alertmanager(String receiver, Alert a) {
        Map<String, String> labels = new TreeMap<>();
        labels.put("alertname", a.rule());
        labels.put("severity", a.severity().name().toLowerCase(Locale.ROOT));
        labels.put("model", a.model().id());
        labels.put("version", a.model().version());
        labels.put("slice", a.sliceDimension());
        labels.put("slice_value", a.sliceValue());
        labels.put("metric", a.metric());
        if (a.window() != null) {
            labels.put("window", a.window());
        }
        Map<String, String> annotations = new TreeMap<>();
        annotations.put("summary", a.summary());
        if (a.observed().estimate() != null) {
            annotations.put("estimate", Double.toString(a.observed().estimate()));
        }
        annotations.put("n", Long.toString(a.observed().n()));
        String status = a.status() == Alert.Status.FIRING ? "firing" : "resolved";

        ObjectNode root = Json.mapper().createObjectNode();
        root.put("version", "4");
        root.put("groupKey", "{}:{fingerprint=\"" + a.fingerprint() + "\"}");
        root.put("truncatedAlerts", 0);
        root.put("status", status);
        root.put("receiver", receiver);
        root.set("groupLabels", object(Map.of("alertname", a.rule())));
        root.set("commonLabels", object(labels));
        root.set("commonAnnotations", object(annotations));
        root.put("externalURL", "");
        ObjectNode alert = root.putArray("alerts").addObject();
        alert.put("status", status);
        alert.set("labels", object(labels));
        alert.set("annotations", object(annotations));
        alert.put("startsAt", a.startedAt().toString());
        alert.put("endsAt", a.resolvedAt() == null ? ZERO_TIME : a.resolvedAt().toString());
        alert.put("generatorURL", "");
        alert.put("fingerprint", a.fingerprint().substring(0, Math.min(16, a.fingerprint().length())));
        try {
            return Json.mapper().writeValueAsString(root).getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write an Alertmanager body: " + Json.describe(e), e);
        }
    }

    private static ObjectNode object(Map<String, String> values) {
        ObjectNode node = Json.mapper().createObjectNode();
        new TreeMap<>(values).forEach(node::put);
        return node;
    }
}
