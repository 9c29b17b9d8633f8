package io.vigil.stages;

import io.vigil.aggregates.EstimationAggregate;
import io.vigil.config.VigilConfig;
import io.vigil.events.MetricSnapshot;
import io.vigil.events.Prediction;
import io.vigil.events.ReferenceProfile;
import io.vigil.events.Slice;
import io.vigil.events.SlicedPrediction;
import io.vigil.stages.shared.EventDay;
import io.vigil.stages.shared.References;
import io.vigil.stages.shared.SnapshotBuilder;
import io.vigil.state.TwoPhaseAggregation;
import io.vigil.stats.CalibrationMapBootstrap;
import io.vigil.stats.ChangeDetection;
import io.vigil.stats.ConfidenceBasedEstimate;
import io.vigil.stats.Cusum;
import io.vigil.stats.DailyCusumSeries;
import io.vigil.stats.Estimate;
import io.vigil.stats.IsotonicCalibration;
import io.vigil.stats.SelfStartingReference;
import io.vigil.stats.SensitivityReference;
import io.vigil.stats.ValueHistogram;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * Performance estimated without labels (confidence-based performance estimation, CBPE) per model
 * version, slice and window, and the CUSUMs on the daily positive rate, mean score and estimated
 * sensitivity.
 *
 * <h2>Calibration map</h2>
 * Each prediction's score is mapped to q = P(y = 1 | score) by an isotonic regression
 * ({@link IsotonicCalibration}, pool-adjacent-violators) fitted on the labelled bins of the
 * version's {@link ReferenceProfile} (x = bin midpoint, y = share of positive labels, weight = labels
 * in the bin). Isotonic rather than histogram binning because: the true map from a model's score to
 * risk is monotone, and PAV enforces that without assuming a shape (unlike Platt scaling), so a
 * noisy sparse bin cannot make a higher score mean a lower risk as raw histogram binning can; the
 * labelled bins are already the sufficient statistics of that fit (PAV on weighted bin shares equals
 * PAV on the cases when ties are pooled by bin); and interpolating between blocks gives a continuous
 * q within a bin, where histogram binning would give every score of a 0.05-wide bin the same q.
 *
 * <p>A version whose reference has no labelled bins (a burn-in profile, a validation file without
 * labels) gets no {@code estimated_*} snapshots at all: an estimate needs a calibration map, and a
 * made-up one would be worse than none. Its CUSUMs on positive rate and mean score still run.
 *
 * <h2>Snapshots</h2>
 * Per slice and window ({@code estimation.windows}, default 7d and 30d, merged from daily buckets of
 * prediction days, ending at the task's latest day): {@code estimated_sensitivity},
 * {@code estimated_specificity} (n = cases), {@code estimated_ppv}, {@code estimated_npv} (n = predicted
 * positives / negatives) and {@code estimated_auc} (soft-label binned AUC, logit-scale interval), each with
 * a 95% interval that counts the window's unknown labels and the calibration map's own error from its
 * reference ({@link CalibrationMapBootstrap}, fitted once per reference; coverage measured by
 * {@code io.vigil.verification.EstimationClaims}). Named apart from the realised metrics ({@code sensitivity}, ...), status
 * {@link MetricSnapshot.Status#FINAL}: an estimate does not mature. Decisions follow each
 * prediction's own threshold, as the realised metrics do.
 *
 * <p>Per slice, window {@code <detection.history-days>d}: {@code cusum:positive_rate},
 * {@code cusum:score_mean}, {@code cusum:estimated_sensitivity} with {@code cusum_alarm:*} and
 * {@code cusum_change_start:*} (see {@link ChangeDetection} and {@link SnapshotBuilder#cusum}). Daily
 * observations are standardised against the reference at the day's n: positive rate by
 * (p - p0)/sqrt(p0(1 - p0)/n) with p0 the reference's positive share; mean score by the reference
 * score mean and variance (from the reference sketch); estimated sensitivity by its in-control mean
 * and case-mix variance under the reference score distribution, on the log miss-rate scale
 * ({@link SensitivityReference}), at the reference threshold or, without one, the
 * predictions' threshold. Days without predictions are not steps.
 *
 * <h2>Per-slice baselines ({@code drift.baseline-days} &gt; 0, the default)</h2>
 * A scanner or site legitimately differs from the fleet, so standardising its days against the
 * fleet-wide reference makes its CUSUM drift from day one. With baselines, each slice's series is
 * standardised against its own baseline (its first {@code drift.baseline-days} days, kept by
 * {@link TwoPhaseAggregation}): positive rate against the baseline's positive share, mean score
 * against the baseline's mean and (population) variance of the score, estimated sensitivity against
 * the baseline's pooled estimate and case-mix variance
 * ({@link SensitivityReference#ofBaseline}). The steps are the days after the
 * baseline period within the history window. A slice has no CUSUM until its baseline period is over
 * and holds at least {@code drift.baseline-min-predictions} predictions (a CUSUM alarm bypasses the
 * minimum-n gates of the alert rules, so a small slice is not watched against a noisy baseline, nor
 * against a fleet it legitimately differs from). The {@code all} slice of a version with a published
 * vendor profile ({@code validation_file}) keeps the reference standardisation.
 *
 * <p><b>Self-starting.</b> A baseline of n0 cases (or a reference profile of N cases) estimates the
 * in-control value with an error every later day shares, so each day is compared not with the
 * baseline alone but with the baseline pooled with every earlier day of the path
 * ({@link SelfStartingReference}): the innovations are then uncorrelated with unit variance while
 * nothing changes, and the known-value threshold of {@code detection.arl0-days} holds for every slice,
 * measured through this path by {@code io.vigil.verification.RunLengthClaims}
 * (docs/STATISTICAL-VALIDATION.md). The estimated sensitivity is pooled the same way, its in-control
 * value and case-mix variance from the pooled estimate.
 */
public final class PerformanceEstimation {
    /** Base name of this stage's processors, stores and repartition topic. */
    public static final String NAME = "estimation";

    /**
     * The stage's settings.
     *
     * @param windows       window lengths in days
     * @param historyDays   days of buckets the CUSUMs run over
     * @param arl0Days      in-control average run length of each two-sided CUSUM, in days
     * @param shift         shift the CUSUMs are tuned to, in standard deviations
     */
    public record Settings(
            List<Integer> windows,
            int historyDays,
            double arl0Days,
            double shift,
            Duration flushInterval,
            Duration snapshotInterval,
            int baselineDays,
            long baselineMinPredictions) {
        /** Without per-slice baselines: every slice standardised against the version's reference. */
        public Settings(
                List<Integer> windows,
                int historyDays,
                double arl0Days,
                double shift,
                Duration flushInterval,
                Duration snapshotInterval) {
            this(windows, historyDays, arl0Days, shift, flushInterval, snapshotInterval, 0, 0);
        }

        public Settings {
            windows = List.copyOf(windows);
            if (windows.isEmpty()) {
                throw new IllegalArgumentException("at least one window is required");
            }
        }

        int retentionDays() {
            return Math.max(windows.stream().mapToInt(Integer::intValue).max().orElseThrow(), historyDays);
        }

        Cusum cusum() {
            return Cusum.forShift(shift, arl0Days, Cusum.Side.TWO_SIDED);
        }

        public static Settings from(VigilConfig config) {
            return new Settings(
                    VigilConfig.windowDays(config.getList(VigilConfig.ESTIMATION_WINDOWS)),
                    config.getInt(VigilConfig.DETECTION_HISTORY_DAYS),
                    config.getDouble(VigilConfig.DETECTION_ARL0_DAYS),
                    config.getDouble(VigilConfig.DETECTION_SHIFT),
                    Duration.ofMillis(config.getLong(VigilConfig.DRIFT_FLUSH_INTERVAL_MS)),
                    Duration.ofMillis(config.getLong(VigilConfig.DRIFT_SNAPSHOT_INTERVAL_MS)),
                    config.getInt(VigilConfig.DRIFT_BASELINE_DAYS),
                    config.getLong(VigilConfig.DRIFT_BASELINE_MIN_PREDICTIONS));
        }
    }

    /** A prediction with its UTC day and calibrated probability (null without a calibration map). */
    record Input(SlicedPrediction sliced, long day, Double q) {}

    /**
     * A parsed reference with the calibration map fitted on it and the map's bootstrap (both empty
     * without labelled bins).
     */
    private record Fitted(
            References.Parsed parsed, Optional<IsotonicCalibration> map, CalibrationMapBootstrap bootstrap) {}

    private final Settings settings;
    private final References references;
    private final Cusum cusum;
    private final TwoPhaseAggregation<Input, EstimationAggregate> aggregation;
    private final Map<String, Fitted> maps = new ConcurrentHashMap<>();

    public PerformanceEstimation(Settings settings, References references) {
        this.settings = settings;
        this.references = references;
        this.cusum = settings.cusum();
        this.aggregation = new TwoPhaseAggregation<>(
                NAME,
                EstimationAggregate.CODEC,
                PerformanceEstimation::accumulate,
                new Snapshots(),
                settings.flushInterval(),
                settings.snapshotInterval(),
                settings.retentionDays(),
                settings.baselineDays());
    }

    /**
     * Adds the stage. The references view ({@link References#addViewTo}) must be in the same builder.
     *
     * @return the estimation and CUSUM snapshots, keyed by {@link MetricSnapshot#key()}
     */
    public KStream<String, MetricSnapshot> addTo(StreamsBuilder builder, KStream<String, SlicedPrediction> sliced) {
        KStream<String, Input> calibrated = sliced.processValues(Calibrate::new, Named.as(NAME + "-calibrate"));
        return aggregation.addTo(builder, calibrated);
    }

    /**
     * The isotonic calibration map of a profile's labelled bins; empty when it has none (or none with
     * labels).
     */
    public static Optional<IsotonicCalibration> calibrationMap(ReferenceProfile profile) {
        return profile.labelled() == null
                ? Optional.empty()
                : calibrationMap(profile.labelled().bins());
    }

    /** The isotonic calibration map of labelled bins; empty when none holds a label. */
    public static Optional<IsotonicCalibration> calibrationMap(List<ReferenceProfile.LabelBin> bins) {
        double[] x = new double[bins.size()];
        double[] y = new double[bins.size()];
        double[] w = new double[bins.size()];
        double total = 0;
        for (int i = 0; i < bins.size(); i++) {
            ReferenceProfile.LabelBin b = bins.get(i);
            long n = b.positives() + b.negatives();
            x[i] = (b.lower() + b.upper()) / 2;
            y[i] = n == 0 ? 0 : (double) b.positives() / n;
            w[i] = n;
            total += n;
        }
        return total > 0 ? Optional.of(IsotonicCalibration.fit(x, y, w)) : Optional.empty();
    }

    /**
     * The bootstrap of the profile's calibration map ({@link #calibrationMap}) over the estimates' score
     * bins; null when the profile has no labelled bins.
     */
    public static CalibrationMapBootstrap calibrationBootstrap(ReferenceProfile profile) {
        return profile.labelled() == null
                ? null
                : calibrationBootstrap(profile.labelled().bins());
    }

    /** The bootstrap of the calibration map of labelled bins; null when none holds a label. */
    public static CalibrationMapBootstrap calibrationBootstrap(List<ReferenceProfile.LabelBin> bins) {
        if (bins.isEmpty()) {
            return null;
        }
        double[] x = new double[bins.size()];
        long[] positives = new long[bins.size()];
        long[] negatives = new long[bins.size()];
        for (int i = 0; i < bins.size(); i++) {
            ReferenceProfile.LabelBin b = bins.get(i);
            x[i] = (b.lower() + b.upper()) / 2;
            positives[i] = b.positives();
            negatives[i] = b.negatives();
        }
        return CalibrationMapBootstrap.fit(
                x, positives, negatives, EstimationAggregate.AUC_BINS, CalibrationMapBootstrap.DEFAULT_REPLICATES);
    }

    /**
     * The {@code estimated_*} values of one window: the daily buckets merged, with intervals that count
     * the window's unknown labels and the calibration map's error
     * ({@link ConfidenceBasedEstimate#withMapError}); the decisions' threshold is the latest day's.
     *
     * @return metric name to estimate, in publishing order; empty without a case
     */
    public static Map<String, Estimate> windowEstimates(
            Iterable<EstimationAggregate> days, CalibrationMapBootstrap bootstrap) {
        ConfidenceBasedEstimate e = EstimationAggregate.empty().estimate();
        double threshold = Double.NaN;
        for (EstimationAggregate day : days) {
            e.merge(day.estimate());
            if (!Double.isNaN(day.threshold())) {
                threshold = day.threshold();
            }
        }
        Map<String, Estimate> out = new LinkedHashMap<>();
        if (e.n() == 0) {
            return out;
        }
        ConfidenceBasedEstimate.Estimates est =
                e.withMapError(bootstrap, Double.isNaN(threshold) ? EstimationAggregate.NOMINAL_THRESHOLD : threshold);
        out.put("estimated_sensitivity", est.sensitivity());
        out.put("estimated_specificity", est.specificity());
        out.put("estimated_ppv", est.ppv());
        out.put("estimated_npv", est.npv());
        out.put("estimated_auc", est.auc());
        return out;
    }

    /** The fitted map of {@code model|version}, refitted only when the stored profile changes. */
    private Optional<Fitted> fitted(ReadOnlyKeyValueStore<String, ?> store, String key) {
        Optional<References.Parsed> parsed = references.lookup(store, key).filter(References.Parsed::isValid);
        if (parsed.isEmpty()) {
            maps.remove(key);
            return Optional.empty();
        }
        Fitted f = maps.get(key);
        if (f == null || f.parsed() != parsed.get()) {
            f = new Fitted(
                    parsed.get(),
                    calibrationMap(parsed.get().profile()),
                    calibrationBootstrap(parsed.get().profile()));
            maps.put(key, f);
        }
        return Optional.of(f);
    }

    private static void accumulate(Input in, TwoPhaseAggregation.Buckets<EstimationAggregate> buckets) {
        Prediction p = in.sliced().prediction();
        for (String group : in.sliced().groups()) {
            buckets.update(group, in.day()).add(p.score(), p.threshold(), p.predictedPositive(), in.q());
        }
    }

    /** Attaches the day and q; the calibration map is looked up once per record (a cached fit). */
    private final class Calibrate implements FixedKeyProcessor<String, SlicedPrediction, Input> {
        private FixedKeyProcessorContext<String, Input> context;
        private ReadOnlyKeyValueStore<String, ?> store;

        @Override
        public void init(FixedKeyProcessorContext<String, Input> context) {
            this.context = context;
            this.store = context.getStateStore(References.STORE);
        }

        @Override
        public void process(FixedKeyRecord<String, SlicedPrediction> record) {
            Prediction p = record.value().prediction();
            Double q = fitted(
                            store,
                            ReferenceProfile.key(p.model().id(), p.model().version()))
                    .flatMap(Fitted::map)
                    .map(m -> Math.max(0, Math.min(1, m.apply(p.score()))))
                    .orElse(null);
            context.forward(record.withValue(new Input(record.value(), EventDay.of(p.occurredAt()), q)));
        }
    }

    private final class Snapshots implements TwoPhaseAggregation.Snapshotter<EstimationAggregate> {
        private volatile ReadOnlyKeyValueStore<String, ?> store;

        @Override
        public void init(ProcessorContext<String, MetricSnapshot> context) {
            store = References.store(context);
        }

        @Override
        public Object inputsBesideBuckets(String group) {
            return references.ofGroup(store, group);
        }

        @Override
        public List<MetricSnapshot> snapshots(
                String group, NavigableMap<Long, EstimationAggregate> days, long currentDay, long computedAtMs) {
            return snapshots(group, days, null, currentDay, computedAtMs);
        }

        @Override
        public List<MetricSnapshot> snapshots(
                String group,
                NavigableMap<Long, EstimationAggregate> days,
                TwoPhaseAggregation.Baseline<EstimationAggregate> baseline,
                long currentDay,
                long computedAtMs) {
            String[] g = group.split("\\|", 4);
            Optional<Fitted> fitted = fitted(store, ReferenceProfile.key(g[0], g[1]));
            List<MetricSnapshot> out = new ArrayList<>();
            boolean vendorAll = g[2].equals(Slice.ALL.dimension())
                    && fitted.isPresent()
                    && fitted.get().parsed().profile().source() == ReferenceProfile.Source.VALIDATION_FILE;
            boolean perSlice = settings.baselineDays() > 0 && !vendorAll;
            if (fitted.isEmpty() && !perSlice) {
                return out;
            }
            Instant windowEnd = EventDay.endOf(currentDay);
            Instant computedAt = Instant.ofEpochMilli(computedAtMs);
            if (fitted.isPresent() && fitted.get().map().isPresent()) {
                for (int w : settings.windows()) {
                    Map<String, Estimate> estimates = windowEstimates(
                            days.subMap(currentDay - w + 1, true, currentDay, true)
                                    .values(),
                            fitted.get().bootstrap());
                    SnapshotBuilder b = new SnapshotBuilder(g, w + "d", windowEnd, computedAt, out);
                    estimates.forEach((metric, e) -> b.estimate(metric, e, null));
                }
            }
            SnapshotBuilder b = new SnapshotBuilder(g, settings.historyDays() + "d", windowEnd, computedAt, out);
            long from = currentDay - settings.historyDays() + 1;
            if (!perSlice) {
                detection(b, days.subMap(from, true, currentDay, true), fitted.get());
            } else if (baseline != null
                    && baseline.complete()
                    && baseline.aggregate().count() >= Math.max(1, settings.baselineMinPredictions())) {
                detection(
                        b,
                        days.subMap(Math.max(from, baseline.lastDay() + 1), true, currentDay, true),
                        baseline.aggregate());
            }
            return out;
        }

        /** The CUSUMs standardised against the slice's own baseline (see the class comment). */
        private void detection(
                SnapshotBuilder b, NavigableMap<Long, EstimationAggregate> days, EstimationAggregate baseline) {
            series(
                    b,
                    days,
                    SelfStartingReference.of(baseline.count(), baseline.positives(), baseline.positives()),
                    SelfStartingReference.of(baseline.count(), baseline.scoreSum(), baseline.scoreSumSquares()),
                    baseline.estimate().n() > 0 ? SensitivityReference.ofBaseline(baseline.estimate()) : null);
        }

        /** The CUSUMs standardised against the version's reference profile. */
        private void detection(SnapshotBuilder b, NavigableMap<Long, EstimationAggregate> days, Fitted fitted) {
            ReferenceProfile profile = fitted.parsed().profile();
            ValueHistogram histogram = fitted.parsed().score().histogram();
            double[] scores = new double[histogram.buckets()];
            double[] weights = new double[scores.length];
            for (int i = 0; i < scores.length; i++) {
                // each bucket's scores at its midpoint: within 2^-8 of a score, relative
                scores[i] = histogram.midpoint(i);
                weights[i] = histogram.count(i);
            }
            double[] moments = meanAndVariance(scores, weights);
            long n0 = profile.n();
            if (n0 <= 0) {
                return;
            }
            SensitivityReference sensitivity = null;
            if (fitted.map().isPresent() && !days.isEmpty()) {
                IsotonicCalibration map = fitted.map().get();
                double threshold = profile.threshold() != null
                        ? profile.threshold()
                        : days.lastEntry().getValue().threshold();
                sensitivity = SensitivityReference.ofProfile(histogram, map::apply, threshold, n0);
            }
            series(
                    b,
                    days,
                    SelfStartingReference.of(n0, profile.positives(), profile.positives()),
                    SelfStartingReference.ofMoments(n0, moments[0], moments[1]),
                    sensitivity);
        }

        /**
         * Runs the self-starting CUSUMs: each day against the pooled reference, then pooled into it.
         *
         * @param positives   pool of the decisions (sum = positives)
         * @param scores      pool of the scores
         * @param sensitivity pool of the estimated sensitivity, or null without a calibration map
         */
        private void series(
                SnapshotBuilder b,
                NavigableMap<Long, EstimationAggregate> days,
                SelfStartingReference positives,
                SelfStartingReference scores,
                SensitivityReference sensitivity) {
            DailyCusumSeries positiveRate = new DailyCusumSeries();
            DailyCusumSeries meanScore = new DailyCusumSeries();
            DailyCusumSeries estimatedSensitivity = new DailyCusumSeries();
            for (Map.Entry<Long, EstimationAggregate> d : days.entrySet()) {
                EstimationAggregate a = d.getValue();
                long n = a.count();
                if (n == 0) {
                    continue;
                }
                positiveRate.add(d.getKey(), positives.innovation(n, a.positives()));
                positives.pool(n, a.positives(), a.positives());
                meanScore.add(d.getKey(), scores.innovation(n, a.scoreSum()));
                scores.pool(n, a.scoreSum(), a.scoreSumSquares());
                if (sensitivity != null) {
                    estimatedSensitivity.add(d.getKey(), sensitivity.innovation(a.estimate()));
                    sensitivity.pool(a.estimate());
                }
            }
            emit(b, "positive_rate", positiveRate);
            emit(b, "score_mean", meanScore);
            emit(b, "estimated_sensitivity", estimatedSensitivity);
        }

        private void emit(SnapshotBuilder b, String name, DailyCusumSeries series) {
            if (!series.isEmpty()) {
                b.cusum(name, series.run(cusum), series.days());
            }
        }
    }

    /** Weighted mean and (population) variance. */
    private static double[] meanAndVariance(double[] x, double[] w) {
        double sw = 0;
        double sum = 0;
        for (int i = 0; i < x.length; i++) {
            sw += w[i];
            sum += w[i] * x[i];
        }
        double mean = sum / sw;
        double ss = 0;
        for (int i = 0; i < x.length; i++) {
            ss += w[i] * (x[i] - mean) * (x[i] - mean);
        }
        return new double[] {mean, ss / sw};
    }
}
