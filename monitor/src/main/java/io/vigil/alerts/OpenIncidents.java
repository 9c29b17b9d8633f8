package io.vigil.alerts;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.vigil.events.Incident;
import io.vigil.events.SafeText;
import io.vigil.events.Slice;
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
 * Reads the latest transition per incident (the {@value AlertEvaluator#INCIDENT_VIEW_STORE} global view) and
 * serves it: {@code /api/incidents} as {@code {"open": [incident...], "resolved": [incident...]}} per
 * schemas/incident.schema.json (open ones worst severity first, then newest; resolved ones while they resolved
 * less than the retention ago), and the gauge {@code vigil_incidents_active{incident, severity, model, version,
 * root, root_value}} (1 per open incident, at most {@value #MAX_SERIES} series).
 */
public final class OpenIncidents implements MultiCollector {
    static final int MAX_SERIES = 500;

    private final Supplier<List<Incident>> latest;
    private final Duration resolvedRetention;
    private final Clock clock;

    public OpenIncidents(Supplier<List<Incident>> latest, Duration resolvedRetention, Clock clock) {
        this.latest = latest;
        this.resolvedRetention = resolvedRetention;
        this.clock = clock;
    }

    /** Open incidents, most severe first, then newest. */
    public List<Incident> open() {
        return latest.get().stream()
                .filter(i -> i.status() == Incident.Status.FIRING)
                .sorted(Comparator.comparing(Incident::severity)
                        .reversed()
                        .thenComparing(
                                Comparator.comparing(Incident::firstDetected).reversed())
                        .thenComparing(Incident::id))
                .toList();
    }

    /** Incidents resolved within the retention, newest resolution first. */
    public List<Incident> recentlyResolved() {
        Instant since = clock.instant().minus(resolvedRetention);
        return latest.get().stream()
                .filter(i -> i.status() == Incident.Status.RESOLVED
                        && i.resolvedAt() != null
                        && i.resolvedAt().isAfter(since))
                .sorted(Comparator.comparing(Incident::resolvedAt).reversed().thenComparing(Incident::id))
                .toList();
    }

    /** The open incident each firing alert belongs to, by fingerprint (the first by id when several). */
    public Map<String, String> incidentOf() {
        Map<String, String> out = new TreeMap<>();
        latest.get().stream()
                .filter(i -> i.status() == Incident.Status.FIRING)
                .sorted(Comparator.comparing(Incident::id))
                .forEach(i -> i.alerts().forEach(m -> out.putIfAbsent(m.fingerprint(), i.id())));
        return out;
    }

    /** The body of {@code /api/incidents}. */
    public String json() {
        ObjectNode root = Json.mapper().createObjectNode();
        ArrayNode open = root.putArray("open");
        open().forEach(i -> open.add(Json.mapper().valueToTree(i)));
        ArrayNode resolved = root.putArray("resolved");
        recentlyResolved().forEach(i -> resolved.add(Json.mapper().valueToTree(i)));
        try {
            return Json.mapper().writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write incidents: " + Json.describe(e), e);
        }
    }

    @Override
    public MetricSnapshots collect() {
        GaugeSnapshot.Builder gauge = GaugeSnapshot.builder()
                .name("vigil_incidents_active")
                .help(
                        "Open incidents (alerts grouped by root cause), by incident, severity, model version and root slice");
        int series = 0;
        for (Incident i : open()) {
            if (series++ >= MAX_SERIES) {
                break;
            }
            Slice root = i.root().isEmpty() ? Slice.ALL : i.root().get(0);
            // Incidents come from a topic any writer can reach: their label values are made safe.
            gauge.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder()
                    .labels(Labels.of(
                            "incident",
                            SafeText.of(i.id()),
                            "severity",
                            i.severity().name().toLowerCase(Locale.ROOT),
                            "model",
                            SafeText.of(i.model().id()),
                            "version",
                            SafeText.of(i.model().version()),
                            "root",
                            SafeText.of(root.dimension()),
                            "root_value",
                            SafeText.of(root.value())))
                    .value(1)
                    .build());
        }
        return new MetricSnapshots(gauge.build());
    }
}
