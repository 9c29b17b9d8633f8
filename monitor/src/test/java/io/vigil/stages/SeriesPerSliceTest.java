package io.vigil.stages;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.model.snapshots.DataPointSnapshot;
import io.vigil.aggregates.DriftAggregate;
import io.vigil.alerts.AlertRule;
import io.vigil.alerts.AlertRules;
import io.vigil.config.VigilConfig;
import io.vigil.events.GroundTruth;
import io.vigil.events.MetricSnapshot;
import io.vigil.events.Prediction;
import io.vigil.events.ReferenceProfile;
import io.vigil.metrics.DerivedMetrics;
import io.vigil.metrics.PrometheusExport;
import io.vigil.metrics.SnapshotCollector;
import io.vigil.sim.Scenario;
import io.vigil.sim.SimEvent;
import io.vigil.sim.Simulator;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The series budget of issue 17 (Must 4): at most 200 Prometheus series per slice (model | version | dimension |
 * value) at the default configuration, counted from the exporter's own output ({@link SnapshotCollector} with the
 * {@link PrometheusExport} that {@code vigil run} builds from the default settings and the shipped rules) after the
 * whole topology has run on the simulator's default scenario: 40 days, seed 7, stability on (as the demo runs it),
 * and a labelled validation reference built from another 20 simulated days (seed 6), so that the label-free
 * estimates, their backtest errors, the prevalence shift and the metrics at the reference prevalence are all
 * there. The derived metrics (worst slices, backtest) are counted too, as the exporter serves them.
 *
 * <p>Measured 2026-12-04: with {@code metrics.detail=true} (everything, as before the budget) 938 to 1,120 series
 * per slice; at the defaults 133 to 187 (docs/scaling.md has the breakdown).
 * Outcome maturity is lowered to 0.05 so that every window is final and the backtest errors are present: the
 * largest count the defaults allow on this scenario.
 */
class SeriesPerSliceTest {
    private static final int BUDGET = 200;
    private static final long STORE_BYTES_PER_SLICE = 200_000;
    private static final LocalDate START = LocalDate.parse("2026-10-01");
    private static List<MetricSnapshot> latest;
    /** The latest snapshot per key, as the in-memory global store {@code metric-snapshots-latest} holds them. */
    private static List<MetricSnapshot> stored;

    @BeforeAll
    static void runTheDefaultScenario() {
        Map<String, Object> overrides = Map.of(
                VigilConfig.STABILITY_ENABLED, "true",
                VigilConfig.STABILITY_SUBJECT_KEY_SECRET, "series-test-secret-0123456789",
                // The validation reference below is the version's reference; no burn-in replaces it.
                VigilConfig.REFERENCE_BURN_IN_ENABLED, "false",
                // Every window final, so the backtest errors (final windows only) are there too: the worst case.
                VigilConfig.OUTCOMES_MATURITY_COVERAGE, "0.05");
        try (OutcomeDriver d = new OutcomeDriver(overrides)) {
            d.reference(validationReference());
            Simulator sim = Simulator.create(Scenario.builtIn("default"), 7, START, 40);
            int i = 0;
            for (SimEvent e : sim) {
                if (e.isPrediction()) {
                    d.predict((Prediction) e.value());
                } else {
                    d.label((GroundTruth) e.value());
                }
                if (++i % 2000 == 0) {
                    d.flushAndDrain();
                }
            }
            d.flushAndDrain();
            d.snapshot();
            // Drift, estimation and stability snapshot on their default interval (60 s), not the outcomes one.
            d.advanceWall(Duration.ofSeconds(61));
            d.advanceWall(Duration.ofSeconds(61));
            stored = List.copyOf(d.snapshot().values());
            latest = DerivedMetrics.withDerived(
                    stored,
                    ((Number) VigilConfig.definition().defaultValues().get(VigilConfig.OUTCOMES_MIN_N)).intValue());
        }
    }

    /** A validation-file profile from 20 other simulated days: their scores, features and labels. */
    private static ReferenceProfile validationReference() {
        DriftAggregate aggregate = DriftAggregate.empty();
        Map<String, Prediction> byId = new HashMap<>();
        long[] pos = new long[20];
        long[] neg = new long[20];
        Prediction any = null;
        for (SimEvent e : Simulator.create(Scenario.builtIn("default"), 6, START.minusDays(60), 20)) {
            if (e.isPrediction()) {
                Prediction p = (Prediction) e.value();
                aggregate.add(p, null, true);
                byId.put(p.predictionId(), p);
                any = p;
            } else {
                GroundTruth g = (GroundTruth) e.value();
                Prediction p = byId.remove(g.predictionId());
                if (p != null) {
                    int bin = Math.min(19, (int) (p.score() * 20));
                    (g.label() == 1 ? pos : neg)[bin]++;
                }
            }
        }
        List<ReferenceProfile.LabelBin> bins = new ArrayList<>();
        for (int b = 0; b < 20; b++) {
            bins.add(new ReferenceProfile.LabelBin(b / 20.0, (b + 1) / 20.0, pos[b], neg[b]));
        }
        return aggregate.toProfile(
                any.model(),
                ReferenceProfile.Source.VALIDATION_FILE,
                START.minusDays(30).atStartOfDay().toInstant(java.time.ZoneOffset.UTC),
                null,
                any.threshold(),
                new ReferenceProfile.Labelled(bins, Map.of()));
    }

    private static Map<String, Integer> seriesPerSlice(PrometheusExport export, StringBuilder families) {
        Map<String, Integer> perSlice = new TreeMap<>();
        Map<String, Integer> perFamily = new TreeMap<>();
        for (var family : new SnapshotCollector(() -> latest, export).collect()) {
            for (DataPointSnapshot p : family.getDataPoints()) {
                var l = p.getLabels();
                String slice = String.join("|", l.get("model"), l.get("version"), l.get("slice"), l.get("slice_value"));
                perSlice.merge(slice, 1, Integer::sum);
                if (slice.endsWith("|all|all")) {
                    perFamily.merge(family.getMetadata().getPrometheusName() + " " + l.get("window"), 1, Integer::sum);
                }
            }
        }
        perFamily.forEach((k, v) -> families.append(k).append(' ').append(v).append('\n'));
        return perSlice;
    }

    private static PrometheusExport defaults() {
        VigilConfig config = new VigilConfig(Map.of("bootstrap.servers", "127.0.0.1:9"));
        List<AlertRule> rules = AlertRules.defaults();
        return PrometheusExport.from(
                config,
                rules.stream().filter(r -> r.minN() > 0).map(AlertRule::metric).toList(),
                rules.stream()
                        .filter(r -> r.maxP() != null)
                        .map(AlertRule::metric)
                        .toList());
    }

    @Test
    void shouldKeepEverySliceWithinTwoHundredSeriesWhenDefaultConfigured() {
        StringBuilder families = new StringBuilder();
        Map<String, Integer> perSlice = seriesPerSlice(defaults(), families);

        System.out.printf(
                "SeriesPerSliceTest: %d slices, %d to %d series per slice at the defaults; the all slice's:%n%s",
                perSlice.size(),
                perSlice.values().stream().mapToInt(Integer::intValue).min().orElse(0),
                perSlice.values().stream().mapToInt(Integer::intValue).max().orElse(0),
                families);
        assertThat(perSlice).hasSizeGreaterThanOrEqualTo(20);
        assertThat(perSlice)
                .as("series per slice at the defaults; the all slice's families:%n%s", families)
                .allSatisfy((slice, n) -> assertThat(n).as(slice).isLessThanOrEqualTo(BUDGET));
    }

    /**
     * Every instance holds the whole snapshot topic's latest values on its heap (the global stores are in memory:
     * docs/notes/global-store-after-sigkill.md). Its size per slice, in serialised key and value bytes as the store
     * keeps them, is what docs/scaling.md multiplies by the number of slices. Measured 2026-12-05: 215 to 240 keys and
     * 74 to 92 KB per slice (5,447 keys in 25 slices); the bound is about twice the largest slice, to catch a stage
     * that starts writing far more.
     */
    @Test
    void shouldHoldABoundedNumberOfSnapshotBytesPerSlice() throws Exception {
        Map<String, long[]> perSlice = new TreeMap<>();
        for (MetricSnapshot s : stored) {
            long[] keysAndBytes = perSlice.computeIfAbsent(
                    String.join("|", s.model(), s.version(), s.sliceDimension(), s.sliceValue()), k -> new long[2]);
            keysAndBytes[0]++;
            keysAndBytes[1] += s.key().getBytes(java.nio.charset.StandardCharsets.UTF_8).length
                    + io.vigil.serde.Json.mapper().writeValueAsBytes(s).length;
        }
        long maxKeys = perSlice.values().stream().mapToLong(a -> a[0]).max().orElse(0);
        long maxBytes = perSlice.values().stream().mapToLong(a -> a[1]).max().orElse(0);
        long totalBytes = perSlice.values().stream().mapToLong(a -> a[1]).sum();
        System.out.printf(
                "SeriesPerSliceTest: the snapshot store holds %d keys in %d slices, %d to %d keys and %.1f to %.1f KB"
                        + " per slice (%.1f KB on average)%n",
                stored.size(),
                perSlice.size(),
                perSlice.values().stream().mapToLong(a -> a[0]).min().orElse(0),
                maxKeys,
                perSlice.values().stream().mapToLong(a -> a[1]).min().orElse(0) / 1000.0,
                maxBytes / 1000.0,
                totalBytes / 1000.0 / perSlice.size());
        assertThat(perSlice).hasSizeGreaterThanOrEqualTo(20);
        assertThat(maxBytes)
                .as("serialised snapshot bytes of the largest slice")
                .isLessThan(STORE_BYTES_PER_SLICE);
    }

    @Test
    void shouldStillCarryWhatTheShippedRulesReadWhenDefaultConfigured() {
        StringBuilder families = new StringBuilder();
        seriesPerSlice(defaults(), families);
        String all = families.toString();

        // The rules' value families with their bounds, at 7d and 30d, and their n (and p for the drift tests).
        assertThat(all)
                .contains("vigil_sensitivity_ratio 30d 3", "vigil_sensitivity_ratio 7d 3")
                .contains("vigil_observed_expected_ratio 30d 3", "vigil_prevalence_shift 30d 3")
                .contains("vigil_estimated_sensitivity_ratio 30d 3", "vigil_calibration_slope 30d 3")
                .contains("vigil_score_psi 7d 1", "vigil_flip_rate_ratio 30d 3")
                .contains("vigil_snapshot_p_value 7d", "vigil_snapshot_samples 30d")
                .contains("vigil_estimation_error 30d")
                .contains("vigil_cusum_alarm 60d");
        // Detail families and the other windows are not on /metrics at the defaults (they are on /api).
        assertThat(all)
                .doesNotContain("vigil_reliability_observed_ratio")
                .doesNotContain("vigil_worst_slice")
                .doesNotContain("vigil_feature_mean")
                .doesNotContain(" 90d ")
                .doesNotContain(" 1d ");
    }

    @Test
    void shouldExportEverySeriesWithTheDetailSwitchOn() {
        StringBuilder families = new StringBuilder();
        Map<String, Integer> detailed = seriesPerSlice(
                PrometheusExport.from(
                        new VigilConfig(Map.of("bootstrap.servers", "127.0.0.1:9", VigilConfig.METRICS_DETAIL, "true")),
                        List.of(),
                        List.of()),
                families);

        // Everything: the budget is what the switch takes away, not what the stages compute.
        assertThat(detailed.get("chest-ct-nodule|2.3.0|all|all")).isGreaterThan(3 * BUDGET);
        assertThat(families.toString())
                .contains("vigil_reliability_observed_ratio 90d")
                .contains("vigil_feature_mean 1d")
                .contains("vigil_estimated_auc_ratio 30d");
    }
}
