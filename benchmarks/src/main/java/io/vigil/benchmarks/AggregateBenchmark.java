package io.vigil.benchmarks;

import io.vigil.aggregates.DriftAggregate;
import io.vigil.aggregates.EstimationAggregate;
import io.vigil.aggregates.OutcomeAggregate;
import io.vigil.aggregates.OutcomeChange;
import io.vigil.events.Prediction;
import io.vigil.stats.BinaryOutcomeStats;
import io.vigil.stats.CalibrationStats;
import io.vigil.stats.DistributionDrift;
import io.vigil.stats.LogisticRecalibration;
import io.vigil.stats.RecalibrationFit;
import io.vigil.stats.RocHistogram;
import io.vigil.stats.ValueHistogram;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Per-record updates of the aggregates every prediction or label touches once per slice (about 7
 * slices per prediction with the default configuration).
 *
 * <p>In the topology each record goes into a per-task partial aggregate that lives for one flush
 * interval and is then sent on and merged; the cost of an update depends on how full the aggregate
 * is (a sparse histogram inserts new bins, a value histogram new buckets). So each benchmark adds into its
 * accumulator, which it replaces by an empty one every {@code recordsPerAggregate} records, the
 * replacement's cost included. Scores and labels are simulator records cycled from an array.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class AggregateBenchmark {
    /**
     * Distinct inputs, cycled: more than a partial takes, so that a histogram keeps meeting new bins as
     * it would on live data (16,500 real labels occupy about 9,300 of the 100,000 ROC bins).
     */
    private static final int INPUTS = 1 << 16;
    /** Partials merged into one daily accumulator before it is replaced (logisticRecalibrationMerge). */
    private static final int MERGES_PER_DAY = 16;

    /** Records a partial aggregate takes before it is replaced by an empty one. */
    @Param({"10000"})
    public int recordsPerAggregate;

    private Prediction[] predictions;
    private double[] scores;
    private int[] labels;
    private OutcomeChange[] changes;
    private Double[] calibrated;
    private int i;
    private int filled;

    private ValueHistogram histogram;
    private DriftAggregate drift;
    private BinaryOutcomeStats stats;
    private RocHistogram roc;
    private LogisticRecalibration recalibration;
    private CalibrationStats calibration;
    private LogisticRecalibration[] recalibrationPartials;
    private LogisticRecalibration recalibrationDay;
    private int merged;
    private LogisticRecalibration recalibrationFull;
    private OutcomeAggregate outcome;
    private EstimationAggregate estimation;

    @Setup
    public void setUp() {
        predictions = Inputs.of(INPUTS, 0).predictions.toArray(new Prediction[0]);
        List<Inputs.Outcome> outcomes = Inputs.outcomes(INPUTS);
        scores = new double[INPUTS];
        labels = new int[INPUTS];
        changes = new OutcomeChange[INPUTS];
        calibrated = new Double[INPUTS];
        List<String> groups = List.of("model|version|all|all");
        for (int k = 0; k < INPUTS; k++) {
            Inputs.Outcome o = outcomes.get(k);
            Prediction p = o.prediction();
            scores[k] = p.score();
            labels[k] = o.label().label();
            long delay = Math.max(
                    0, Duration.between(p.occurredAt(), o.label().observedAt()).toSeconds());
            changes[k] = new OutcomeChange(
                    groups,
                    p.score(),
                    p.threshold(),
                    Math.floorDiv(p.occurredAt().getEpochSecond(), 86_400),
                    o.label().label(),
                    +1,
                    delay);
            // Stands in for the reference's isotonic map: the cost does not depend on the value.
            calibrated[k] = predictions[k].score();
        }
        histogram = DistributionDrift.newHistogram();
        drift = DriftAggregate.empty();
        stats = new BinaryOutcomeStats(0.5);
        roc = new RocHistogram();
        recalibration = new LogisticRecalibration();
        calibration = new CalibrationStats();
        recalibrationPartials = new LogisticRecalibration[Math.max(1, INPUTS / recordsPerAggregate)];
        for (int p = 0; p < recalibrationPartials.length; p++) {
            recalibrationPartials[p] = new LogisticRecalibration();
            for (int k = p * recordsPerAggregate; k < (p + 1) * recordsPerAggregate; k++) {
                recalibrationPartials[p].add(scores[k & (INPUTS - 1)], labels[k & (INPUTS - 1)]);
            }
        }
        recalibrationDay = new LogisticRecalibration();
        recalibrationFull = new LogisticRecalibration();
        for (int k = 0; k < recordsPerAggregate; k++) {
            recalibrationFull.add(scores[k & (INPUTS - 1)], labels[k & (INPUTS - 1)]);
        }
        outcome = new OutcomeAggregate();
        estimation = EstimationAggregate.empty();
    }

    /** True every {@code recordsPerAggregate} calls: the benchmark then replaces its accumulator with an empty one. */
    private boolean full() {
        if (++filled > recordsPerAggregate) {
            filled = 1;
            return true;
        }
        return false;
    }

    /** Index of the next input. */
    private int next() {
        int k = i;
        i = (k + 1) & (INPUTS - 1);
        return k;
    }

    /** The score histogram of every drift slice-day (it replaced a KLL sketch, k = 800, in 2026-12). */
    @Benchmark
    public ValueHistogram scoreHistogramUpdate() {
        if (full()) {
            histogram = DistributionDrift.newHistogram();
        }
        ValueHistogram h = histogram;
        h.update(predictions[next()].score());
        return h;
    }

    /** The drift aggregate of the {@code all} slice: score histogram, sums, features, attributes, acquisition values. */
    @Benchmark
    public DriftAggregate driftAddAllSlice() {
        if (full()) {
            drift = DriftAggregate.empty();
        }
        int k = next();
        drift.add(predictions[k], null, true);
        return drift;
    }

    /** The drift aggregate of any other slice (no acquisition tracking). */
    @Benchmark
    public DriftAggregate driftAddOtherSlice() {
        if (full()) {
            drift = DriftAggregate.empty();
        }
        int k = next();
        drift.add(predictions[k], null, false);
        return drift;
    }

    /** Confusion, ROC histogram, calibration and logistic recalibration of one labelled outcome. */
    @Benchmark
    public BinaryOutcomeStats binaryOutcomeStatsAdd() {
        if (full()) {
            stats = new BinaryOutcomeStats(0.5);
        }
        int k = next();
        stats.add(scores[k], labels[k]);
        return stats;
    }

    /** The ROC histogram alone (100,000 bins, sparse). */
    @Benchmark
    public RocHistogram rocHistogramAdd() {
        if (full()) {
            roc = new RocHistogram();
        }
        int k = next();
        roc.add(scores[k], labels[k]);
        return roc;
    }

    /** The logistic recalibration accumulator alone (4,096 logit bins). */
    @Benchmark
    public LogisticRecalibration logisticRecalibrationAdd() {
        if (full()) {
            recalibration = new LogisticRecalibration();
        }
        int k = next();
        recalibration.add(scores[k], labels[k]);
        return recalibration;
    }

    /**
     * One partial of {@code recordsPerAggregate} records merged into a daily accumulator, as the second
     * phase does for every partial it receives; the daily accumulator starts empty again after every
     * {@link #MERGES_PER_DAY} merges (its replacement's cost included).
     */
    @Benchmark
    public LogisticRecalibration logisticRecalibrationMerge() {
        if (++merged > MERGES_PER_DAY) {
            merged = 1;
            recalibrationDay = new LogisticRecalibration();
        }
        recalibrationDay.merge(recalibrationPartials[merged % recalibrationPartials.length]);
        return recalibrationDay;
    }

    /** The calibration slope and intercept fitted from an accumulator of {@code recordsPerAggregate} records. */
    @Benchmark
    public RecalibrationFit logisticRecalibrationFit() {
        return recalibrationFull.fit();
    }

    /** The calibration accumulator alone (Brier, log loss, 10 reliability bins, O/E). */
    @Benchmark
    public CalibrationStats calibrationStatsAdd() {
        if (full()) {
            calibration = new CalibrationStats();
        }
        int k = next();
        calibration.add(scores[k], labels[k]);
        return calibration;
    }

    /** The performance stage's per-group update for one new label (stats, confusion at its threshold, delay). */
    @Benchmark
    public OutcomeAggregate outcomeAggregateApply() {
        if (full()) {
            outcome = new OutcomeAggregate();
        }
        int k = next();
        outcome.apply(changes[k]);
        return outcome;
    }

    /** The label-free estimation stage's per-slice update of one prediction. */
    @Benchmark
    public EstimationAggregate estimationAggregateAdd() {
        if (full()) {
            estimation = EstimationAggregate.empty();
        }
        int k = next();
        Prediction p = predictions[k];
        estimation.add(p.score(), p.threshold(), p.predictedPositive(), calibrated[k]);
        return estimation;
    }
}
