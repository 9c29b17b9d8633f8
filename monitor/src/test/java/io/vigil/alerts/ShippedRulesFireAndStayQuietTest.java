package io.vigil.alerts;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vigil.aggregates.DriftAggregate;
import io.vigil.aggregates.OutcomeAggregate;
import io.vigil.aggregates.OutcomeChange;
import io.vigil.aggregates.StabilityAggregate;
import io.vigil.events.Alert;
import io.vigil.events.MetricSnapshot;
import io.vigil.events.ReferenceProfile;
import io.vigil.metrics.EstimatorBacktest;
import io.vigil.stages.Performance;
import io.vigil.stages.PerformanceTestSettings;
import io.vigil.stats.ChangeDetection;
import io.vigil.stats.ConfidenceBasedEstimate;
import io.vigil.stats.Cusum;
import io.vigil.stats.DailyCusumSeries;
import io.vigil.stats.DistributionDrift;
import io.vigil.stats.Estimate;
import io.vigil.stats.ReferenceDistribution;
import io.vigil.stats.ValueHistogram;
import io.vigil.stats.Wilson;
import io.vigil.verification.Draws;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Issue 18, Must 3: every shipped alert rule ({@code alert-rules.json}) can fire and can stay quiet. For each
 * rule there is one input that fires it and one that keeps it quiet, both decided by {@link AlertEvaluation}
 * over all shipped rules (the evaluator the topology runs: BH family, min n, windows, require_all_windows and
 * for-durations), over two rounds that are the rule's for-duration apart. A shipped rule without a case
 * fails {@link #everyShippedRuleHasACase()}.
 *
 * <p>Where the snapshots come from:
 * <ul>
 *   <li>Labelled performance ({@code sensitivity}, {@code specificity}, {@code ece}, {@code oe_ratio},
 *       {@code calibration_slope}, {@code label_coverage}, {@code verification_bias}, {@code prevalence_shift}
 *       at a reference prevalence): {@link Performance#snapshots}
 *       over {@link OutcomeAggregate}s fed simulated {@link OutcomeChange}s, windows 7d and 30d.</li>
 *   <li>Drift ({@code score_psi}, {@code score_ks}, {@code feature_psi:*}, {@code positive_rate},
 *       {@code acquisition_change}): the statistics are production's ({@link DistributionDrift#compare} on
 *       {@link ValueHistogram}s against {@link ReferenceDistribution#fromHistogram}, {@link Wilson}'s
 *       interval and two-proportion p-value, {@link ReferenceProfile.Known#contains}); the snapshot around them
 *       is built here as {@code ScoreDrift}'s emitter builds it, because that snapshotter is a private inner
 *       class reading the references state store (no call without a Kafka Streams task).</li>
 *   <li>{@code estimated_*}: {@link ConfidenceBasedEstimate}; wrapped here as {@code PerformanceEstimation}
 *       wraps it (its snapshotter is likewise a private inner class over a state store).</li>
 *   <li>{@code estimation_error:*}: {@link EstimatorBacktest#errors} over {@link Performance} and
 *       {@link ConfidenceBasedEstimate} snapshots.</li>
 *   <li>{@code flip_rate}: {@link StabilityAggregate} and {@link Wilson}; wrapped as {@code TemporalStability}
 *       does (package-private {@code SnapshotBuilder}).</li>
 *   <li>{@code cusum_alarm:*}: {@link DailyCusumSeries} run with {@link Cusum#forShift} at the default shift (1 sd)
 *       and ARL0 (3,650 days), days standardised by {@link Cusum#standardisedRate}; the alarm snapshot is built as
 *       {@code SnapshotBuilder#cusum} builds it (package-private).</li>
 *   <li>{@code pipeline_*}: {@link PipelineProbe} over a meter registry, a Streams state and a consumer lag.</li>
 * </ul>
 * Fixed seeds; every input, the drift histograms included, is deterministic.
 */
class ShippedRulesFireAndStayQuietTest {
    private static final Instant T0 = Instant.parse("2026-03-02T00:00:00Z");
    private static final long DAY = T0.getEpochSecond() / 86_400 - 1;
    private static final String MODEL = "chest-ct";
    private static final String VERSION = "2.3.0";
    private static final Performance PERFORMANCE = new Performance(PerformanceTestSettings.withWindows(7, 30));
    private static final double THRESHOLD = 0.5;
    private static final double DRIFT_ALPHA = 0.05;
    private static final Cusum CUSUM = Cusum.forShift(1.0, 3_650, Cusum.Side.TWO_SIDED);

    /** One round's snapshots at an evaluation time; a fresh one per run (the pipeline probe keeps state). */
    private interface Input extends Function<Instant, List<MetricSnapshot>> {}

    private record Case(String source, Supplier<Input> fires, Supplier<Input> quiet) {}

    private static Supplier<Input> fixed(Supplier<List<MetricSnapshot>> snapshots) {
        return () -> {
            List<MetricSnapshot> s = snapshots.get();
            return t -> s;
        };
    }

    private static final Map<String, Case> CASES = cases();

    private static Map<String, Case> cases() {
        Map<String, Case> c = new LinkedHashMap<>();
        c.put(
                "VigilScoreDistributionShift",
                new Case(
                        "DistributionDrift.compare on value histograms",
                        fixed(() -> scoreDrift(11, 0.12)),
                        fixed(() -> scoreDrift(12, 0.0))));
        c.put(
                "VigilScoreKsAboveCritical",
                new Case(
                        "DistributionDrift.compare on value histograms",
                        fixed(() -> scoreDrift(13, 0.12)),
                        fixed(() -> scoreDrift(14, 0.0))));
        c.put(
                "VigilPositiveRateShift",
                new Case(
                        "Wilson interval and two-proportion p-value",
                        fixed(() -> positiveRate(21, 0.35)),
                        fixed(() -> positiveRate(22, 0.20))));
        c.put(
                "VigilFeatureShift",
                new Case(
                        "DistributionDrift.compare on feature value histograms",
                        fixed(() -> featureDrift(31, 6.0)),
                        fixed(() -> featureDrift(32, 0.0))));
        c.put(
                "VigilSensitivityBelowTarget",
                new Case(
                        "Performance.snapshots",
                        fixed(() -> performance(41, 1_000, discrimination(0.3, 3, 2, 1, 8), 1.0, 1.0)),
                        fixed(() -> performance(42, 1_000, discrimination(0.3, 8, 1, 1, 8), 1.0, 1.0))));
        c.put(
                "VigilSpecificityBelowTarget",
                new Case(
                        "Performance.snapshots",
                        fixed(() -> performance(43, 1_000, discrimination(0.3, 8, 1, 2, 3), 1.0, 1.0)),
                        fixed(() -> performance(44, 1_000, discrimination(0.3, 8, 1, 1, 8), 1.0, 1.0))));
        c.put(
                "VigilCalibrationErrorHigh",
                new Case(
                        "Performance.snapshots (true ECE 0.15 vs calibrated, n = 5,000)",
                        fixed(() -> performance(51, 5_000, logitShift(0.75, 1.0), 1.0, 1.0)),
                        fixed(() -> performance(52, 5_000, logitShift(0.0, 1.0), 1.0, 1.0))));
        c.put(
                "VigilCalibrationInTheLargeOff",
                new Case(
                        "Performance.snapshots",
                        fixed(() -> performance(61, 3_000, scaled(1.6), 1.0, 1.0)),
                        fixed(() -> performance(62, 3_000, scaled(1.0), 1.0, 1.0))));
        c.put(
                "VigilPrevalenceShift",
                new Case(
                        "Performance.snapshots at a reference prevalence of 400 in 2,000",
                        fixed(() -> prevalence(141, 0.35)),
                        fixed(() -> prevalence(142, 0.20))));
        c.put(
                "VigilCalibrationSlopeOff",
                new Case(
                        "Performance.snapshots",
                        fixed(() -> performance(71, 3_000, logitShift(0.0, 0.4), 1.0, 1.0)),
                        fixed(() -> performance(72, 3_000, logitShift(0.0, 1.0), 1.0, 1.0))));
        c.put(
                "VigilEstimatedSensitivityDrop",
                new Case(
                        "ConfidenceBasedEstimate",
                        fixed(() -> estimated(81, "estimated_sensitivity", 2, 5)),
                        fixed(() -> estimated(82, "estimated_sensitivity", 0, 0))));
        c.put(
                "VigilEstimatedSpecificityDrop",
                new Case(
                        "ConfidenceBasedEstimate",
                        fixed(() -> estimated(83, "estimated_specificity", 5, 2)),
                        fixed(() -> estimated(84, "estimated_specificity", 0, 0))));
        c.put(
                "VigilEstimatorBacktestError",
                new Case(
                        "EstimatorBacktest.errors over Performance.snapshots and ConfidenceBasedEstimate",
                        fixed(() -> backtest(91, 3.0)),
                        fixed(() -> backtest(92, 1.0))));
        c.put(
                "VigilFlipRateHigh",
                new Case(
                        "StabilityAggregate and Wilson",
                        fixed(() -> flipRate(101, 0.15)),
                        fixed(() -> flipRate(102, 0.01))));
        c.put(
                "VigilCusumAlarm",
                new Case(
                        "DailyCusumSeries / Cusum.forShift (defaults)",
                        fixed(() -> cusumAlarm(111, 0.30)),
                        fixed(() -> cusumAlarm(112, 0.20))));
        c.put(
                "VigilVerificationBias",
                new Case(
                        "Performance.snapshots",
                        fixed(() -> performance(121, 1_000, logitShift(0.0, 1.0), 0.9, 0.1)),
                        fixed(() -> performance(122, 1_000, logitShift(0.0, 1.0), 0.9, 0.9))));
        c.put(
                "VigilLabelCoverageLow",
                new Case(
                        "Performance.snapshots",
                        fixed(() -> performance(131, 1_000, logitShift(0.0, 1.0), 0.1, 0.1)),
                        fixed(() -> performance(132, 1_000, logitShift(0.0, 1.0), 0.6, 0.6))));
        c.put(
                "VigilAcquisitionChange",
                new Case(
                        "ReferenceProfile.Known",
                        fixed(() -> acquisition("S09/CT-99")),
                        fixed(() -> acquisition("S01/CT-01"))));
        c.put(
                "VigilDeadLetterShareHigh",
                new Case(
                        "PipelineProbe",
                        () -> probe(30, KafkaStreams.State.RUNNING, 10),
                        () -> probe(0, KafkaStreams.State.RUNNING, 10)));
        c.put(
                "VigilStreamNotRunning",
                new Case(
                        "PipelineProbe",
                        () -> probe(0, KafkaStreams.State.REBALANCING, 10),
                        () -> probe(0, KafkaStreams.State.RUNNING, 10)));
        c.put(
                "VigilConsumerLagHigh",
                new Case(
                        "PipelineProbe",
                        () -> probe(0, KafkaStreams.State.RUNNING, 250_000),
                        () -> probe(0, KafkaStreams.State.RUNNING, 10)));
        return c;
    }

    @Test
    void everyShippedRuleHasACase() {
        assertThat(CASES.keySet())
                .as("a case (fires and stays quiet) for every shipped rule")
                .containsExactlyInAnyOrderElementsOf(
                        AlertRules.defaults().stream().map(AlertRule::name).toList());
    }

    @TestFactory
    List<DynamicTest> everyShippedRuleFiresAndStaysQuiet() {
        List<DynamicTest> tests = new ArrayList<>();
        for (AlertRule rule : AlertRules.defaults()) {
            Case c = CASES.get(rule.name());
            if (c == null) {
                continue; // everyShippedRuleHasACase fails
            }
            tests.add(DynamicTest.dynamicTest(rule.name() + " fires (" + c.source() + ")", () -> {
                List<Alert> alerts = run(rule, c.fires().get());
                assertThat(alerts).as(rule.name() + " fires").anySatisfy(a -> {
                    assertThat(a.rule()).isEqualTo(rule.name());
                    assertThat(a.status()).isEqualTo(Alert.Status.FIRING);
                });
            }));
            tests.add(DynamicTest.dynamicTest(rule.name() + " stays quiet (" + c.source() + ")", () -> {
                List<Alert> alerts = run(rule, c.quiet().get());
                assertThat(alerts)
                        .as(rule.name() + " stays quiet")
                        .noneMatch(a -> a.rule().equals(rule.name()));
            }));
        }
        return tests;
    }

    @Test
    void cusumAlarmFiresOnTheOutcomeCusumOfThePerformanceStageAndStaysQuietWhileCalibrated() {
        // VigilCusumAlarm watches every cusum_alarm series, the labelled-outcome CUSUM included: here from
        // Performance.snapshots over 60 cohort days of a scanner slice.
        AlertRule rule = AlertRules.defaults().stream()
                .filter(r -> r.name().equals("VigilCusumAlarm"))
                .findFirst()
                .orElseThrow();

        List<Alert> fired = run(rule, fixed(() -> outcomeCusum(151, 3.0)).get());
        assertThat(fired).anySatisfy(a -> {
            assertThat(a.rule()).isEqualTo("VigilCusumAlarm");
            assertThat(a.status()).isEqualTo(Alert.Status.FIRING);
            assertThat(a.metric()).isEqualTo("cusum_alarm:" + Performance.OBSERVED_EXPECTED);
        });
        List<Alert> quiet = run(rule, fixed(() -> outcomeCusum(152, 1.0)).get());
        assertThat(quiet).noneMatch(a -> a.rule().equals("VigilCusumAlarm"));
    }

    /**
     * Two rounds of the shipped rules, the rule's for-duration apart (at least a second); every round's input
     * must hold a snapshot the rule watches with at least its min n, so "quiet" is never vacuous.
     */
    private static List<Alert> run(AlertRule rule, Input input) {
        AlertEvaluation evaluation = new AlertEvaluation(AlertRules.defaults(), Map.of(), 0.05);
        Map<String, AlertState> states = new HashMap<>();
        List<Alert> alerts = new ArrayList<>();
        for (Instant now : List.of(T0, T0.plusMillis(Math.max(1_000, rule.forMs())))) {
            List<MetricSnapshot> round = input.apply(now);
            assertThat(round)
                    .as("input of " + rule.name() + " has evidence for it")
                    .anyMatch(
                            s -> rule.matches(s) && s.n() >= rule.minN() && (!rule.usesPValue() || s.pValue() != null));
            AlertEvaluation.Result r = evaluation.evaluate(round, states, now);
            states.putAll(r.upserts());
            r.removals().forEach(states::remove);
            alerts.addAll(r.alerts());
        }
        return alerts;
    }

    // ---- labelled performance: Performance.snapshots over OutcomeAggregate ----

    /** Draws one case: {score, label}. */
    private interface CaseDraw {
        double[] draw(SplittableRandom random);
    }

    /** Prevalence, positive scores ~ Beta(a1, b1), negative scores ~ Beta(a0, b0); threshold 0.5. */
    private static CaseDraw discrimination(double prevalence, int a1, int b1, int a0, int b0) {
        return r -> {
            int y = r.nextDouble() < prevalence ? 1 : 0;
            return new double[] {y == 1 ? beta(r, a1, b1) : beta(r, a0, b0), y};
        };
    }

    /** p ~ Beta(2, 5), y ~ Bernoulli(expit(shift + slope logit p)): calibrated at (0, 1). */
    private static CaseDraw logitShift(double shift, double slope) {
        return r -> {
            double p = beta(r, 2, 5);
            double q = Math.min(Math.max(p, 1e-12), 1 - 1e-12);
            double prob = 1 / (1 + Math.exp(-(shift + slope * Math.log(q / (1 - q)))));
            return new double[] {p, r.nextDouble() < prob ? 1 : 0};
        };
    }

    /** p ~ Beta(2, 5), y ~ Bernoulli(min(1, ratio p)): O/E about ratio. */
    private static CaseDraw scaled(double ratio) {
        return r -> {
            double p = beta(r, 2, 5);
            return new double[] {p, r.nextDouble() < Math.min(1, ratio * p) ? 1 : 0};
        };
    }

    /** n predictions of one day; each labelled with the given probability by predicted class. */
    private static List<MetricSnapshot> performance(
            long seed, int n, CaseDraw draw, double labelledPositive, double labelledNegative) {
        return outcomes(seed, n, draw, labelledPositive, labelledNegative, "site", "S01");
    }

    /**
     * 1,000 labelled cases at {@code prevalence} against a reference prevalence counted as 400 positive labels of
     * 2,000 (0.2, with its Wilson interval, as {@link Performance.ReferencePrevalence#of} reads a profile's bins).
     */
    private static List<MetricSnapshot> prevalence(long seed, double prevalence) {
        Estimate reference = Wilson.interval(400, 2_000);
        return outcomes(
                seed,
                1_000,
                discrimination(prevalence, 8, 1, 1, 8),
                1.0,
                1.0,
                "site",
                "S01",
                new Performance.ReferencePrevalence(reference.value(), reference.lower(), reference.upper()));
    }

    private static List<MetricSnapshot> outcomes(
            long seed,
            int n,
            CaseDraw draw,
            double labelledPositive,
            double labelledNegative,
            String dim,
            String value) {
        return outcomes(seed, n, draw, labelledPositive, labelledNegative, dim, value, null);
    }

    private static List<MetricSnapshot> outcomes(
            long seed,
            int n,
            CaseDraw draw,
            double labelledPositive,
            double labelledNegative,
            String dim,
            String value,
            Performance.ReferencePrevalence reference) {
        SplittableRandom r = new SplittableRandom(seed);
        List<String> groups = List.of(String.join("|", MODEL, VERSION, dim, value));
        OutcomeAggregate day = new OutcomeAggregate();
        for (int i = 0; i < n; i++) {
            double[] c = draw.draw(r);
            day.apply(new OutcomeChange(groups, c[0], THRESHOLD, DAY, -1, 0, -1));
            double labelled = c[0] >= THRESHOLD ? labelledPositive : labelledNegative;
            if (r.nextDouble() < labelled) {
                day.apply(new OutcomeChange(groups, c[0], THRESHOLD, DAY, (int) c[1], +1, 3_600));
            }
        }
        java.util.TreeMap<Long, OutcomeAggregate> days = new java.util.TreeMap<>();
        days.put(DAY, day);
        return PERFORMANCE.snapshots(groups.get(0), days, DAY, T0.toEpochMilli(), reference);
    }

    // ---- label-free estimates: ConfidenceBasedEstimate ----

    /**
     * q = score (a calibrated map); scores ~ Beta(a, b), or when a = 0 a confident model: scores near 0.02 or
     * near 0.98, half each.
     */
    private static ConfidenceBasedEstimate cbpe(SplittableRandom r, int n, int a, int b) {
        ConfidenceBasedEstimate e = new ConfidenceBasedEstimate(THRESHOLD);
        for (int i = 0; i < n; i++) {
            double s = a == 0 ? (r.nextBoolean() ? 0.97 : 0.01) + 0.02 * r.nextDouble() : beta(r, a, b);
            e.add(s, s);
        }
        return e;
    }

    private static List<MetricSnapshot> estimated(long seed, String metric, int a, int b) {
        ConfidenceBasedEstimate e = cbpe(new SplittableRandom(seed), 2_000, a, b);
        Estimate est = metric.equals("estimated_sensitivity") ? e.sensitivity() : e.specificity();
        return List.of(wrap("site", "S01", "7d", metric, est, null));
    }

    /**
     * One labelled day: scores ~ U(0, 1), the label-free estimate fed q = score, labels y ~ Bernoulli(score^power):
     * power 1 is the calibrated model the estimate assumes; power 3 makes realised sensitivity far above the
     * estimate.
     */
    private static List<MetricSnapshot> backtest(long seed, double power) {
        SplittableRandom r = new SplittableRandom(seed);
        int n = 5_000;
        double[] scores = new double[n];
        int[] labels = new int[n];
        ConfidenceBasedEstimate e = new ConfidenceBasedEstimate(THRESHOLD);
        for (int i = 0; i < n; i++) {
            scores[i] = r.nextDouble();
            labels[i] = r.nextDouble() < Math.pow(scores[i], power) ? 1 : 0;
            e.add(scores[i], scores[i]);
        }
        int[] index = {0};
        List<MetricSnapshot> round = new ArrayList<>(outcomes(
                seed,
                n,
                x -> {
                    int i = index[0]++;
                    return new double[] {scores[i], labels[i]};
                },
                1.0,
                1.0,
                "site",
                "S01"));
        for (MetricSnapshot s : List.copyOf(round)) {
            if (s.metric().equals("sensitivity")) { // one estimated snapshot per window, as PerformanceEstimation
                round.add(new MetricSnapshot(
                        MODEL,
                        VERSION,
                        "site",
                        "S01",
                        s.window(),
                        s.windowEnd(),
                        "estimated_sensitivity",
                        e.sensitivity().value(),
                        e.sensitivity().lower(),
                        e.sensitivity().upper(),
                        e.sensitivity().n(),
                        null,
                        MetricSnapshot.Status.FINAL,
                        T0));
            }
        }
        round.addAll(EstimatorBacktest.errors(round, T0));
        return round;
    }

    // ---- drift: DistributionDrift on value histograms, Wilson ----

    /** n draws (scores ~ Beta(2, 5), features ~ 60 + 40 Beta(3, 3)) plus {@code shift}, in a production histogram. */
    private static ValueHistogram histogram(int buckets, SplittableRandom r, int n, double shift, boolean feature) {
        ValueHistogram s = new ValueHistogram(buckets);
        for (int i = 0; i < n; i++) {
            s.update((feature ? 60 + 40 * beta(r, 3, 3) : beta(r, 2, 5)) + shift);
        }
        return s;
    }

    /**
     * A reference of 5,000 draws and a 7d window of 2,000 draws shifted by {@code shift}, and the 30d window
     * as the 7d window merged with 6,000 more; {@code score_ks} and {@code score_psi} of each window.
     */
    private static List<MetricSnapshot> scoreDrift(long seed, double shift) {
        return drift(seed, shift, DistributionDrift.MAX_BUCKETS, false, "score");
    }

    private static List<MetricSnapshot> featureDrift(long seed, double shift) {
        return drift(seed, shift, DriftAggregate.FEATURE_MAX_BUCKETS, true, "feature");
    }

    private static List<MetricSnapshot> drift(long seed, double shift, int buckets, boolean feature, String prefix) {
        SplittableRandom r = new SplittableRandom(seed);
        ReferenceDistribution reference =
                ReferenceDistribution.fromHistogram(histogram(buckets, r, 5_000, 0, feature), DriftAggregate.BINS);
        ValueHistogram week = histogram(buckets, r, 2_000, shift, feature);
        ValueHistogram month = new ValueHistogram(buckets);
        month.merge(week);
        month.merge(histogram(buckets, r, 6_000, shift, feature));
        List<MetricSnapshot> out = new ArrayList<>();
        for (Map.Entry<String, ValueHistogram> w :
                Map.of("7d", week, "30d", month).entrySet()) {
            DistributionDrift.Report rep = DistributionDrift.compare(reference, w.getValue(), DRIFT_ALPHA);
            long n = w.getValue().n();
            String ks = feature ? "feature_ks:density_hu" : "score_ks";
            String psi = feature ? "feature_psi:density_hu" : "score_psi";
            out.add(snapshot("site", "S01", w.getKey(), ks, rep.ks(), null, rep.ksThreshold(), n, rep.ksPValue()));
            out.add(snapshot("site", "S01", w.getKey(), psi, rep.psi(), null, null, n, rep.psiPValue()));
        }
        return out;
    }

    /** A reference of 2,000 predictions positive at rate 0.2; windows 7d (1,000) and 30d (4,000) at {@code rate}. */
    private static List<MetricSnapshot> positiveRate(long seed, double rate) {
        SplittableRandom r = new SplittableRandom(seed);
        long refN = 2_000;
        long refK = count(r, refN, 0.2);
        long weekK = count(r, 1_000, rate);
        long monthK = weekK + count(r, 3_000, rate);
        List<MetricSnapshot> out = new ArrayList<>();
        out.add(wrap(
                "site",
                "S01",
                "7d",
                "positive_rate",
                Wilson.interval(weekK, 1_000),
                Wilson.twoProportionPValue(weekK, 1_000, refK, refN)));
        out.add(wrap(
                "site",
                "S01",
                "30d",
                "positive_rate",
                Wilson.interval(monthK, 4_000),
                Wilson.twoProportionPValue(monthK, 4_000, refK, refN)));
        return out;
    }

    private static List<MetricSnapshot> acquisition(String scanner) {
        ReferenceProfile.Known known = new ReferenceProfile.Known(Set.of("S01/CT-01"), Set.of("CT-X"), Set.of("5.1"));
        assertThat(known.knows("scanner")).isTrue();
        return List.of(snapshot(
                "scanner",
                scanner,
                "7d",
                "acquisition_change",
                known.contains("scanner", scanner) ? 0 : 1,
                null,
                null,
                120,
                null));
    }

    // ---- stability and sequential detectors ----

    private static List<MetricSnapshot> flipRate(long seed, double rate) {
        SplittableRandom r = new SplittableRandom(seed);
        StabilityAggregate a = StabilityAggregate.empty();
        for (int i = 0; i < 400; i++) {
            boolean flipped = r.nextDouble() < rate;
            a.addPair(flipped ? 0.3 : 0.02, flipped);
        }
        return List.of(wrap("site", "S01", "7d", "flip_rate", Wilson.interval(a.flips(), a.pairs()), null));
    }

    /** 60 days of 200 predictions positive at {@code rate} against a reference rate of 0.2. */
    private static List<MetricSnapshot> cusumAlarm(long seed, double rate) {
        SplittableRandom r = new SplittableRandom(seed);
        DailyCusumSeries series = new DailyCusumSeries();
        for (int d = 0; d < 60; d++) {
            series.add(DAY - 59 + d, Cusum.standardisedRate(count(r, 200, rate), 200, 0.2));
        }
        ChangeDetection.Path path = series.run(CUSUM);
        return List.of(snapshot(
                "all",
                "all",
                "90d",
                "cusum_alarm:positive_rate",
                path.alarm() ? 1 : 0,
                null,
                null,
                path.steps(),
                null));
    }

    /**
     * The CUSUM snapshots of Performance.snapshots over the 60 cohort days of scanner A that are at least the label
     * age (14 days) old: 200 cases a day labelled within an hour, risks ~ Beta(1, 9) (20 expected events), outcomes
     * from the risks, at {@code odds} times their odds for the last 10 of those days.
     */
    private static List<MetricSnapshot> outcomeCusum(long seed, double odds) {
        SplittableRandom r = new SplittableRandom(seed);
        List<String> groups = List.of(String.join("|", MODEL, VERSION, "scanner", "A"));
        java.util.TreeMap<Long, OutcomeAggregate> days = new java.util.TreeMap<>();
        long labelAge = 14;
        for (long d = DAY - labelAge - 59; d <= DAY; d++) {
            double ratio = d > DAY - labelAge - 10 ? odds : 1.0;
            OutcomeAggregate day = new OutcomeAggregate();
            for (int i = 0; i < 200; i++) {
                double p = 1 - Math.pow(r.nextDouble(), 1.0 / 9);
                double truth = ratio * p / (1 - p + ratio * p);
                day.apply(new OutcomeChange(groups, p, THRESHOLD, d, -1, 0, -1), labelAge * 86_400);
                day.apply(
                        new OutcomeChange(groups, p, THRESHOLD, d, r.nextDouble() < truth ? 1 : 0, +1, 3_600),
                        labelAge * 86_400);
            }
            days.put(d, day);
        }
        return PERFORMANCE.snapshots(groups.get(0), days, DAY, T0.toEpochMilli()).stream()
                .filter(s -> s.metric().startsWith("cusum"))
                .toList();
    }

    // ---- pipeline: PipelineProbe ----

    /**
     * A probe over one input stream receiving 100 records between rounds, {@code deadPer100} of them
     * dead-lettered, a Streams state and a consumer lag.
     */
    private static Input probe(int deadPer100, KafkaStreams.State state, double lag) {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        AtomicLong accepted = new AtomicLong();
        AtomicLong dead = new AtomicLong();
        FunctionCounter.builder("vigil.ingest.records", accepted, AtomicLong::doubleValue)
                .tag("stream", "predictions")
                .tag("outcome", "accepted")
                .register(registry);
        FunctionCounter.builder("vigil.ingest.records", dead, AtomicLong::doubleValue)
                .tag("stream", "predictions")
                .tag("outcome", "dead_lettered")
                .register(registry);
        Instant[] now = {T0};
        Clock clock = new Clock() {
            @Override
            public ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return now[0];
            }
        };
        PipelineProbe probe = new PipelineProbe(registry, () -> state, () -> lag, clock);
        return t -> {
            now[0] = t;
            accepted.addAndGet(100 - deadPer100);
            dead.addAndGet(deadPer100);
            return probe.get();
        };
    }

    // ---- helpers ----

    private static MetricSnapshot wrap(String dim, String value, String window, String metric, Estimate e, Double p) {
        return snapshot(dim, value, window, metric, e.value(), e.lower(), e.upper(), e.n(), p);
    }

    private static MetricSnapshot snapshot(
            String dim,
            String value,
            String window,
            String metric,
            double estimate,
            Double lower,
            Double upper,
            long n,
            Double p) {
        return new MetricSnapshot(
                MODEL,
                VERSION,
                dim,
                value,
                window,
                T0,
                metric,
                estimate,
                lower,
                upper,
                n,
                p,
                MetricSnapshot.Status.FINAL,
                T0);
    }

    private static long count(SplittableRandom r, long n, double p) {
        long k = 0;
        for (long i = 0; i < n; i++) {
            k += r.nextDouble() < p ? 1 : 0;
        }
        return k;
    }

    private static double beta(SplittableRandom r, int a, int b) {
        return Draws.beta(r, a, b);
    }
}
