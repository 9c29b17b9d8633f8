package io.vigil.alerts;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.vigil.events.Alert;
import io.vigil.events.SafeText;
import io.vigil.serde.Json;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * Reads the latest transition per fingerprint (the {@value AlertEvaluator#VIEW_STORE} global view) and
 * serves it two ways: the Prometheus gauge {@code vigil_alerts_active{rule, severity, model, version,
 * slice, slice_value, incident}} (number of firing alerts per label set; {@code incident} is the id of the open
 * incident the alert belongs to, {@code none} before one is formed, so Alertmanager can group by it; labels come from rules and capped slice
 * values, and at most {@value #MAX_SERIES} series are exported), and the JSON of {@code /api/alerts}:
 * {@code {"active": [alert...], "resolved": [alert...]}} per schemas/alert.schema.json, newest first,
 * resolved ones while they resolved less than {@code alerts.resolved-retention-ms} ago.
 */
public final class ActiveAlerts implements MultiCollector {
    static final int MAX_SERIES = 2000;

    private final Supplier<List<Alert>> latest;
    private final Duration resolvedRetention;
    private final Clock clock;
    private final Supplier<Map<String, String>> incidentOf;

    public ActiveAlerts(Supplier<List<Alert>> latest, Duration resolvedRetention, Clock clock) {
        this(latest, resolvedRetention, clock, Map::of);
    }

    /** @param incidentOf the open incident of each firing alert, by fingerprint ({@link OpenIncidents#incidentOf}) */
    public ActiveAlerts(
            Supplier<List<Alert>> latest,
            Duration resolvedRetention,
            Clock clock,
            Supplier<Map<String, String>> incidentOf) {
        this.latest = latest;
        this.resolvedRetention = resolvedRetention;
        this.clock = clock;
        this.incidentOf = incidentOf;
    }

    /** Firing alerts, newest first. */
    public List<Alert> active() {
        return latest.get().stream()
                .filter(a -> a.status() == Alert.Status.FIRING)
                .sorted(Comparator.comparing(Alert::startedAt).reversed().thenComparing(Alert::fingerprint))
                .toList();
    }

    /** Alerts resolved within the retention, newest resolution first. */
    public List<Alert> recentlyResolved() {
        Instant since = clock.instant().minus(resolvedRetention);
        return latest.get().stream()
                .filter(a -> a.status() == Alert.Status.RESOLVED
                        && a.resolvedAt() != null
                        && a.resolvedAt().isAfter(since))
                .sorted(Comparator.comparing(Alert::resolvedAt).reversed().thenComparing(Alert::fingerprint))
                .toList();
    }

    /** The body of {@code /api/alerts}. */
    public String json() {
        ObjectNode root = Json.mapper().createObjectNode();
        ArrayNode active = root.putArray("active");
        active().forEach(a -> active.add(Json.mapper().valueToTree(a)));
        ArrayNode resolved = root.putArray("resolved");
        recentlyResolved().forEach(a -> resolved.add(Json.mapper().valueToTree(a)));
        try {
            return Json.mapper().writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write alerts: " + Json.describe(e), e);
        }
    }

    @Override
    public MetricSnapshots collect() {
        Map<Labels, Integer> counts = new TreeMap<>();
        Map<String, String> incidents = incidentOf.get();
        for (Alert a : active()) {
            // Alerts come from the alerts topic, which any writer can reach: their label values are made safe.
            Labels labels = Labels.of(
                    "rule",
                    SafeText.of(a.rule()),
                    "severity",
                    a.severity().name().toLowerCase(Locale.ROOT),
                    "model",
                    SafeText.of(a.model().id()),
                    "version",
                    SafeText.of(a.model().version()),
                    "slice",
                    SafeText.of(a.sliceDimension()),
                    "slice_value",
                    SafeText.of(a.sliceValue()),
                    "incident",
                    SafeText.of(incidents.getOrDefault(a.fingerprint(), "none")));
            if (counts.size() < MAX_SERIES || counts.containsKey(labels)) {
                counts.merge(labels, 1, Integer::sum);
            }
        }
        GaugeSnapshot.Builder gauge = GaugeSnapshot.builder()
                .name("vigil_alerts_active")
                .help("Alerts currently firing, by rule, severity, model version and slice");
        counts.forEach((labels, n) -> gauge.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder()
                .labels(labels)
                .value(n)
                .build()));
        return new MetricSnapshots(gauge.build());
    }
}
