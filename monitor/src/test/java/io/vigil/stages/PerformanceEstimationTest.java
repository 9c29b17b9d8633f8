package io.vigil.stages;

import static io.vigil.stages.EarlyWarningDriver.NOW;
import static io.vigil.stages.EarlyWarningDriver.at;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.vigil.aggregates.DriftAggregate;
import io.vigil.config.VigilConfig;
import io.vigil.events.Demographics;
import io.vigil.events.MetricSnapshot;
import io.vigil.events.ModelRef;
import io.vigil.events.Prediction;
import io.vigil.events.ReferenceProfile;
import io.vigil.events.Scanner;
import io.vigil.metrics.EstimatorBacktest;
import io.vigil.stages.shared.EventDay;
import io.vigil.stats.Estimate;
import io.vigil.stats.IsotonicCalibration;
import io.vigil.stats.Wilson;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Label-free estimation through the whole topology. The simulated model is calibrated on its
 * reference: score s = u² (u uniform), label y ~ Bernoulli(s); the stream either keeps that law
 * (no concept shift) or changes the label law (calibration shift). Realised values are computed here
 * from the simulated labels.
 */
class PerformanceEstimationTest {
    private static final long TODAY = EventDay.of(NOW);
    private static final double THRESHOLD = 0.5;
    private static int ids;

    private static Prediction prediction(ModelRef model, double score, Instant at) {
        return new Prediction(
                "p-" + (ids++),
                at,
                model,
                "binary",
                score,
                THRESHOLD,
                null,
                "S01",
                new Scanner("CT-1", "Siemens", "SOMATOM Force", "5.0", "CT", "CHEST"),
                null,
                null,
                new Demographics("F", "60-69"),
                null,
                null,
                Map.of(),
                Map.of());
    }

    /** A validation-file profile of n calibrated cases, with 20 labelled bins when {@code labelled}. */
    static ReferenceProfile reference(ModelRef model, int n, long seed, boolean labelled) {
        Random rnd = new Random(seed);
        DriftAggregate a = DriftAggregate.empty();
        long[] pos = new long[20];
        long[] neg = new long[20];
        for (int i = 0; i < n; i++) {
            double u = rnd.nextDouble();
            double s = u * u;
            a.add(prediction(model, s, NOW.minus(Duration.ofDays(200))), null, true);
            int b = Math.min(19, (int) (s * 20));
            if (rnd.nextDouble() < s) {
                pos[b]++;
            } else {
                neg[b]++;
            }
        }
        List<ReferenceProfile.LabelBin> bins = new ArrayList<>();
        for (int b = 0; b < 20; b++) {
            bins.add(new ReferenceProfile.LabelBin(b / 20.0, (b + 1) / 20.0, pos[b], neg[b]));
        }
        return a.toProfile(
                model,
                ReferenceProfile.Source.VALIDATION_FILE,
                NOW.minus(Duration.ofDays(150)),
                null,
                THRESHOLD,
                labelled ? new ReferenceProfile.Labelled(bins, Map.of()) : null);
    }

    /** One simulated case: score and label. */
    private record Case(double score, boolean label) {}

    /** Sends {@code n} cases on {@code day}; labels from {@code risk} applied to the score. */
    private static List<Case> day(
            EarlyWarningDriver d,
            ModelRef model,
            long day,
            int n,
            Random rnd,
            DoubleUnaryOperator scoreShift,
            DoubleUnaryOperator risk) {
        List<Case> cases = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            double u = rnd.nextDouble();
            double s = Math.max(0, Math.min(1, scoreShift.applyAsDouble(u * u)));
            boolean y = rnd.nextDouble() < risk.applyAsDouble(s);
            d.send(prediction(model, s, at(day, 1 + 20.0 * i / n)));
            cases.add(new Case(s, y));
        }
        return cases;
    }

    private static long[] confusion(List<Case> cases) {
        long tp = 0;
        long fn = 0;
        for (Case c : cases) {
            if (c.label()) {
                if (c.score() >= THRESHOLD) {
                    tp++;
                } else {
                    fn++;
                }
            }
        }
        return new long[] {tp, fn};
    }

    /** Mann-Whitney AUC of the simulated labels (ties half). */
    private static double realisedAuc(List<Case> cases) {
        double sum = 0;
        long p = 0;
        long n = 0;
        for (Case a : cases) {
            if (!a.label()) {
                continue;
            }
            p++;
            for (Case b : cases) {
                if (!b.label()) {
                    sum += a.score() > b.score() ? 1 : a.score() == b.score() ? 0.5 : 0;
                }
            }
        }
        for (Case c : cases) {
            n += c.label() ? 0 : 1;
        }
        return sum / (p * n);
    }

    /** A realised FINAL sensitivity snapshot as the outcomes stage would publish it. */
    private static MetricSnapshot realised(MetricSnapshot estimated, long tp, long fn) {
        Estimate w = Wilson.interval(tp, tp + fn);
        return new MetricSnapshot(
                estimated.model(),
                estimated.version(),
                estimated.sliceDimension(),
                estimated.sliceValue(),
                estimated.window(),
                estimated.windowEnd(),
                "sensitivity",
                w.value(),
                w.lower(),
                w.upper(),
                tp + fn,
                null,
                MetricSnapshot.Status.FINAL,
                estimated.computedAt());
    }

    @Test
    void shouldCoverRealisedSensitivityInAtLeastNinetyPercentOfCohortsWhenCalibrationHolds() {
        ModelRef model = new ModelRef("cbpe-calibrated", "1.0");
        int cohorts = 100;
        Random rnd = new Random(20260301);
        try (EarlyWarningDriver d = new EarlyWarningDriver(Map.of(VigilConfig.ESTIMATION_WINDOWS, "1d"))) {
            d.publish(reference(model, 20_000, 7, true));
            int covered = 0;
            int flagged = 0;
            double aucDifference = 0;
            for (int c = 0; c < cohorts; c++) {
                long day = TODAY - cohorts - 1 + c;
                List<Case> cases = day(d, model, day, 300, rnd, s -> s, s -> s);
                d.round();
                MetricSnapshot sens = d.get(model, "all", "all", "1d", "estimated_sensitivity");
                assertThat(sens.windowEnd()).isEqualTo(Instant.ofEpochSecond((day + 1) * 86_400L));
                assertThat(sens.n()).isEqualTo(300);
                assertThat(sens.status()).isEqualTo(MetricSnapshot.Status.FINAL);
                long[] cm = confusion(cases);
                double realised = (double) cm[0] / (cm[0] + cm[1]);
                if (sens.lower() <= realised && realised <= sens.upper()) {
                    covered++;
                }
                List<MetricSnapshot> errors =
                        EstimatorBacktest.errors(List.of(sens, realised(sens, cm[0], cm[1])), NOW);
                assertThat(errors).hasSize(1);
                assertThat(errors.get(0).estimate()).isCloseTo(realised - sens.estimate(), within(1e-12));
                flagged += errors.get(0).pValue() < 0.01 ? 1 : 0;
                aucDifference +=
                        d.get(model, "all", "all", "1d", "estimated_auc").estimate() - realisedAuc(cases);
                for (String m : List.of("estimated_specificity", "estimated_ppv", "estimated_npv")) {
                    MetricSnapshot e = d.get(model, "all", "all", "1d", m);
                    assertThat(e.lower()).isLessThanOrEqualTo(e.estimate());
                    assertThat(e.upper()).isGreaterThanOrEqualTo(e.estimate());
                }
            }
            assertThat(covered).isGreaterThanOrEqualTo(90);
            // Under calibration the backtest's conservative test should almost never fire.
            assertThat(flagged).isLessThanOrEqualTo(2);
            // The soft AUC is unbiased for the realised one up to bin ties: mean difference small.
            assertThat(aucDifference / cohorts).isCloseTo(0, within(0.01));
        }
    }

    @Test
    void shouldFlagTheEstimatorInTheBacktestWhenCalibrationShifts() {
        ModelRef model = new ModelRef("cbpe-shifted", "1.0");
        Random rnd = new Random(5);
        try (EarlyWarningDriver d = new EarlyWarningDriver(Map.of(VigilConfig.ESTIMATION_WINDOWS, "7d"))) {
            d.publish(reference(model, 20_000, 8, true));
            List<Case> cases = new ArrayList<>();
            for (int c = 0; c < 7; c++) {
                // The true risk of a case is now s², not s: the model over-estimates low risks.
                cases.addAll(day(d, model, TODAY - 8 + c, 300, rnd, s -> s, s -> s * s));
            }
            d.round();
            MetricSnapshot sens = d.get(model, "all", "all", "7d", "estimated_sensitivity");
            assertThat(sens.n()).isEqualTo(2100);
            long[] cm = confusion(cases);
            MetricSnapshot error = EstimatorBacktest.errors(List.of(sens, realised(sens, cm[0], cm[1])), NOW)
                    .get(0);
            assertThat(error.metric()).isEqualTo("estimation_error:sensitivity");
            assertThat(error.estimate()).isGreaterThan(0.1);
            assertThat(error.pValue()).isLessThan(0.01);
            assertThat(error.lower()).isGreaterThan(0);
        }
    }

    @Test
    void shouldEmitNoEstimatesButStillRunTheCusumsWhenTheReferenceHasNoLabels() {
        ModelRef model = new ModelRef("cbpe-unlabelled", "1.0");
        Random rnd = new Random(6);
        try (EarlyWarningDriver d = new EarlyWarningDriver(Map.of())) {
            d.publish(reference(model, 5_000, 9, false));
            day(d, model, TODAY - 1, 300, rnd, s -> s, s -> s);
            Map<String, MetricSnapshot> latest = d.round();
            assertThat(latest.keySet()).noneMatch(k -> k.startsWith("cbpe-unlabelled|") && k.contains("|estimated_"));
            assertThat(latest.keySet()).noneMatch(k -> k.contains("|cusum:estimated_sensitivity"));
            assertThat(d.get(model, "all", "all", "60d", "cusum:positive_rate")).isNotNull();
            assertThat(d.get(model, "all", "all", "60d", "cusum:score_mean").n())
                    .isEqualTo(1);
        }
    }

    @Test
    void shouldEmitNothingWhenTheVersionHasNoReference() {
        ModelRef model = new ModelRef("cbpe-no-reference", "1.0");
        try (EarlyWarningDriver d = new EarlyWarningDriver(Map.of())) {
            day(d, model, TODAY - 1, 50, new Random(1), s -> s, s -> s);
            assertThat(d.round().keySet())
                    .noneMatch(k ->
                            k.startsWith("cbpe-no-reference|") && (k.contains("estimated_") || k.contains("cusum")));
        }
    }

    @Test
    void shouldAlarmOnPositiveRateAndMeanScoreWithChangeStartNearTheShiftWhenScoresMoveUp() {
        ModelRef model = new ModelRef("cusum-shift", "1.0");
        Random rnd = new Random(12);
        int stable = 40;
        long changeDay = TODAY - 20;
        try (EarlyWarningDriver d = new EarlyWarningDriver(Map.of())) {
            d.publish(reference(model, 20_000, 10, true));
            for (long day = changeDay - stable; day < changeDay; day++) {
                day(d, model, day, 200, rnd, s -> s, s -> s);
            }
            d.round();
            for (String series : List.of("positive_rate", "score_mean", "estimated_sensitivity")) {
                MetricSnapshot alarm = d.get(model, "all", "all", "60d", "cusum_alarm:" + series);
                assertThat(alarm.estimate()).as(series).isEqualTo(0.0);
                assertThat(alarm.n()).isEqualTo(stable);
                assertThat(d.get(model, "all", "all", "60d", "cusum_change_start:" + series)
                                .estimate())
                        .isNull();
            }
            // Scores move up by 0.05: about 1.5 sd of a day's mean score at n = 200.
            for (long day = changeDay; day < TODAY - 1; day++) {
                day(d, model, day, 200, rnd, s -> s + 0.05, s -> s);
            }
            d.round();
            for (String series : List.of("positive_rate", "score_mean")) {
                MetricSnapshot cusum = d.get(model, "all", "all", "60d", "cusum:" + series);
                assertThat(cusum.estimate()).as(series).isGreaterThan(cusum.upper());
                assertThat(d.get(model, "all", "all", "60d", "cusum_alarm:" + series)
                                .estimate())
                        .isEqualTo(1.0);
                double start = d.get(model, "all", "all", "60d", "cusum_change_start:" + series)
                        .estimate();
                long startDay = (long) start / 86_400L;
                assertThat(startDay).as(series).isBetween(changeDay - 3, changeDay + 3);
            }
        }
    }

    @Test
    void shouldStandardiseEachSliceAgainstItsOwnBaselineWhenItDiffersFromTheFleet() {
        // Site S01 scores higher than the validation set by design (not a change): against the fleet's
        // reference its CUSUMs would alarm at once (the all slice, compared with the vendor profile, shows
        // it); against its own 14-day baseline they stay quiet until its scores really move.
        ModelRef model = new ModelRef("own-baseline", "1.0");
        Random rnd = new Random(31);
        long first = TODAY - 50;
        int baselineDays = 14;
        DoubleUnaryOperator site = s -> 0.25 + 0.6 * s;
        try (EarlyWarningDriver d = new EarlyWarningDriver(Map.of(VigilConfig.DRIFT_BASELINE_DAYS, baselineDays))) {
            d.publish(reference(model, 20_000, 10, true));
            for (long day = first; day < first + baselineDays; day++) {
                day(d, model, day, 200, rnd, site, s -> s);
            }
            d.round();
            assertThat(d.latest.keySet()).noneMatch(k -> k.startsWith("own-baseline|1.0|site|") && k.contains("cusum"));
            for (long day = first + baselineDays; day < first + baselineDays + 20; day++) {
                day(d, model, day, 200, rnd, site, s -> s);
            }
            d.round();
            assertThat(d.get(model, "all", "all", "60d", "cusum_alarm:score_mean")
                            .estimate())
                    .isEqualTo(1.0);
            for (String series : List.of("positive_rate", "score_mean", "estimated_sensitivity")) {
                MetricSnapshot alarm = d.get(model, "site", "S01", "60d", "cusum_alarm:" + series);
                assertThat(alarm.estimate()).as(series).isEqualTo(0.0);
                assertThat(alarm.n()).as("steps after the baseline period").isEqualTo(20);
            }
            // The site's scores move up by 0.05 (about 1.2 sd of a day's mean at n = 200).
            long changeDay = first + baselineDays + 20;
            for (long day = changeDay; day < changeDay + 12; day++) {
                day(d, model, day, 200, rnd, s -> site.applyAsDouble(s) + 0.05, s -> s);
            }
            d.round();
            for (String series : List.of("positive_rate", "score_mean")) {
                assertThat(d.get(model, "site", "S01", "60d", "cusum_alarm:" + series)
                                .estimate())
                        .as(series)
                        .isEqualTo(1.0);
                long startDay = (long) (double) d.get(model, "site", "S01", "60d", "cusum_change_start:" + series)
                                .estimate()
                        / 86_400L;
                assertThat(startDay).as(series).isBetween(changeDay - 3, changeDay + 3);
            }
        }
    }

    @Test
    void shouldFitAMonotoneMapThatReproducesTheBinRatesWhenTheyAreAlreadyMonotone() {
        ModelRef model = new ModelRef("map", "1.0");
        List<ReferenceProfile.LabelBin> bins =
                List.of(new ReferenceProfile.LabelBin(0, 0.5, 10, 90), new ReferenceProfile.LabelBin(0.5, 1, 60, 40));
        ReferenceProfile p = reference(model, 10, 1, false);
        ReferenceProfile labelled = new ReferenceProfile(
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
                new ReferenceProfile.Labelled(bins, Map.of()));
        IsotonicCalibration map = PerformanceEstimation.calibrationMap(labelled).orElseThrow();
        assertThat(map.apply(0.25)).isCloseTo(0.1, within(1e-12));
        assertThat(map.apply(0.75)).isCloseTo(0.6, within(1e-12));
        assertThat(map.apply(0.5)).isCloseTo(0.35, within(1e-12));
        assertThat(PerformanceEstimation.calibrationMap(p)).isEmpty();
    }
}
