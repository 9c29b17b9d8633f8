package io.vigil.alerts;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vigil.events.Alert;
import io.vigil.events.Incident;
import io.vigil.serde.Json;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
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
        return alertmanager(receiver, a, "");
    }

    /**
     * @param externalUrl where people reach Vigil ({@code http.external-url}), no trailing slash; when not empty
     *                    it is the body's {@code externalURL}, the alert's {@code generatorURL} is the status page
     *                    at the alert's slice and annotation {@code runbook_url} is {@code <externalUrl>/runbooks/<rule>}
     */
    public static byte[] alertmanager(String receiver, Alert a, String externalUrl) {
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
        if (!externalUrl.isEmpty()) {
            annotations.put("runbook_url", externalUrl + "/runbooks/" + a.rule());
        }
        String status = a.status() == Alert.Status.FIRING ? "firing" : "resolved";
        String generator = externalUrl.isEmpty()
                ? ""
                : externalUrl + "/?model=" + encode(a.model().id())
                        + "&version=" + encode(a.model().version()) + "&slice=" + encode(a.sliceDimension()) + "&value="
                        + encode(a.sliceValue());
        return body(
                receiver,
                status,
                "{}:{fingerprint=\"" + a.fingerprint() + "\"}",
                Map.of("alertname", a.rule()),
                labels,
                annotations,
                a.startedAt(),
                a.resolvedAt(),
                generator,
                a.fingerprint(),
                externalUrl);
    }

    /**
     * An incident transition as an Alertmanager body: one alert {@code VigilIncident} with labels
     * {@code alertname}, {@code incident} (the id, to group by), {@code severity}, {@code model}, {@code version},
     * {@code root} and {@code root_value}; annotations {@code summary}, {@code transition}, {@code alerts} (member
     * count) and, when known, {@code change_at} and {@code acquisition_change}.
     */
    public static byte[] alertmanager(String receiver, Incident i) {
        return alertmanager(receiver, i, "");
    }

    /** As {@link #alertmanager(String, Incident)}; {@code externalUrl} as for alerts (runbook: VigilIncident). */
    public static byte[] alertmanager(String receiver, Incident i, String externalUrl) {
        Map<String, String> labels = new TreeMap<>();
        labels.put("alertname", "VigilIncident");
        labels.put("incident", i.id());
        labels.put("severity", i.severity().name().toLowerCase(Locale.ROOT));
        labels.put("model", i.model().id());
        labels.put("version", i.model().version());
        if (!i.root().isEmpty()) {
            labels.put("root", i.root().get(0).dimension());
            labels.put("root_value", i.root().get(0).value());
        }
        Map<String, String> annotations = new TreeMap<>();
        annotations.put("summary", i.summary());
        annotations.put("transition", i.transition());
        annotations.put("alerts", Integer.toString(i.alerts().size()));
        if (i.changeAt() != null) {
            annotations.put("change_at", i.changeAt().toString());
        }
        if (!i.acquisitionChanges().isEmpty()) {
            annotations.put("acquisition_change", i.acquisitionChanges().get(0));
        }
        if (!externalUrl.isEmpty()) {
            annotations.put("runbook_url", externalUrl + "/runbooks/VigilIncident");
        }
        String status = i.status() == Incident.Status.FIRING ? "firing" : "resolved";
        return body(
                receiver,
                status,
                "{}:{incident=\"" + i.id() + "\"}",
                Map.of("incident", i.id()),
                labels,
                annotations,
                i.firstDetected(),
                i.resolvedAt(),
                externalUrl.isEmpty() ? "" : externalUrl + "/#incident-" + encode(i.id()),
                i.id(),
                externalUrl);
    }

    /** A version 4 body holding one alert; {@code fingerprint} is cut to Alertmanager's 16 characters. */
    private static byte[] body(
            String receiver,
            String status,
            String groupKey,
            Map<String, String> groupLabels,
            Map<String, String> labels,
            Map<String, String> annotations,
            Instant startsAt,
            Instant endsAt,
            String generatorUrl,
            String fingerprint,
            String externalUrl) {
        ObjectNode root = Json.mapper().createObjectNode();
        root.put("version", "4");
        root.put("groupKey", groupKey);
        root.put("truncatedAlerts", 0);
        root.put("status", status);
        root.put("receiver", receiver);
        root.set("groupLabels", object(groupLabels));
        root.set("commonLabels", object(labels));
        root.set("commonAnnotations", object(annotations));
        root.put("externalURL", externalUrl);
        ObjectNode alert = root.putArray("alerts").addObject();
        alert.put("status", status);
        alert.set("labels", object(labels));
        alert.set("annotations", object(annotations));
        alert.put("startsAt", startsAt.toString());
        alert.put("endsAt", endsAt == null ? ZERO_TIME : endsAt.toString());
        alert.put("generatorURL", generatorUrl);
        alert.put("fingerprint", fingerprint.substring(0, Math.min(16, fingerprint.length())));
        try {
            return Json.mapper().writeValueAsString(root).getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write an Alertmanager body: " + Json.describe(e), e);
        }
    }

    private static String encode(String s) {
        return java.net.URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static ObjectNode object(Map<String, String> values) {
        ObjectNode node = Json.mapper().createObjectNode();
        new TreeMap<>(values).forEach(node::put);
        return node;
    }
}
