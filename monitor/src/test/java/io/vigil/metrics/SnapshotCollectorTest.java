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

    private static MetricSnapshot in(String window, String metric, Double p) {
        return new MetricSnapshot(
                "chest-ct",
                "2.3.0",
                "site",
                "S03",
                window,
                T0,
                metric,
                0.5,
                0.4,
                0.6,
                300,
                p,
                MetricSnapshot.Status.PROVISIONAL,
                T0);
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

    /** The default export (metrics.detail off, 7d and 30d; n for sensitivity and feature_psi:*, p for the latter). */
    private static final PrometheusExport BUDGET = new PrometheusExport(
            false,
            java.util.Set.of("7d", "30d"),
            java.util.Set.of("sensitivity", "feature_psi:*", "estimation_error:*"),
            java.util.Set.of("feature_psi:*"));

    @Test
    void shouldExportOnlyDecisionFamiliesAtTheConfiguredWindowsWhenTheBudgetApplies() {
        List<MetricSnapshot> in = List.of(
                in("7d", "sensitivity", null),
                in("90d", "sensitivity", null),
                in("1d", "feature_psi:kvp", 0.2),
                in("30d", "reliability_observed:3", null),
                in("60d", "cusum_alarm:score_mean", null),
                in("7d", "estimation_error:sensitivity", 0.3),
                in("7d", "estimation_error:auc", 0.3));
        Map<String, GaugeSnapshot> out = byName(new SnapshotCollector(() -> in, BUDGET).collect());

        assertThat(out.get("vigil_sensitivity_ratio").getDataPoints())
                .allSatisfy(p -> assertThat(p.getLabels().get("window")).isEqualTo("7d"))
                .hasSize(3);
        assertThat(out).doesNotContainKeys("vigil_feature_psi", "vigil_reliability_observed_ratio");
        // A CUSUM's window is its history: exported whatever metrics.windows says.
        assertThat(out.get("vigil_cusum_alarm").getDataPoints())
                .isNotEmpty()
                .allSatisfy(p -> assertThat(p.getLabels().get("window")).isEqualTo("60d"));
        // The backtest error of a detail estimate (estimated_auc) is detail too.
        assertThat(out.get("vigil_estimation_error").getDataPoints())
                .allSatisfy(p -> assertThat(p.getLabels().get("metric")).isEqualTo("sensitivity"));
    }

    @Test
    void shouldExportNAndPOnlyForMetricsARuleGatesOnThemWhenTheBudgetApplies() {
        List<MetricSnapshot> in = List.of(
                in("7d", "sensitivity", null),
                in("7d", "specificity", null),
                in("30d", "feature_psi:kvp", 0.2),
                in("30d", "score_psi", 0.01),
                in("30d", "labelled", null),
                in("30d", "specificity", null));
        Map<String, GaugeSnapshot> out = byName(new SnapshotCollector(() -> in, BUDGET).collect());

        assertThat(out.get("vigil_snapshot_samples").getDataPoints())
                .extracting(p -> p.getLabels().get("metric"))
                .containsExactlyInAnyOrder("sensitivity", "feature_psi:kvp");
        assertThat(byMetricLabel(out.get("vigil_snapshot_p_value"))).isEqualTo(Map.of("feature_psi:kvp", 0.2));
        // Every outcome metric of a window shares its status: one series per window says it.
        assertThat(byMetricLabel(out.get("vigil_snapshot_final"))).isEqualTo(Map.of("labelled", 0.0));
    }

    @Test
    void shouldExportEverythingWithTheDetailSwitch() {
        List<MetricSnapshot> in = List.of(
                in("90d", "reliability_observed:3", null), in("1d", "score_psi", 0.01), in("7d", "specificity", null));
        Map<String, GaugeSnapshot> out = byName(new SnapshotCollector(() -> in, PrometheusExport.EVERYTHING).collect());

        assertThat(out).containsKeys("vigil_reliability_observed_ratio", "vigil_score_psi", "vigil_snapshot_p_value");
        assertThat(out.get("vigil_snapshot_samples").getDataPoints()).hasSize(3);
        assertThat(out.get("vigil_snapshot_final").getDataPoints()).hasSize(3);
    }
}
