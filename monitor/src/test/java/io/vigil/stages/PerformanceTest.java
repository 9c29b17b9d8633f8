package io.vigil.stages;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.vigil.aggregates.OutcomeAggregate;
import io.vigil.aggregates.OutcomeChange;
import io.vigil.events.MetricSnapshot;
import io.vigil.events.ModelRef;
import io.vigil.events.ReferenceProfile;
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
            assertThat(d.all("7d", "label_coverage_predicted_positive").estimate())
                    .isEqualTo(1.0);
            assertThat(d.all("7d", "label_coverage_predicted_negative").estimate())
                    .isEqualTo(0.2);
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
        Performance stage = new Performance(PerformanceTestSettings.withWindows(30));
        OutcomeAggregate day = new OutcomeAggregate();
        List<String> groups = List.of("model|v1|site|S01");
        day.apply(new OutcomeChange(groups, 0.7, 0.5, 100, -1, 0, -1));
        day.apply(new OutcomeChange(groups, 0.2, 0.5, 100, -1, 0, -1));
        day.apply(new OutcomeChange(groups, 0.7, 0.5, 100, 1, +1, 60));
        java.util.TreeMap<Long, OutcomeAggregate> days = new java.util.TreeMap<>(Map.of(100L, day));

        assertThat(status(stage.snapshots("model|v1|site|S01", days, 105, 0)))
                .isEqualTo(MetricSnapshot.Status.PROVISIONAL);
        assertThat(status(stage.snapshots("model|v1|site|S01", days, 106, 0))).isEqualTo(MetricSnapshot.Status.FINAL);
    }

    /** One day of labelled cases: tp, fn, fp, tn counts at threshold 0.5 (scores 0.7 / 0.2). */
    private static Map<String, MetricSnapshot> window(int tp, int fn, int fp, int tn) {
        return window(tp, fn, fp, tn, null);
    }

    /** As {@link #window(int, int, int, int)}, at a reference prevalence (or none). */
    private static Map<String, MetricSnapshot> window(
            int tp, int fn, int fp, int tn, Performance.ReferencePrevalence reference) {
        Performance stage = new Performance(PerformanceTestSettings.withWindows(30));
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
        for (MetricSnapshot s :
                stage.snapshots("model|v1|site|S01", new java.util.TreeMap<>(Map.of(100L, day)), 100, 0, reference)) {
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
            assertThat(m.get(metric))
                    .as(metric)
                    .satisfiesAnyOf(
                            s -> assertThat(s).isNull(),
                            s -> assertThat(s.status()).isNotEqualTo(MetricSnapshot.Status.INSUFFICIENT_N));
        }
    }

    // ---- at the reference prevalence (issue 18, Must 9) ----

    /** Wilson score interval {lower, upper} for k of n at normal quantile z, written out (STATISTICS.md). */
    private static double[] wilson(double k, double n, double z) {
        double p = k / n;
        double centre = (p + z * z / (2 * n)) / (1 + z * z / n);
        double half = z / (1 + z * z / n) * Math.sqrt(p * (1 - p) / n + z * z / (4 * n * n));
        return new double[] {centre - half, centre + half};
    }

    private static double bayesPpv(double sens, double spec, double pi) {
        return sens * pi / (sens * pi + (1 - spec) * (1 - pi));
    }

    private static double bayesNpv(double sens, double spec, double pi) {
        return spec * (1 - pi) / (spec * (1 - pi) + (1 - sens) * pi);
    }

    @Test
    void shouldPublishPredictiveValuesAtTheClaimedPrevalenceWhenTheReferenceClaimsOne() {
        // 80 of 100 positives found, 170 of 200 negatives cleared: sensitivity 0.8, specificity 0.85, observed
        // prevalence 1/3 (ppv 80/110). At the claimed 0.05: PPV = 0.04 / (0.04 + 0.15 * 0.95) = 0.04 / 0.1825,
        // NPV = 0.8075 / (0.8075 + 0.2 * 0.05) = 0.8075 / 0.8175.
        Map<String, MetricSnapshot> m = window(80, 20, 30, 170, new Performance.ReferencePrevalence(0.05, 0.05, 0.05));
        assertPublished(m, "ppv", 80.0 / 110, 110);
        assertPublished(m, "ppv_at_reference_prevalence", 0.04 / 0.1825, 300);
        assertPublished(m, "npv_at_reference_prevalence", 0.8075 / 0.8175, 300);
        // Bounds: the formula at the corners of the two 97.5% Wilson intervals (z = 2.2414).
        double z = 2.241402727604947;
        double[] sens = wilson(80, 100, z);
        double[] spec = wilson(170, 200, z);
        MetricSnapshot ppv = m.get("ppv_at_reference_prevalence");
        MetricSnapshot npv = m.get("npv_at_reference_prevalence");
        assertThat(ppv.lower()).isCloseTo(bayesPpv(sens[0], spec[0], 0.05), within(1e-12));
        assertThat(ppv.upper()).isCloseTo(bayesPpv(sens[1], spec[1], 0.05), within(1e-12));
        assertThat(npv.lower()).isCloseTo(bayesNpv(sens[0], spec[0], 0.05), within(1e-12));
        assertThat(npv.upper()).isCloseTo(bayesNpv(sens[1], spec[1], 0.05), within(1e-12));
        // A claimed prevalence is known: the shift's interval is the observed Wilson interval minus 0.05.
        double[] prev = wilson(100, 300, 1.959963984540054);
        assertPublished(m, "prevalence_shift", 1.0 / 3 - 0.05, 300);
        assertThat(m.get("prevalence_shift").lower()).isCloseTo(prev[0] - 0.05, within(1e-12));
        assertThat(m.get("prevalence_shift").upper()).isCloseTo(prev[1] - 0.05, within(1e-12));
    }

    @Test
    void shouldCountTheReferencesOwnErrorInTheShiftWhenItsPrevalenceComesFromLabelCounts() {
        // Reference: 30 positive and 570 negative labels over its score bins, prevalence 0.05.
        ReferenceProfile profile = labelledProfile(
                List.of(new ReferenceProfile.LabelBin(0, 0.5, 10, 520), new ReferenceProfile.LabelBin(0.5, 1, 20, 50)),
                Map.of());
        Performance.ReferencePrevalence reference = Performance.ReferencePrevalence.of(profile);
        double z = 1.959963984540054;
        double[] ref = wilson(30, 600, z);
        assertThat(reference.value()).isCloseTo(0.05, within(1e-12));
        assertThat(reference.lower()).isCloseTo(ref[0], within(1e-12));
        assertThat(reference.upper()).isCloseTo(ref[1], within(1e-12));

        Map<String, MetricSnapshot> m = window(80, 20, 30, 170, reference);
        assertPublished(m, "ppv_at_reference_prevalence", 0.04 / 0.1825, 300);
        // Newcombe's hybrid score interval: d -/+ the two Wilson half-widths on the matching sides, in quadrature.
        double p = 1.0 / 3;
        double[] obs = wilson(100, 300, z);
        assertPublished(m, "prevalence_shift", p - 0.05, 300);
        assertThat(m.get("prevalence_shift").lower())
                .isCloseTo(p - 0.05 - Math.sqrt(Math.pow(p - obs[0], 2) + Math.pow(ref[1] - 0.05, 2)), within(1e-12));
        assertThat(m.get("prevalence_shift").upper())
                .isCloseTo(p - 0.05 + Math.sqrt(Math.pow(obs[1] - p, 2) + Math.pow(0.05 - ref[0], 2)), within(1e-12));
        // Wider than with the reference taken as known.
        assertThat(m.get("prevalence_shift").lower()).isLessThan(obs[0] - 0.05);
    }

    @Test
    void shouldGateAtTheReferencePrevalenceOnBothClassesAndTheShiftOnLabelledCasesWhenBelowMinN() {
        Performance.ReferencePrevalence reference = new Performance.ReferencePrevalence(0.2, 0.2, 0.2);
        // 40 positives: sensitivity, and so both predictive values at the reference, are below min n 50.
        Map<String, MetricSnapshot> m = window(40, 0, 10, 60, reference);
        assertInsufficient(m, "ppv_at_reference_prevalence", 40);
        assertInsufficient(m, "npv_at_reference_prevalence", 40);
        assertPublished(m, "prevalence_shift", 40.0 / 110 - 0.2, 110);
        // 49 labelled cases: the shift too; prevalence itself is always published.
        m = window(20, 5, 4, 20, reference);
        assertInsufficient(m, "ppv_at_reference_prevalence", 24);
        assertInsufficient(m, "prevalence_shift", 49);
        assertPublished(m, "prevalence", 25.0 / 49, 49);
        // At 50 of each class they are published: sens 0.8, spec 0.9 at 0.2 give PPV 0.16 / 0.24.
        m = window(40, 10, 5, 45, reference);
        assertPublished(m, "ppv_at_reference_prevalence", 0.16 / 0.24, 100);
        assertPublished(m, "npv_at_reference_prevalence", 0.72 / 0.76, 100);
    }

    @Test
    void shouldPublishNothingAtTheReferencePrevalenceWhenThereIsNoReferencePrevalence() {
        Map<String, MetricSnapshot> m = window(80, 20, 30, 170);
        assertThat(m)
                .containsKey("ppv")
                .containsKey("prevalence")
                .doesNotContainKeys("ppv_at_reference_prevalence", "npv_at_reference_prevalence", "prevalence_shift");
        // A profile without labels, or with labels of one class only, gives no prevalence; a claim wins over counts.
        assertThat(Performance.ReferencePrevalence.of(labelledProfile(null, Map.of())))
                .isNull();
        assertThat(Performance.ReferencePrevalence.of(
                        labelledProfile(List.of(new ReferenceProfile.LabelBin(0, 1, 0, 500)), Map.of())))
                .isNull();
        assertThat(Performance.ReferencePrevalence.of(labelledProfile(
                        List.of(new ReferenceProfile.LabelBin(0, 1, 0, 500)), Map.of("prevalence", 0.12))))
                .isEqualTo(new Performance.ReferencePrevalence(0.12, 0.12, 0.12));
        assertThat(Performance.ReferencePrevalence.of(labelledProfile(
                                List.of(new ReferenceProfile.LabelBin(0, 1, 50, 450)), Map.of("sensitivity", 0.9)))
                        .value())
                .isCloseTo(0.1, within(1e-12));
    }

    @Test
    void shouldPublishAtTheReferencePrevalenceOnlyOnceAProfileIsPublishedWhenRunInTheTopology() {
        try (OutcomeDriver d = new OutcomeDriver(Map.of("outcomes.min-n", 10))) {
            for (int i = 0; i < 40; i++) {
                d.predict(OutcomeDriver.prediction("c-" + i, T0, i % 4 == 0 ? 0.9 : 0.1));
                d.label("c-" + i, i % 4 == 0 || i % 10 == 1 ? 1 : 0, T0.plus(Duration.ofDays(1)), 0);
            }
            assertThat(d.all("7d", "prevalence")).isNotNull();
            assertThat(d.all("7d", "ppv_at_reference_prevalence")).isNull();
            assertThat(d.all("7d", "prevalence_shift")).isNull();

            d.reference(
                    labelledProfile(List.of(new ReferenceProfile.LabelBin(0, 1, 50, 450)), Map.of("prevalence", 0.1)));
            d.predict(OutcomeDriver.prediction("c-40", T0, 0.1)); // a change, so the group is snapshotted again
            d.label("c-40", 0, T0.plus(Duration.ofDays(1)), 0);
            // 10 tp, 4 fn, 0 fp, 27 tn: sensitivity 10/14, specificity 1, so PPV at any prevalence is 1.
            MetricSnapshot ppv = d.all("7d", "ppv_at_reference_prevalence");
            assertThat(ppv).isNotNull();
            assertThat(ppv.estimate()).isCloseTo(1.0, within(1e-12));
            double sens = 10.0 / 14;
            assertThat(d.all("7d", "npv_at_reference_prevalence").estimate())
                    .isCloseTo(0.9 / (0.9 + (1 - sens) * 0.1), within(1e-12));
            assertThat(d.all("7d", "prevalence_shift").estimate()).isCloseTo(14.0 / 41 - 0.1, within(1e-12));
            assertThat(d.get("v1", "site", "S01", "7d", "prevalence_shift").n()).isEqualTo(41);
        }
    }

    /** A validation-file profile of model v1 with the given label bins (none when null) and targets. */
    private static ReferenceProfile labelledProfile(List<ReferenceProfile.LabelBin> bins, Map<String, Double> targets) {
        ReferenceProfile p = PerformanceEstimationTest.reference(new ModelRef("model", "v1"), 200, 7, false);
        return new ReferenceProfile(
                p.model(),
                p.source(),
                p.createdAt(),
                p.n(),
                p.burnIn(),
                p.threshold(),
                p.score(),
                p.positives(),
                p.uncertainty(),
                p.abstentions(),
                p.features(),
                p.attributes(),
                p.known(),
                bins == null ? null : new ReferenceProfile.Labelled(bins, targets));
    }

    /**
     * One slice, 200 labelled cases a day with risks ~ Beta(1, 9) (20 expected events), outcomes drawn from the
     * risks for cohort days 0..39, then at 3 times the odds for days 40..49.
     */
    /** detection.outcome-label-age-days at its default, 14. */
    private static final int LABEL_AGE_DAYS = 14;

    private static final long LABEL_AGE_SECONDS = LABEL_AGE_DAYS * 86_400L;

    private static java.util.TreeMap<Long, OutcomeAggregate> observedExpectedDays(long seed) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        List<String> groups = List.of("model|v1|site|S01");
        java.util.TreeMap<Long, OutcomeAggregate> days = new java.util.TreeMap<>();
        for (long d = 0; d < 50; d++) {
            double odds = d >= 40 ? 3 : 1;
            OutcomeAggregate day = new OutcomeAggregate();
            for (int i = 0; i < 200; i++) {
                double p = 1 - Math.pow(r.nextDouble(), 1.0 / 9);
                double truth = odds * p / (1 - p + odds * p);
                day.apply(new OutcomeChange(groups, p, 0.5, 1_000 + d, -1, 0, -1), LABEL_AGE_SECONDS);
                // labelled an hour after the prediction: within the label age
                day.apply(
                        new OutcomeChange(groups, p, 0.5, 1_000 + d, r.nextDouble() < truth ? 1 : 0, +1, 3_600),
                        LABEL_AGE_SECONDS);
            }
            days.put(1_000 + d, day);
        }
        return days;
    }

    @Test
    void shouldPublishTheOutcomeCusumOfTheVerifiedSeriesAndAlarmOnlyOnceTheOddsOfTheOutcomeChange() {
        Performance.Settings settings = PerformanceTestSettings.withWindows(7, 30);
        // The stage keeps detection.history-days (60) plus the label age (14) of cohorts when its windows are shorter.
        assertThat(settings.retentionDays()).isEqualTo(74);
        assertThat(PerformanceTestSettings.withWindows(90).retentionDays()).isEqualTo(90);
        Performance stage = new Performance(settings);
        java.util.TreeMap<Long, OutcomeAggregate> days = observedExpectedDays(20_261_204L);
        io.vigil.stats.Cusum configured =
                io.vigil.stats.Cusum.forShift(1.0, 3_650, io.vigil.stats.Cusum.Side.TWO_SIDED);

        Long firstAlarm = null;
        // The cohorts of days 1,000 to 1,049 step once 14 days old: current day 1,014 to 1,063.
        for (long current = 1_000; current < 1_064; current++) {
            Map<String, MetricSnapshot> m = new HashMap<>();
            for (MetricSnapshot s : stage.snapshots("model|v1|site|S01", days, current, 0)) {
                m.put(s.window() + "|" + s.metric(), s);
            }
            // The series ObservedExpectedReference builds from the 60 cohort days at least 14 days old, each at its
            // label age, run through the CUSUM of the configured defaults (1 sd, ARL0 3,650 days): what
            // verify-statistics measures.
            List<io.vigil.stats.ObservedExpectedReference.Day> cohorts = new java.util.ArrayList<>();
            for (var d : days.subMap(current - LABEL_AGE_DAYS - 60, false, current - LABEL_AGE_DAYS, true)
                    .entrySet()) {
                cohorts.add(d.getValue().atLabelAge().day(d.getKey()));
                // every case was labelled within the age: the label-age sums are the cohort's labelled outcomes
                assertThat(d.getValue().atLabelAge().day(d.getKey()).expected())
                        .isCloseTo(
                                d.getValue()
                                        .stats()
                                        .observedExpectedDay(d.getKey())
                                        .expected(),
                                within(1e-6));
            }
            io.vigil.stats.DailyCusumSeries series = io.vigil.stats.ObservedExpectedReference.series(cohorts, 50);
            if (series.isEmpty()) {
                // Until the second cohort is 14 days old there is no step: nothing is published.
                assertThat(current).isLessThan(1_000 + LABEL_AGE_DAYS + 1);
                assertThat(m).doesNotContainKey("60d|cusum:observed_expected");
                continue;
            }
            io.vigil.stats.ChangeDetection.Path path = series.run(configured);
            MetricSnapshot cusum = m.get("60d|cusum:observed_expected");
            assertThat(cusum).as("day %d", current).isNotNull();
            assertThat(cusum.estimate()).as("day %d", current).isCloseTo(path.statistic(), within(1e-9));
            assertThat(cusum.upper()).isCloseTo(configured.h(), within(1e-9));
            assertThat(cusum.n()).isEqualTo(current - LABEL_AGE_DAYS - 1_000);
            assertThat(cusum.status()).isEqualTo(MetricSnapshot.Status.FINAL);
            double alarm = m.get("60d|cusum_alarm:observed_expected").estimate();
            assertThat(alarm).isEqualTo(path.alarm() ? 1.0 : 0.0);
            if (current - LABEL_AGE_DAYS < 1_040) {
                assertThat(alarm).as("calibrated day %d", current).isEqualTo(0.0);
                assertThat(m.get("60d|cusum_change_start:observed_expected").estimate())
                        .isNull();
            } else if (alarm == 1.0 && firstAlarm == null) {
                firstAlarm = current;
            }
            if (current == 1_063) {
                assertThat(alarm).as("after 10 cohort days at 3 times the odds").isEqualTo(1.0);
                // The estimated first changed day is the change day.
                assertThat(m.get("60d|cusum_change_start:observed_expected").estimate())
                        .isEqualTo(1_040.0 * 86_400);
            }
        }
        // At 20 expected events a day, odds × 3 (about 2.3 times the events) is caught once its first or second
        // cohort day is 14 days old.
        assertThat(firstAlarm).isNotNull().isBetween(1_054L, 1_055L);
    }

    @Test
    void shouldPublishNoOutcomeCusumWhenTurnedOff() {
        // detection.outcome-cusum=false: the same cohort days give every window metric, no CUSUM.
        try (OutcomeDriver d = new OutcomeDriver(Map.of("outcomes.min-n", 10, "detection.outcome-cusum", false))) {
            for (int day = 0; day < 3; day++) {
                for (int i = 0; i < 40; i++) {
                    String id = "c" + day + "-" + i;
                    double score = 0.05 + 0.9 * i / 39.0;
                    d.predict(OutcomeDriver.prediction(id, T0.plus(Duration.ofDays(day)), score));
                    d.label(id, (i * 7 + day) % 10 < 10 * score ? 1 : 0, T0.plus(Duration.ofDays(day + 1)), 0);
                }
                d.flushAndDrain();
            }
            d.predict(OutcomeDriver.prediction("late", T0.plus(Duration.ofDays(16)), 0.5));
            d.flushAndDrain();
            assertThat(d.all("7d", "labelled")).isNotNull();
            assertThat(d.all("60d", "cusum:" + Performance.OBSERVED_EXPECTED)).isNull();
            assertThat(d.all("60d", "cusum_alarm:" + Performance.OBSERVED_EXPECTED))
                    .isNull();
        }
    }

    @Test
    void shouldPublishTheOutcomeCusumFromTheTopologyOverTheCohortDaysOfItsHistory() {
        // Three cohort days of 40 labelled cases each through the whole topology, at the defaults (on, label age 14
        // days): no step until they are 14 days old; then the first day is the pool, so the 60d series has two steps,
        // with the configured threshold and no alarm.
        try (OutcomeDriver d = new OutcomeDriver(Map.of("outcomes.min-n", 10))) {
            for (int day = 0; day < 3; day++) {
                for (int i = 0; i < 40; i++) {
                    String id = "c" + day + "-" + i;
                    double score = 0.05 + 0.9 * i / 39.0;
                    d.predict(OutcomeDriver.prediction(id, T0.plus(Duration.ofDays(day)), score));
                    d.label(id, (i * 7 + day) % 10 < 10 * score ? 1 : 0, T0.plus(Duration.ofDays(day + 1)), 0);
                }
                d.flushAndDrain();
            }
            assertThat(d.all("7d", "labelled")).isNotNull();
            assertThat(d.all("60d", "cusum:" + Performance.OBSERVED_EXPECTED)).isNull();
            // a prediction 16 days after the first cohort moves the current day: cohorts 0 to 2 are 14 days old
            d.predict(OutcomeDriver.prediction("late", T0.plus(Duration.ofDays(16)), 0.5));
            d.flushAndDrain();
            MetricSnapshot cusum = d.all("60d", "cusum:" + Performance.OBSERVED_EXPECTED);
            assertThat(cusum).isNotNull();
            assertThat(cusum.n()).isEqualTo(2);
            assertThat(cusum.upper())
                    .isCloseTo(
                            io.vigil.stats.Cusum.forShift(1.0, 3_650, io.vigil.stats.Cusum.Side.TWO_SIDED)
                                    .h(),
                            within(1e-9));
            assertThat(d.all("60d", "cusum_alarm:" + Performance.OBSERVED_EXPECTED)
                            .estimate())
                    .isEqualTo(0.0);
        }
    }

    private static MetricSnapshot.Status status(List<MetricSnapshot> snapshots) {
        return snapshots.stream()
                .filter(s -> s.metric().equals("labelled"))
                .findFirst()
                .orElseThrow()
                .status();
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
                    d.predict(OutcomeDriver.prediction(
                            id, T0, version, wdbc.get(i).score(), threshold, "S01", "A"));
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
                d.predict(OutcomeDriver.prediction(
                        "f-" + i, T0, "fleet", r.score(), 0.5, r.slice().substring(0, 3), r.slice()));
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
                        ? new String[] {
                            "fleet",
                            "scanner",
                            c.name().substring(6, 9) + "/" + c.name().substring(6)
                        }
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

    private static MetricSnapshot find(
            List<MetricSnapshot> snapshots, String version, String dimension, String metric) {
        return snapshots.stream()
                .filter(s -> s.version().equals(version)
                        && s.sliceDimension().equals(dimension)
                        && s.window().equals("7d")
                        && s.metric().equals(metric))
                .findFirst()
                .orElseThrow();
    }

    private static void assertGolden(
            Golden.Case c, Map<String, MetricSnapshot> latest, String version, String dimension, String value) {
        JsonNode g = c.expected();
        java.util.function.Function<String, MetricSnapshot> m = metric -> {
            MetricSnapshot s = latest.get(String.join("|", "model", version, dimension, value, "7d", metric));
            assertThat(s).as(c.name() + " " + metric).isNotNull();
            return s;
        };
        double exact = 1e-9;
        assertThat(m.apply("labelled").estimate())
                .as(c.name())
                .isEqualTo(g.get("n").asDouble());
        for (String rate : List.of("prevalence", "sensitivity", "specificity", "ppv", "npv")) {
            MetricSnapshot s = m.apply(rate);
            assertThat(s.estimate())
                    .as(c.name() + " " + rate)
                    .isCloseTo(g.get(rate).asDouble(), within(exact));
            assertThat(s.lower())
                    .as(c.name() + " " + rate)
                    .isCloseTo(g.get(rate + "_ci").get(0).asDouble(), within(exact));
            assertThat(s.upper())
                    .as(c.name() + " " + rate)
                    .isCloseTo(g.get(rate + "_ci").get(1).asDouble(), within(exact));
        }
        MetricSnapshot auc = m.apply("auc");
        assertThat(auc.estimate())
                .as(c.name() + " auc")
                .isCloseTo(g.get("auc").asDouble(), within(binningBound(c.rows()) + 1e-12));
        double a = g.get("auc").asDouble();
        long positives = g.get("positives").asLong();
        double t = org.apache.commons.statistics.distribution.TDistribution.of(
                        Math.min(positives, g.get("n").asLong() - positives) - 1)
                .inverseSurvivalProbability(0.025);
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
                plugIn += (double) mean.n()
                        / g.get("n").asLong()
                        * Math.abs(mean.estimate()
                                - m.apply("reliability_observed:" + k).estimate());
            }
        }
        assertThat(plugIn)
                .as(c.name() + " plug-in ece")
                .isCloseTo(g.get("ece_10").asDouble(), within(cal));
        MetricSnapshot ece = m.apply("ece");
        assertThat(ece.estimate()).isLessThanOrEqualTo(g.get("ece_10").asDouble());
        assertThat(g.get("ece_10").asDouble()).isBetween(ece.lower(), ece.upper());
        assertThat(m.apply("mce").estimate()).isCloseTo(g.get("mce_10").asDouble(), within(cal));
        assertThat(m.apply("brier").estimate()).isCloseTo(g.get("brier").asDouble(), within(cal));
        assertThat(m.apply("log_loss").estimate()).isCloseTo(g.get("log_loss").asDouble(), within(cal));
        assertThat(m.apply("brier_reliability").estimate())
                .isCloseTo(g.get("brier_reliability_10").asDouble(), within(cal));
        assertThat(m.apply("brier_resolution").estimate())
                .isCloseTo(g.get("brier_resolution_10").asDouble(), within(cal));
        assertThat(m.apply("brier_uncertainty").estimate())
                .isCloseTo(g.get("brier_uncertainty").asDouble(), within(cal));
        assertThat(m.apply("oe_ratio").estimate())
                .isCloseTo(g.get("observed_expected_ratio").asDouble(), within(cal));
        for (JsonNode bin : g.get("reliability_bins")) {
            if (bin.get("n").asLong() == 0) {
                continue;
            }
            MetricSnapshot obs =
                    m.apply("reliability_observed:" + bin.get("bin").asInt());
            assertThat(obs.n()).isEqualTo(bin.get("n").asLong());
            assertThat(obs.estimate()).isCloseTo(bin.get("observed_rate").asDouble(), within(cal));
            assertThat(obs.lower()).isCloseTo(bin.get("observed_ci").get(0).asDouble(), within(cal));
            assertThat(obs.upper()).isCloseTo(bin.get("observed_ci").get(1).asDouble(), within(cal));
            assertThat(m.apply("reliability_mean_score:" + bin.get("bin").asInt())
                            .estimate())
                    .isCloseTo(bin.get("mean_score").asDouble(), within(cal));
        }
        assertThat(m.apply("calibration_slope").estimate())
                .isCloseTo(g.get("calibration_slope").asDouble(), within(0.01));
        assertThat(m.apply("calibration_intercept").estimate())
                .isCloseTo(g.get("calibration_intercept").asDouble(), within(0.01));
        assertThat(m.apply("calibration_slope").lower())
                .isCloseTo(g.get("calibration_slope_ci").get(0).asDouble(), within(0.01));
        assertThat(m.apply("calibration_slope").upper())
                .isCloseTo(g.get("calibration_slope_ci").get(1).asDouble(), within(0.01));
        JsonNode citl = CITL.get(c.name().startsWith("wdbc") ? "wdbc" : c.name());
        assertThat(m.apply("calibration_in_the_large").estimate())
                .as(c.name() + " citl")
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
