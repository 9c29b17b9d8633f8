package io.vigil.stages;

import io.vigil.aggregates.LabelledEvent;
import io.vigil.aggregates.OutcomeAggregate;
import io.vigil.aggregates.OutcomeChange;
import io.vigil.aggregates.StudyPairChange;
import io.vigil.config.VigilConfig;
import io.vigil.events.MetricSnapshot;
import io.vigil.events.ReferenceProfile;
import io.vigil.stages.shared.EventDay;
import io.vigil.stages.shared.References;
import io.vigil.stages.shared.SnapshotBuilder;
import io.vigil.state.TwoPhaseAggregation;
import io.vigil.stats.AucEstimate;
import io.vigil.stats.BinaryOutcomeStats;
import io.vigil.stats.BrierDecomposition;
import io.vigil.stats.CalibrationStats;
import io.vigil.stats.ClusteredVariance;
import io.vigil.stats.Cusum;
import io.vigil.stats.DailyCusumSeries;
import io.vigil.stats.Estimate;
import io.vigil.stats.ObservedExpectedReference;
import io.vigil.stats.PrevalenceAdjusted;
import io.vigil.stats.RecalibrationFit;
import io.vigil.stats.ReliabilityBin;
import io.vigil.stats.Wilson;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.NavigableMap;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * Labelled performance and calibration per slice and prediction-day cohort: the
 * {@link OutcomeJoin}'s changes are folded by a {@link TwoPhaseAggregation} named
 * {@value #NAME} into daily {@link OutcomeAggregate}s per group (model, version, slice) and cohort
 * day, which are merged into rolling windows of cohorts ending at the latest cohort day the task has
 * seen ({@code outcomes.windows}, default 7d, 30d, 90d).
 *
 * <p>Per slice and window it emits these {@link MetricSnapshot}s (skipping any whose value is
 * undefined). Minimum n ({@code outcomes.min-n}, default 50): sensitivity needs that many labelled
 * positives, specificity labelled negatives, ppv labelled predicted positives, npv labelled predicted
 * negatives, auc both (min of positives and negatives), and the calibration metrics (brier and its
 * decomposition, log_loss, ece, mce, reliability bins, oe_ratio, calibration_*) labelled cases. Below it
 * the metric is emitted as {@link MetricSnapshot.Status#INSUFFICIENT_N} with that n and no value, so it
 * replaces an earlier value under the same key. The counts that explain a missing metric
 * ({@code labelled}, {@code prevalence}, label coverage, label delay) are always emitted:
 * <ul>
 *   <li>{@code labelled} (n); {@code prevalence}, {@code sensitivity}, {@code specificity},
 *       {@code ppv}, {@code npv} at each prediction's own threshold, with 95% Wilson intervals;</li>
 *   <li>{@code auc}: from per-class score histograms of 100,000 equal bins (width 1e-5), with a
 *       DeLong 95% interval clipped to [0,1]. Ties within a bin count one half, so the binned AUC
 *       differs from the exact one by at most sum_b P_b N_b / (2 P N) ({@link AucEstimate#binningErrorBound()});
 *       with scores given to 5 or fewer decimals the bound covers only true ties and the value is
 *       exact;</li>
 *   <li>{@code brier} (normal interval), {@code brier_reliability}, {@code brier_resolution},
 *       {@code brier_uncertainty}, {@code log_loss} (nats), {@code ece}, {@code mce} (10 equal-width
 *       bins), {@code reliability_observed:<k>} (Wilson) and {@code reliability_mean_score:<k>} for
 *       bin k = 0..9 covering scores [k/10, (k+1)/10), {@code oe_ratio} (Poisson interval),
 *       {@code calibration_slope} and {@code calibration_intercept} (Wald intervals), and
 *       {@code calibration_in_the_large} (intercept with the slope fixed at 1, Wald interval);</li>
 *   <li>{@code label_coverage}, {@code label_coverage_predicted_positive},
 *       {@code label_coverage_predicted_negative} (labelled / predicted, Wilson), and
 *       {@code verification_bias}: 1 when coverage among predicted negatives is below
 *       {@code outcomes.verification-bias-ratio} times coverage among predicted positives, else 0;
 *       only when both classes have at least {@code outcomes.min-n} predictions;</li>
 *   <li>{@code label_delay:0.5}, {@code label_delay:0.9}: first-label delay quantiles in seconds
 *       (log-spaced histogram, relative error at most 4.4%).</li>
 * </ul>
 *
 * <p>At the reference prevalence π of the model version's {@link ReferenceProfile} (see
 * {@link ReferencePrevalence#of}: a claimed {@code labelled.targets.prevalence}, else the positive share of
 * the profile's labelled score bins; none without either, and then these three are not emitted):
 * <ul>
 *   <li>{@code ppv_at_reference_prevalence}, {@code npv_at_reference_prevalence}: PPV and NPV from the
 *       window's sensitivity and specificity by Bayes at π, with the conservative interval of
 *       {@link PrevalenceAdjusted} (the formula at the corners of two 97.5% Wilson intervals); minimum n
 *       as auc (min of labelled positives and negatives);</li>
 *   <li>{@code prevalence_shift}: observed prevalence minus π, with Newcombe's hybrid score 95% interval
 *       ({@link PrevalenceAdjusted#shift}; π from label counts contributes its own Wilson interval, a
 *       claimed π none); minimum n counts labelled cases.</li>
 * </ul>
 *
 * <p>Per slice, window {@code <detection.history-days>d} (default 60d): the risk-adjusted CUSUM on labelled
 * outcomes, {@code cusum:observed_expected} with {@code cusum_alarm:observed_expected} and
 * {@code cusum_change_start:observed_expected} ({@link SnapshotBuilder#cusum}), on by default
 * ({@code detection.outcome-cusum}). Every cohort day is read at one label age ({@code
 * detection.outcome-label-age-days}): it steps once that old, on the cases whose first label was observed within
 * that age ({@link OutcomeAggregate#atLabelAge}). Its observed events among them are compared with the sum of their
 * predicted risks, scaled by the slice's calibration factor pooled from the earlier cohorts of the history, read at
 * the same age (self-starting; {@link ObservedExpectedReference}), and run through the two-sided CUSUM of
 * {@code detection.shift} and {@code detection.arl0-days}; steps start once the pool holds {@code outcomes.min-n}
 * labelled cases. It watches for a change in calibration (the odds of the outcome given the score), not for a
 * slice that was always miscalibrated ({@code oe_ratio}, {@code ece}). Reading every cohort at the same age makes a
 * step final once taken and a stable label process (labels of positives arriving faster than of negatives
 * included) the same in the day and the pool; a change of the label process is a change it sees. Run length and
 * delay:
 * {@code io.vigil.verification.OutcomeRunLengthClaims}. Status {@link MetricSnapshot.Status#FINAL}.
 *
 * <p>Patient-wise intervals: with the within-subject pairs of {@link RepeatStudies} (the topology wires them when
 * {@code stability.subject-key-secret} is set and {@code outcomes.patient-wise} is on), a window's pairs whose
 * earlier study is in the window widen the intervals of prevalence, sensitivity, specificity, ppv and npv (Wilson at
 * the patient-wise effective n), brier, oe_ratio and auc (Obuchowski's clustered DeLong variance) by the
 * within-patient covariance ({@link ClusteredVariance}); never narrower than the independent interval. Coverage:
 * {@code io.vigil.verification.ClusteredIntervalClaims}.
 *
 * <p>Status: {@link MetricSnapshot.Status#FINAL} once the window's label coverage reaches
 * {@code outcomes.maturity-coverage}, or when its newest cohort is older than
 * {@code labels.max-delay-days} (no label can arrive any more); otherwise provisional. A group is
 * re-snapshotted only when it changes (or after a restart), so the age rule shows at its next
 * change. Snapshots
 * are timestamped by the wall clock at which they are computed; {@code window_end} is the exclusive
 * end (UTC midnight after the latest cohort day).
 */
public final class Performance {
    public static final String NAME = "performance";
    public static final List<Double> DELAY_QUANTILES = List.of(0.5, 0.9);

    /** Settings of the stage, read from {@link VigilConfig}. */
    public record Settings(
            List<Integer> windowDays,
            double maturityCoverage,
            double verificationBiasRatio,
            int minN,
            int maxDelayDays,
            int orphanRetentionDays,
            Duration flushInterval,
            Duration snapshotInterval,
            Duration labelWait,
            Detection detection) {
        public Settings {
            windowDays = List.copyOf(windowDays);
            if (windowDays.isEmpty()) {
                throw new IllegalArgumentException("at least one window is required");
            }
        }

        public static Settings from(VigilConfig config) {
            return new Settings(
                    config.outcomeWindowDays(),
                    config.getDouble(VigilConfig.OUTCOMES_MATURITY_COVERAGE),
                    config.getDouble(VigilConfig.OUTCOMES_VERIFICATION_BIAS_RATIO),
                    config.getInt(VigilConfig.OUTCOMES_MIN_N),
                    config.getInt(VigilConfig.LABELS_MAX_DELAY_DAYS),
                    config.getInt(VigilConfig.LABELS_ORPHAN_RETENTION_DAYS),
                    Duration.ofMillis(config.getLong(VigilConfig.OUTCOMES_FLUSH_INTERVAL_MS)),
                    Duration.ofMillis(config.getLong(VigilConfig.OUTCOMES_SNAPSHOT_INTERVAL_MS)),
                    config.labelWait(),
                    config.getBoolean(VigilConfig.DETECTION_OUTCOME_CUSUM)
                            ? new Detection(
                                    config.getInt(VigilConfig.DETECTION_HISTORY_DAYS),
                                    config.getDouble(VigilConfig.DETECTION_ARL0_DAYS),
                                    config.getDouble(VigilConfig.DETECTION_SHIFT),
                                    config.getInt(VigilConfig.DETECTION_OUTCOME_LABEL_AGE_DAYS))
                            : null);
        }

        /** The longest outcome window, in days. */
        public int longestWindow() {
            return windowDays.stream().mapToInt(Integer::intValue).max().orElseThrow();
        }

        /**
         * Days of cohorts kept: the longest window or the CUSUM's history and label age (when it runs), whichever is
         * longer.
         */
        int retentionDays() {
            return detection == null
                    ? longestWindow()
                    : Math.max(longestWindow(), detection.historyDays() + detection.labelAgeDays());
        }

        /** The label age the outcome CUSUM reads cohorts at, in seconds, or -1 when it does not run. */
        long labelAgeSeconds() {
            return detection == null ? -1 : detection.labelAgeDays() * 86_400L;
        }
    }

    /**
     * The labelled-outcome CUSUM's settings ({@code detection.*}, shared with the label-free CUSUMs).
     *
     * @param historyDays days of cohorts the CUSUM runs over
     * @param arl0Days    in-control average run length of the two-sided CUSUM, in days
     * @param shift       shift it is tuned to, in standard deviations of a day's standardised statistic
     * @param labelAgeDays the label age every cohort is read at ({@code detection.outcome-label-age-days})
     */
    public record Detection(int historyDays, double arl0Days, double shift, int labelAgeDays) {
        /** The defaults of {@link VigilConfig}: 60 days, 3,650 days, 1 sd, 14 days. */
        public static final Detection DEFAULT = new Detection(60, 3_650, 1.0, 14);

        public Detection {
            if (historyDays < 1 || !(arl0Days > 1) || !(shift > 0) || labelAgeDays < 1) {
                throw new IllegalArgumentException(
                        "detection needs history >= 1 day, ARL0 > 1, shift > 0 and label age >= 1 day, got "
                                + historyDays + ", " + arl0Days + ", " + shift + ", " + labelAgeDays);
            }
        }

        Cusum cusum() {
            return Cusum.forShift(shift, arl0Days, Cusum.Side.TWO_SIDED);
        }
    }

    /**
     * The prevalence a model version's reference claims, in (0, 1), with the bounds of its 95% interval
     * (equal to the value when the prevalence is claimed rather than counted).
     */
    public record ReferencePrevalence(double value, double lower, double upper) {
        /** Key of a claimed prevalence in the profile's {@code labelled.targets} ({@code --target prevalence=0.12}). */
        public static final String TARGET = "prevalence";

        public ReferencePrevalence {
            if (!(value > 0 && value < 1 && lower >= 0 && lower <= value && upper >= value && upper <= 1)) {
                throw new IllegalArgumentException("reference prevalence must be in (0, 1) within its bounds, got "
                        + value + " [" + lower + ", " + upper + "]");
            }
        }

        /**
         * The reference prevalence of a profile: its claimed {@code labelled.targets.prevalence} when that is in
         * (0, 1), taken as known; else the share of positive labels over all its labelled score bins, with its
         * Wilson interval, when that is in (0, 1); else null (no labels, or labels of one class only).
         */
        public static ReferencePrevalence of(ReferenceProfile profile) {
            ReferenceProfile.Labelled labelled = profile == null ? null : profile.labelled();
            if (labelled == null) {
                return null;
            }
            Double claimed = labelled.targets().get(TARGET);
            if (claimed != null && claimed > 0 && claimed < 1) {
                return new ReferencePrevalence(claimed, claimed, claimed);
            }
            long positives = 0;
            long cases = 0;
            for (ReferenceProfile.LabelBin b : labelled.bins()) {
                positives += b.positives();
                cases += b.positives() + b.negatives();
            }
            if (positives == 0 || positives == cases) {
                return null;
            }
            Estimate w = Wilson.interval(positives, cases);
            return new ReferencePrevalence(w.value(), w.lower(), w.upper());
        }
    }

    /** The labelled-outcome CUSUM's series: {@code cusum:observed_expected}, {@code cusum_alarm:observed_expected}. */
    public static final String OBSERVED_EXPECTED = "observed_expected";

    private final Settings settings;
    /** The references view, or null: then no metric at the reference prevalence. */
    private final References references;

    private final Cusum cusum;

    /** Without references: nothing at the reference prevalence is emitted. */
    public Performance(Settings settings) {
        this(settings, null);
    }

    /**
     * @param references the references view ({@link References#addViewTo} in the same builder), or null
     */
    public Performance(Settings settings, References references) {
        this.settings = settings;
        this.references = references;
        this.cusum = settings.detection() == null ? null : settings.detection().cusum();
    }

    /**
     * Adds the performance aggregation over the outcome join's changes (the topology wires the join,
     * with this stage's join settings, in front of it); returns the snapshots to publish.
     */
    public KStream<String, MetricSnapshot> addTo(StreamsBuilder builder, KStream<String, OutcomeChange> changes) {
        return addTo(builder, changes, null);
    }

    /**
     * As {@link #addTo(StreamsBuilder, KStream)}, with the within-subject pairs of {@link RepeatStudies} (or null):
     * then the intervals of sensitivity, specificity, ppv, npv, prevalence, brier, oe_ratio and auc are
     * patient-wise.
     */
    public KStream<String, MetricSnapshot> addTo(
            StreamsBuilder builder, KStream<String, OutcomeChange> changes, KStream<String, StudyPairChange> pairs) {
        KStream<String, LabelledEvent> events = changes.mapValues(c -> (LabelledEvent) c, Named.as(NAME + "-outcomes"));
        if (pairs != null) {
            events = events.merge(
                    pairs.mapValues(p -> (LabelledEvent) p, Named.as(NAME + "-study-pairs")),
                    Named.as(NAME + "-events"));
        }
        return aggregation().addTo(builder, events);
    }

    TwoPhaseAggregation<LabelledEvent, OutcomeAggregate> aggregation() {
        long labelAgeSeconds = settings.labelAgeSeconds();
        return new TwoPhaseAggregation<>(
                NAME,
                OutcomeAggregate.CODEC,
                (event, buckets) -> {
                    for (String group : event.groups()) {
                        OutcomeAggregate a = buckets.update(group, event.bucketDay());
                        switch (event) {
                            case OutcomeChange c -> a.apply(c, labelAgeSeconds);
                            case StudyPairChange c -> a.apply(c);
                        }
                    }
                },
                new Snapshots(),
                settings.flushInterval(),
                settings.snapshotInterval(),
                settings.retentionDays());
    }

    /** Reads each group's reference prevalence from the references view, when the stage has one. */
    private final class Snapshots implements TwoPhaseAggregation.Snapshotter<OutcomeAggregate> {
        private volatile ReadOnlyKeyValueStore<String, ?> store;

        @Override
        public void init(ProcessorContext<String, MetricSnapshot> context) {
            if (references != null) {
                store = References.store(context);
            }
        }

        @Override
        public Object inputsBesideBuckets(String group) {
            return references == null ? null : references.ofGroup(store, group);
        }

        @Override
        public List<MetricSnapshot> snapshots(
                String group, NavigableMap<Long, OutcomeAggregate> days, long currentDay, long computedAtMs) {
            ReferencePrevalence reference = null;
            if (store != null) {
                String[] g = group.split("\\|", 3);
                reference = references
                        .lookup(store, ReferenceProfile.key(g[0], g[1]))
                        .filter(References.Parsed::isValid)
                        .map(p -> ReferencePrevalence.of(p.profile()))
                        .orElse(null);
            }
            return Performance.this.snapshots(group, days, currentDay, computedAtMs, reference);
        }
    }

    /** The snapshots of one group (model|version|dimension|value) over its daily buckets, without a reference. Pure. */
    public List<MetricSnapshot> snapshots(
            String group, NavigableMap<Long, OutcomeAggregate> days, long currentDay, long computedAtMs) {
        return snapshots(group, days, currentDay, computedAtMs, null);
    }

    /**
     * The snapshots of one group (model|version|dimension|value) over its daily buckets. Pure.
     *
     * @param reference the model version's reference prevalence, or null (then nothing at it is emitted)
     */
    public List<MetricSnapshot> snapshots(
            String group,
            NavigableMap<Long, OutcomeAggregate> days,
            long currentDay,
            long computedAtMs,
            ReferencePrevalence reference) {
        String[] g = group.split("\\|", 4);
        List<MetricSnapshot> out = new ArrayList<>();
        Instant windowEnd = EventDay.endOf(currentDay);
        Instant computedAt = Instant.ofEpochMilli(computedAtMs);
        for (int w : settings.windowDays()) {
            NavigableMap<Long, OutcomeAggregate> cohorts = days.subMap(currentDay - w, false, currentDay, true);
            if (cohorts.isEmpty()) {
                continue;
            }
            OutcomeAggregate a = new OutcomeAggregate();
            for (OutcomeAggregate day : cohorts.values()) {
                a.merge(day);
            }
            List<ClusteredVariance.Counted> pairs = a.pairsFrom(currentDay - w + 1);
            boolean matured = coverageOf(a) >= settings.maturityCoverage()
                    || currentDay - cohorts.lastKey() > settings.maxDelayDays();
            Emitter e = new Emitter(
                    out,
                    g,
                    w + "d",
                    windowEnd,
                    computedAt,
                    matured ? MetricSnapshot.Status.FINAL : MetricSnapshot.Status.PROVISIONAL);
            addMetrics(e, a, pairs, reference);
        }
        if (cusum != null) {
            detection(g, days, currentDay, windowEnd, computedAt, out);
        }
        return out;
    }

    /**
     * The labelled-outcome CUSUM {@code cusum:observed_expected} over the {@code detection.history-days} cohorts at
     * least {@code detection.outcome-label-age-days} old, each read at that label age (see
     * {@link ObservedExpectedReference#cohortsAtLabelAge}); steps once the pooled earlier cohorts hold
     * {@code outcomes.min-n} labelled cases, nothing without a step.
     */
    private void detection(
            String[] g,
            NavigableMap<Long, OutcomeAggregate> days,
            long currentDay,
            Instant windowEnd,
            Instant computedAt,
            List<MetricSnapshot> out) {
        int history = settings.detection().historyDays();
        long[] range = ObservedExpectedReference.cohortsAtLabelAge(
                currentDay, history, settings.detection().labelAgeDays());
        List<ObservedExpectedReference.Day> cohorts = new ArrayList<>();
        for (var d : days.subMap(range[0], true, range[1], true).entrySet()) {
            cohorts.add(d.getValue().atLabelAge().day(d.getKey()));
        }
        DailyCusumSeries series = ObservedExpectedReference.series(cohorts, Math.max(1, settings.minN()));
        if (!series.isEmpty()) {
            new SnapshotBuilder(g, history + "d", windowEnd, computedAt, out)
                    .cusum(OBSERVED_EXPECTED, series.run(cusum), series.days());
        }
    }

    private static double coverageOf(OutcomeAggregate a) {
        return a.predicted() == 0 ? 0.0 : (double) a.labelled() / a.predicted();
    }

    /** The calibration metrics, whose minimum n counts labelled cases. */
    static final List<String> CALIBRATION_METRICS = List.of(
            "brier",
            "brier_reliability",
            "brier_resolution",
            "brier_uncertainty",
            "log_loss",
            "ece",
            "mce",
            "oe_ratio",
            "calibration_slope",
            "calibration_intercept",
            "calibration_in_the_large");

    /**
     * A proportion's Wilson interval at its patient-wise effective n ({@link ClusteredVariance#designEffect}; the
     * ordinary interval when no two studies of one subject are in the window).
     */
    private static Estimate proportion(
            ClusteredVariance.Proportion which, long k, long n, List<ClusteredVariance.Counted> pairs) {
        return Wilson.interval(k, n, Estimate.Z95, ClusteredVariance.designEffect(which, k, n, pairs));
    }

    private void addMetrics(
            Emitter e, OutcomeAggregate a, List<ClusteredVariance.Counted> pairs, ReferencePrevalence reference) {
        long n = a.labelled();
        int minN = settings.minN();
        e.point("labelled", n, n);
        long tp = a.tp(), fp = a.fp(), tn = a.tn(), fn = a.fn();
        if (n > 0) {
            e.estimate("prevalence", proportion(ClusteredVariance.Proportion.PREVALENCE, tp + fn, n, pairs));
        }
        // Each metric is published only from its own minimum n, else as insufficient_n with that n.
        e.gated(
                "sensitivity",
                tp + fn,
                minN,
                () -> proportion(ClusteredVariance.Proportion.SENSITIVITY, tp, tp + fn, pairs));
        e.gated(
                "specificity",
                tn + fp,
                minN,
                () -> proportion(ClusteredVariance.Proportion.SPECIFICITY, tn, tn + fp, pairs));
        e.gated("ppv", tp + fp, minN, () -> proportion(ClusteredVariance.Proportion.PPV, tp, tp + fp, pairs));
        e.gated("npv", tn + fn, minN, () -> proportion(ClusteredVariance.Proportion.NPV, tn, tn + fn, pairs));
        e.gated(
                "auc",
                Math.min(tp + fn, tn + fp),
                minN,
                () -> a.stats().roc().auc(pairs).auc());
        if (reference != null) {
            // From sensitivity and specificity, so the minimum n is auc's: both classes.
            double pi = reference.value();
            e.gated(
                    "ppv_at_reference_prevalence",
                    Math.min(tp + fn, tn + fp),
                    minN,
                    () -> PrevalenceAdjusted.ppv(tp, fn, fp, tn, pi));
            e.gated(
                    "npv_at_reference_prevalence",
                    Math.min(tp + fn, tn + fp),
                    minN,
                    () -> PrevalenceAdjusted.npv(tp, fn, fp, tn, pi));
            e.gated(
                    "prevalence_shift",
                    n,
                    minN,
                    () -> PrevalenceAdjusted.shift(tp + fn, n, pi, reference.lower(), reference.upper()));
        }
        if (n < minN) {
            for (String metric : CALIBRATION_METRICS) {
                e.insufficient(metric, n);
            }
            for (int k = 0; k < CalibrationStats.BINS; k++) {
                e.insufficient("reliability_observed:" + k, n);
                e.insufficient("reliability_mean_score:" + k, n);
            }
        } else {
            BinaryOutcomeStats s = a.stats();
            var cal = s.calibration();
            Estimate brier = cal.brier();
            e.estimate(
                    "brier", pairs.isEmpty() ? brier : cal.brier(ClusteredVariance.brierCross(brier.value(), pairs)));
            BrierDecomposition d = cal.brierDecomposition();
            if (d.n() > 0) {
                e.point("brier_reliability", d.reliability(), d.n());
                e.point("brier_resolution", d.resolution(), d.n());
                e.point("brier_uncertainty", d.uncertainty(), d.n());
            }
            e.point("log_loss", cal.logLoss());
            e.estimate("ece", cal.ece());
            e.point("mce", cal.mce());
            boolean[] filled = new boolean[CalibrationStats.BINS];
            for (ReliabilityBin b : cal.reliabilityBins()) {
                if (b.n() > 0) {
                    e.estimate("reliability_observed:" + b.bin(), b.observedRate());
                    e.point("reliability_mean_score:" + b.bin(), b.meanScore(), b.n());
                    filled[b.bin()] = true;
                }
            }
            // An empty bin replaces what the bin published before (a value, or an insufficient_n with the n of
            // an earlier round): else its last snapshot would depend on which round last saw it non-empty.
            for (int k = 0; k < filled.length; k++) {
                if (!filled[k]) {
                    e.insufficient("reliability_observed:" + k, 0);
                    e.insufficient("reliability_mean_score:" + k, 0);
                }
            }
            Estimate oe = cal.observedExpectedRatio();
            e.estimate(
                    "oe_ratio",
                    pairs.isEmpty() || oe.isEmpty()
                            ? oe
                            : cal.observedExpectedRatio(ClusteredVariance.observedExpectedCross(oe.value(), pairs)));
            RecalibrationFit fit = s.recalibrationFit();
            e.estimate("calibration_slope", fit.slope());
            e.estimate("calibration_intercept", fit.intercept());
            e.estimate("calibration_in_the_large", s.recalibration().calibrationInTheLarge());
        }
        coverage(e, "label_coverage", n, a.predicted());
        long labelledPositive = a.tp() + a.fp();
        long labelledNegative = a.tn() + a.fn();
        coverage(e, "label_coverage_predicted_positive", labelledPositive, a.predictedPositive());
        coverage(e, "label_coverage_predicted_negative", labelledNegative, a.predictedNegative());
        if (a.predictedPositive() >= settings.minN() && a.predictedNegative() >= settings.minN()) {
            double covPos = (double) labelledPositive / a.predictedPositive();
            double covNeg = (double) labelledNegative / a.predictedNegative();
            e.point("verification_bias", covNeg < settings.verificationBiasRatio() * covPos ? 1.0 : 0.0, a.predicted());
        }
        for (double q : DELAY_QUANTILES) {
            double v = a.delayQuantile(q);
            if (!Double.isNaN(v)) {
                e.point("label_delay:" + q, v, a.delayCount());
            }
        }
    }

    private static void coverage(Emitter e, String metric, long labelled, long predicted) {
        if (predicted > 0) {
            e.estimate(metric, Wilson.interval(Math.min(Math.max(labelled, 0), predicted), predicted));
        }
    }

    /** Builds the snapshots of one group and window; skips undefined values. */
    private record Emitter(
            List<MetricSnapshot> out,
            String[] group,
            String window,
            Instant windowEnd,
            Instant computedAt,
            MetricSnapshot.Status status) {
        void estimate(String metric, Estimate est) {
            if (est == null || est.isEmpty() || !Double.isFinite(est.value())) {
                return;
            }
            out.add(new MetricSnapshot(
                    group[0],
                    group[1],
                    group[2],
                    group[3],
                    window,
                    windowEnd,
                    metric,
                    est.value(),
                    finite(est.lower()),
                    finite(est.upper()),
                    est.n(),
                    null,
                    status,
                    computedAt));
        }

        /** The estimate when {@code metricN >= minN}, else an {@code insufficient_n} snapshot with n = metricN. */
        void gated(String metric, long metricN, int minN, java.util.function.Supplier<Estimate> est) {
            if (metricN < minN) {
                insufficient(metric, metricN);
            } else {
                estimate(metric, est.get());
            }
        }

        void insufficient(String metric, long metricN) {
            out.add(new MetricSnapshot(
                    group[0],
                    group[1],
                    group[2],
                    group[3],
                    window,
                    windowEnd,
                    metric,
                    null,
                    null,
                    null,
                    metricN,
                    null,
                    MetricSnapshot.Status.INSUFFICIENT_N,
                    computedAt));
        }

        /** An estimate without an interval. */
        void point(String metric, Estimate est) {
            if (!est.isEmpty()) {
                point(metric, est.value(), est.n());
            }
        }

        void point(String metric, double value, long n) {
            if (!Double.isFinite(value)) {
                return;
            }
            out.add(new MetricSnapshot(
                    group[0],
                    group[1],
                    group[2],
                    group[3],
                    window,
                    windowEnd,
                    metric,
                    value,
                    null,
                    null,
                    n,
                    null,
                    status,
                    computedAt));
        }

        private static Double finite(double v) {
            return Double.isFinite(v) ? v : null;
        }
    }

    /** The settings in use. */
    public Settings settings() {
        return settings;
    }
}
