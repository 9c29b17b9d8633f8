package io.vigil.stages;

import io.vigil.aggregates.OutcomeAggregate;
import io.vigil.aggregates.OutcomeChange;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.vigil.events.MetricSnapshot;
import io.vigil.metrics.WorstSlices;
import io.vigil.stats.golden.Golden;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PerformanceTest {
    private static final Instant T0 = Instant.parse("2026-02-01T09:00:00Z");

    @Test
    void shouldReportCoverageAndVerificationBiasWhenNegativesAreRarelyLabelled() {
        try (OutcomeDriver d = new OutcomeDriver(Map.of("outcomes.min-n", 10))) {
            for (int i = 0; i < 20; i++) {
                d.predict(OutcomeDriver.prediction("pos-" + i, T0, 0.9));
                d.predict(OutcomeDriver.prediction("neg-" + i, T0, 0.1));
                d.label("pos-" + i, i % 2, T0.plus(Duration.ofDays(2)), 0);
                if (i < 4) {
                    d.label("neg-" + i, 0, T0.plus(Duration.ofDays(3)), 0);
                }
            }
            assertThat(d.all("7d", "label_coverage").estimate()).isEqualTo(24.0 / 40);
            assertThat(d.all("7d", "label_coverage").n()).isEqualTo(40);
            assertThat(d.all("7d", "label_coverage_predicted_positive").estimate()).isEqualTo(1.0);
            assertThat(d.all("7d", "label_coverage_predicted_negative").estimate()).isEqualTo(0.2);
            assertThat(d.all("7d", "verification_bias").estimate()).isEqualTo(1.0);
            assertThat(d.all("7d", "label_delay:0.9").estimate()).isBetween(3 * 86400 / 1.045, 3 * 86400 * 1.045);

            for (int i = 4; i < 20; i++) {
                d.label("neg-" + i, 0, T0.plus(Duration.ofDays(3)), 0);
            }
            assertThat(d.all("7d", "verification_bias").estimate()).isEqualTo(0.0);
        }
    }

    @Test
    void shouldTurnFinalWhenCoverageReachesTheMaturityLevel() {
        try (OutcomeDriver d = new OutcomeDriver(Map.of())) {
            for (int i = 0; i < 10; i++) {
                d.predict(OutcomeDriver.prediction("p" + i, T0, i / 10.0));
            }
            for (int i = 0; i < 7; i++) {
                d.label("p" + i, i % 2, T0.plus(Duration.ofDays(1)), 0);
            }
            assertThat(d.all("7d", "labelled").status()).isEqualTo(MetricSnapshot.Status.PROVISIONAL);
            d.label("p7", 1, T0.plus(Duration.ofDays(1)), 0);
            assertThat(d.all("7d", "labelled").status()).isEqualTo(MetricSnapshot.Status.FINAL);
            assertThat(d.all("7d", "label_coverage").estimate()).isEqualTo(0.8);
        }
    }

    @Test
    void shouldTurnFinalWhenTheNewestCohortIsOlderThanTheMaxDelay() {
        Performance stage = new Performance(new Performance.Settings(List.of(30), 0.8, 0.5, 50, 5, 30,
                Duration.ofSeconds(1), Duration.ofSeconds(1), false));
        OutcomeAggregate day = new OutcomeAggregate();
        List<String> groups = List.of("model|v1|site|S01");
        day.apply(new OutcomeChange(groups, 0.7, 0.5, 100, -1, 0, -1));
        day.apply(new OutcomeChange(groups, 0.2, 0.5, 100, -1, 0, -1));
        day.apply(new OutcomeChange(groups, 0.7, 0.5, 100, 1, +1, 60));
        java.util.TreeMap<Long, OutcomeAggregate> days = new java.util.TreeMap<>(Map.of(100L, day));

        assertThat(status(stage.snapshots("model|v1|site|S01", days, 105, 0))).isEqualTo(MetricSnapshot.Status.PROVISIONAL);
        assertThat(status(stage.snapshots("model|v1|site|S01", days, 106, 0))).isEqualTo(MetricSnapshot.Status.FINAL);
    }

    /** One day of labelled cases: tp, fn, fp, tn counts at threshold 0.5 (scores 0.7 / 0.2). */
    private static Map<String, MetricSnapshot> window(int tp, int fn, int fp, int tn) {
        Performance stage = new Performance(new Performance.Settings(List.of(30), 0.8, 0.5, 50, 5, 30,
                Duration.ofSeconds(1), Duration.ofSeconds(1), false));
        List<String> groups = List.of("model|v1|site|S01");
        OutcomeAggregate day = new OutcomeAggregate();
        int[][] cells = {{tp, 1}, {fn, 1}, {fp, 0}, {tn, 0}};
        double[] scores = {0.7, 0.2, 0.7, 0.2};
        for (int c = 0; c < 4; c++) {
            for (int i = 0; i < cells[c][0]; i++) {
                day.apply(new OutcomeChange(groups, scores[c], 0.5, 100, -1, 0, -1));
                day.apply(new OutcomeChange(groups, scores[c], 0.5, 100, cells[c][1], +1, 60));
            }
        }
        Map<String, MetricSnapshot> out = new HashMap<>();
        for (MetricSnapshot s : stage.snapshots("model|v1|site|S01", new java.util.TreeMap<>(Map.of(100L, day)), 100, 0)) {
            out.put(s.metric(), s);
        }
        return out;
    }

    private static void assertInsufficient(Map<String, MetricSnapshot> m, String metric, long n) {
        assertThat(m.get(metric)).as(metric).isNotNull();
        assertThat(m.get(metric).status()).as(metric).isEqualTo(MetricSnapshot.Status.INSUFFICIENT_N);
        assertThat(m.get(metric).estimate()).as(metric).isNull();
        assertThat(m.get(metric).lower()).as(metric).isNull();
        assertThat(m.get(metric).n()).as(metric).isEqualTo(n);
    }

    private static void assertPublished(Map<String, MetricSnapshot> m, String metric, double value, long n) {
        assertThat(m.get(metric)).as(metric).isNotNull();
        assertThat(m.get(metric).status()).as(metric).isNotEqualTo(MetricSnapshot.Status.INSUFFICIENT_N);
        assertThat(m.get(metric).estimate()).as(metric).isCloseTo(value, within(1e-9));
        assertThat(m.get(metric).n()).as(metric).isEqualTo(n);
    }

    @Test
    void shouldGateSensitivityOnPositivesAndPpvOnPredictedPositivesWhenBelowMinN() {
        // 40 positives (49 would do as well): sensitivity insufficient. 50 predicted positives: ppv 40/50 published.
        Map<String, MetricSnapshot> m = window(40, 0, 10, 60);
        assertInsufficient(m, "sensitivity", 40);
        assertPublished(m, "ppv", 0.8, 50);
        assertPublished(m, "specificity", 60.0 / 70, 70);
        assertInsufficient(m, "auc", 40);
        assertPublished(m, "prevalence", 40.0 / 110, 110);
        // At exactly 50 positives sensitivity is published; 49 predicted positives make ppv insufficient.
        m = window(40, 10, 9, 60);
        assertPublished(m, "sensitivity", 0.8, 50);
        assertInsufficient(m, "ppv", 49);
        assertPublished(m, "auc", m.get("auc").estimate(), 119);
    }

    @Test
    void shouldGateSpecificityOnNegativesAndNpvOnPredictedNegativesWhenBelowMinN() {
        Map<String, MetricSnapshot> m = window(60, 10, 9, 40);
        assertInsufficient(m, "specificity", 49);
        assertPublished(m, "npv", 0.8, 50);
        assertInsufficient(m, "auc", 49);
        m = window(60, 9, 10, 40);
        assertPublished(m, "specificity", 0.8, 50);
        assertInsufficient(m, "npv", 49);
        assertPublished(m, "auc", m.get("auc").estimate(), 119);
    }

    @Test
    void shouldGateCalibrationOnLabelledCasesButAlwaysPublishTheCountsWhenBelowMinN() {
        Map<String, MetricSnapshot> m = window(20, 5, 4, 20);
        for (String metric : Performance.CALIBRATION_METRICS) {
            assertInsufficient(m, metric, 49);
        }
        assertInsufficient(m, "reliability_observed:7", 49);
        assertPublished(m, "labelled", 49, 49);
        assertPublished(m, "prevalence", 25.0 / 49, 49);
        assertPublished(m, "label_coverage", 1.0, 49);
        assertThat(m.get("label_delay:0.5").estimate()).isBetween(60 / 1.045, 60 * 1.045);

        m = window(20, 5, 5, 20);
        // Brier by hand: 20 tp (0.7 vs 1), 5 fn (0.2 vs 1), 5 fp (0.7 vs 0), 20 tn (0.2 vs 0).
        assertPublished(m, "brier", (20 * 0.09 + 5 * 0.64 + 5 * 0.49 + 20 * 0.04) / 50, 50);
        assertPublished(m, "reliability_observed:7", 0.8, 25);
        for (String metric : Performance.CALIBRATION_METRICS) {
            assertThat(m.get(metric)).as(metric).satisfiesAnyOf(
                    s -> assertThat(s).isNull(),
                    s -> assertThat(s.status()).isNotEqualTo(MetricSnapshot.Status.INSUFFICIENT_N));
        }
    }

    private static MetricSnapshot.Status status(List<MetricSnapshot> snapshots) {
        return snapshots.stream().filter(s -> s.metric().equals("labelled")).findFirst().orElseThrow().status();
    }

    @Test
    void shouldMatchGoldenValuesWhenWdbcAndFleetGoThroughTheStage() {
        try (OutcomeDriver d = new OutcomeDriver(Map.of("outcomes.snapshot-interval-ms", 3_600_000L))) {
            // Labels first for half of the cases, to exercise the orphan path on golden data too.
            List<Golden.Row> wdbc = Golden.wdbc();
            for (String version : List.of("t0.5", "t0.3")) {
                double threshold = version.equals("t0.5") ? 0.5 : 0.3;
                for (int i = 0; i < wdbc.size(); i++) {
                    String id = version + "-" + i;
                    if (i % 2 == 0) {
                        d.label(id, wdbc.get(i).label(), T0.plusSeconds(3600), 0);
                    }
                    d.predict(OutcomeDriver.prediction(id, T0, version, wdbc.get(i).score(), threshold, "S01", "A"));
                    if (i % 2 == 1) {
                        d.label(id, wdbc.get(i).label(), T0.plusSeconds(3600), 0);
                    }
                    if (i % 100 == 0) {
                        d.flushAndDrain();
                    }
                }
            }
            List<Golden.Row> fleet = Golden.fleet();
            for (int i = 0; i < fleet.size(); i++) {
                Golden.Row r = fleet.get(i);
                d.predict(OutcomeDriver.prediction("f-" + i, T0, "fleet", r.score(), 0.5,
                        r.slice().substring(0, 3), r.slice()));
                d.label("f-" + i, r.label(), T0.plusSeconds(7200), 0);
                if (i % 100 == 0) {
                    d.flushAndDrain();
                }
            }
            Map<String, MetricSnapshot> latest = d.snapshot();

            Map<String, String[]> slices = new HashMap<>();
            slices.put("wdbc@0.5", new String[] {"t0.5", "all", "all"});
            slices.put("wdbc@0.3", new String[] {"t0.3", "all", "all"});
            slices.put("fleet", new String[] {"fleet", "all", "all"});
            Golden.cases().forEach(c -> {
                String[] s = c.name().startsWith("fleet/")
                        ? new String[] {"fleet", "scanner", c.name().substring(6, 9) + "/" + c.name().substring(6)}
                        : slices.get(c.name());
                assertGolden(c, latest, s[0], s[1], s[2]);
            });

            List<MetricSnapshot> worst = WorstSlices.compute(latest.values(), 50, Instant.EPOCH);
            MetricSnapshot ece = find(worst, "fleet", "scanner", "worst_slice_gap:ece");
            MetricSnapshot oe = find(worst, "fleet", "scanner", "worst_slice_gap:oe_ratio");
            assertThat(ece.sliceValue()).isEqualTo("S03/S03-B");
            assertThat(oe.sliceValue()).isEqualTo("S03/S03-B");
            assertThat(oe.lower()).isNotNull();
            assertThat(ece.estimate()).isPositive();
        }
    }

    private static MetricSnapshot find(List<MetricSnapshot> snapshots, String version, String dimension,
                                       String metric) {
        return snapshots.stream().filter(s -> s.version().equals(version) && s.sliceDimension().equals(dimension)
                && s.window().equals("7d") && s.metric().equals(metric)).findFirst().orElseThrow();
    }

    private static void assertGolden(Golden.Case c, Map<String, MetricSnapshot> latest, String version,
                                     String dimension, String value) {
        JsonNode g = c.expected();
        java.util.function.Function<String, MetricSnapshot> m = metric -> {
            MetricSnapshot s = latest.get(String.join("|", "model", version, dimension, value, "7d", metric));
            assertThat(s).as(c.name() + " " + metric).isNotNull();
            return s;
        };
        double exact = 1e-9;
        assertThat(m.apply("labelled").estimate()).as(c.name()).isEqualTo(g.get("n").asDouble());
        for (String rate : List.of("prevalence", "sensitivity", "specificity", "ppv", "npv")) {
            MetricSnapshot s = m.apply(rate);
            assertThat(s.estimate()).as(c.name() + " " + rate).isCloseTo(g.get(rate).asDouble(), within(exact));
            assertThat(s.lower()).as(c.name() + " " + rate).isCloseTo(g.get(rate + "_ci").get(0).asDouble(), within(exact));
            assertThat(s.upper()).as(c.name() + " " + rate).isCloseTo(g.get(rate + "_ci").get(1).asDouble(), within(exact));
        }
        MetricSnapshot auc = m.apply("auc");
        assertThat(auc.estimate()).as(c.name() + " auc")
                .isCloseTo(g.get("auc").asDouble(), within(binningBound(c.rows()) + 1e-12));
        double a = g.get("auc").asDouble();
        long positives = g.get("positives").asLong();
        double t = org.apache.commons.statistics.distribution.TDistribution
                .of(Math.min(positives, g.get("n").asLong() - positives) - 1).inverseSurvivalProbability(0.025);
        double half = t * Math.sqrt(g.get("auc_delong_variance").asDouble()) / (a * (1 - a));
        assertThat(auc.lower()).isCloseTo(1 / (1 + Math.exp(-(Math.log(a / (1 - a)) - half))), within(0.005));
        assertThat(auc.upper()).isCloseTo(1 / (1 + Math.exp(-(Math.log(a / (1 - a)) + half))), within(0.005));
        double cal = 1e-6;
        // The published ECE is debiased with an interval (CalibrationStats#ece); the plug-in ECE that the
        // golden file holds is what its published reliability bins add up to, and lies within the interval.
        double plugIn = 0;
        for (JsonNode bin : g.get("reliability_bins")) {
            if (bin.get("n").asLong() > 0) {
                int k = bin.get("bin").asInt();
                MetricSnapshot mean = m.apply("reliability_mean_score:" + k);
                plugIn += (double) mean.n() / g.get("n").asLong()
                        * Math.abs(mean.estimate() - m.apply("reliability_observed:" + k).estimate());
            }
        }
        assertThat(plugIn).as(c.name() + " plug-in ece").isCloseTo(g.get("ece_10").asDouble(), within(cal));
        MetricSnapshot ece = m.apply("ece");
        assertThat(ece.estimate()).isLessThanOrEqualTo(g.get("ece_10").asDouble());
        assertThat(g.get("ece_10").asDouble()).isBetween(ece.lower(), ece.upper());
        assertThat(m.apply("mce").estimate()).isCloseTo(g.get("mce_10").asDouble(), within(cal));
        assertThat(m.apply("brier").estimate()).isCloseTo(g.get("brier").asDouble(), within(cal));
        assertThat(m.apply("log_loss").estimate()).isCloseTo(g.get("log_loss").asDouble(), within(cal));
        assertThat(m.apply("brier_reliability").estimate()).isCloseTo(g.get("brier_reliability_10").asDouble(), within(cal));
        assertThat(m.apply("brier_resolution").estimate()).isCloseTo(g.get("brier_resolution_10").asDouble(), within(cal));
        assertThat(m.apply("brier_uncertainty").estimate()).isCloseTo(g.get("brier_uncertainty").asDouble(), within(cal));
        assertThat(m.apply("oe_ratio").estimate()).isCloseTo(g.get("observed_expected_ratio").asDouble(), within(cal));
        for (JsonNode bin : g.get("reliability_bins")) {
            if (bin.get("n").asLong() == 0) {
                continue;
            }
            MetricSnapshot obs = m.apply("reliability_observed:" + bin.get("bin").asInt());
            assertThat(obs.n()).isEqualTo(bin.get("n").asLong());
            assertThat(obs.estimate()).isCloseTo(bin.get("observed_rate").asDouble(), within(cal));
            assertThat(obs.lower()).isCloseTo(bin.get("observed_ci").get(0).asDouble(), within(cal));
            assertThat(obs.upper()).isCloseTo(bin.get("observed_ci").get(1).asDouble(), within(cal));
            assertThat(m.apply("reliability_mean_score:" + bin.get("bin").asInt()).estimate())
                    .isCloseTo(bin.get("mean_score").asDouble(), within(cal));
        }
        assertThat(m.apply("calibration_slope").estimate()).isCloseTo(g.get("calibration_slope").asDouble(), within(0.01));
        assertThat(m.apply("calibration_intercept").estimate())
                .isCloseTo(g.get("calibration_intercept").asDouble(), within(0.01));
        assertThat(m.apply("calibration_slope").lower())
                .isCloseTo(g.get("calibration_slope_ci").get(0).asDouble(), within(0.01));
        assertThat(m.apply("calibration_slope").upper())
                .isCloseTo(g.get("calibration_slope_ci").get(1).asDouble(), within(0.01));
        JsonNode citl = CITL.get(c.name().startsWith("wdbc") ? "wdbc" : c.name());
        assertThat(m.apply("calibration_in_the_large").estimate()).as(c.name() + " citl")
                .isCloseTo(citl.get("calibration_in_the_large").asDouble(), within(0.01));
    }

    /** SciPy's calibration-in-the-large per golden section (golden/make_citl.py). */
    private static final JsonNode CITL = readCitl();

    private static JsonNode readCitl() {
        try (var in = PerformanceTest.class.getClassLoader().getResourceAsStream("golden/citl.json")) {
            return new com.fasterxml.jackson.databind.ObjectMapper().readTree(in);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** sum_b P_b N_b / (2 P N) over bins of width 1e-5, computed here independently of the stage. */
    private static double binningBound(List<Golden.Row> rows) {
        Map<Long, long[]> bins = new HashMap<>();
        long p = 0;
        long n = 0;
        for (Golden.Row r : rows) {
            long b = Math.min((long) Math.floor(r.score() * 100_000), 99_999);
            bins.computeIfAbsent(b, k -> new long[2])[r.label()]++;
            if (r.label() == 1) {
                p++;
            } else {
                n++;
            }
        }
        double ties = 0;
        for (long[] c : bins.values()) {
            ties += (double) c[0] * c[1];
        }
        return ties / (2.0 * p * n);
    }
}
