package io.vigil.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.vigil.events.MetricSnapshot;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class SnapshotCollectorTest {
    private static final Instant T0 = Instant.parse("2026-03-01T00:00:00Z");

    private static MetricSnapshot snapshot(
            String metric, Double est, Double lo, Double hi, long n, MetricSnapshot.Status status) {
        return new MetricSnapshot(
                "chest-ct", "2.3.0", "site", "S03", "7d", T0, metric, est, lo, hi, n, null, status, T0);
    }

    private static Map<String, GaugeSnapshot> byName(MetricSnapshots all) {
        return all.stream().collect(Collectors.toMap(m -> m.getMetadata().getPrometheusName(), m -> (GaugeSnapshot) m));
    }

    private static Map<String, Double> byMetricLabel(GaugeSnapshot g) {
        return g.getDataPoints().stream()
                .collect(Collectors.toMap(
                        p -> p.getLabels().get("metric"), GaugeSnapshot.GaugeDataPointSnapshot::getValue));
    }

    @Test
    void shouldExportNoValueButTheIndicatorAndNWhenTheSnapshotHasInsufficientN() {
        List<MetricSnapshot> in = List.of(
                snapshot("sensitivity", null, null, null, 49, MetricSnapshot.Status.INSUFFICIENT_N),
                snapshot("specificity", 0.9, 0.85, 0.94, 200, MetricSnapshot.Status.FINAL));
        Map<String, GaugeSnapshot> out = byName(new SnapshotCollector(() -> in).collect());

        assertThat(out).doesNotContainKey("vigil_sensitivity_ratio");
        assertThat(out.get("vigil_specificity_ratio").getDataPoints()).hasSize(3);
        assertThat(byMetricLabel(out.get("vigil_snapshot_insufficient_n"))).isEqualTo(Map.of("sensitivity", 1.0));
        assertThat(byMetricLabel(out.get("vigil_snapshot_samples")))
                .isEqualTo(Map.of("sensitivity", 49.0, "specificity", 200.0));
        assertThat(byMetricLabel(out.get("vigil_snapshot_final"))).isEqualTo(Map.of("specificity", 1.0));
    }

    @Test
    void shouldOmitTheIndicatorWhenEveryMetricHasEnoughN() {
        List<MetricSnapshot> in = List.of(snapshot("specificity", 0.9, 0.85, 0.94, 200, MetricSnapshot.Status.FINAL));
        assertThat(byName(new SnapshotCollector(() -> in).collect()))
                .doesNotContainKey("vigil_snapshot_insufficient_n");
    }
}
