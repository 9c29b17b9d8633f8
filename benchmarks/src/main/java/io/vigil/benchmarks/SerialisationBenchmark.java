package io.vigil.benchmarks;

import io.vigil.aggregates.DriftAggregate;
import io.vigil.aggregates.EstimationAggregate;
import io.vigil.aggregates.OutcomeAggregate;
import io.vigil.aggregates.OutcomeChange;
import io.vigil.events.Prediction;
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
 * Binary form of one realistic daily aggregate of the {@code all} slice, as {@code HeapAggregateStore}
 * writes every dirty aggregate at each commit (Vigil sets {@code commit.interval.ms} to 1 s) and the
 * two-phase aggregation sends partials through its repartition topic. The day holds {@code predictionsPerDay}
 * simulator predictions (33,000 is {@code vigil bench}'s 1M predictions over 30 days) and, for the
 * outcome aggregate, the labels of those predictions the simulator emits.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class SerialisationBenchmark {
    @Param({"33000"})
    public int predictionsPerDay;

    private DriftAggregate drift;
    private byte[] driftBytes;
    private OutcomeAggregate outcome;
    private byte[] outcomeBytes;
    private EstimationAggregate estimation;

    @Setup
    public void setUp() {
        drift = DriftAggregate.empty();
        estimation = EstimationAggregate.empty();
        for (Prediction p : Inputs.of(predictionsPerDay, 0).predictions) {
            drift.add(p, null, true);
            estimation.add(p.score(), p.threshold(), p.predictedPositive(), p.score());
        }
        outcome = new OutcomeAggregate();
        List<String> groups = List.of("model|version|all|all");
        List<Inputs.Outcome> outcomes = Inputs.outcomes(predictionsPerDay / 2);
        for (Inputs.Outcome o : outcomes) {
            Prediction p = o.prediction();
            long day = Math.floorDiv(p.occurredAt().getEpochSecond(), 86_400);
            outcome.apply(new OutcomeChange(groups, p.score(), p.threshold(), day, -1, 0, -1));
            long delay = Math.max(
                    0, Duration.between(p.occurredAt(), o.label().observedAt()).toSeconds());
            outcome.apply(new OutcomeChange(
                    groups, p.score(), p.threshold(), day, o.label().label(), +1, delay));
        }
        driftBytes = DriftAggregate.CODEC.toBytes(drift);
        outcomeBytes = OutcomeAggregate.CODEC.toBytes(outcome);
        System.out.printf(
                "%nbytes: drift %,d (%d features), outcome %,d (%,d labelled, %,d ROC bins occupied), "
                        + "estimation %,d%n",
                driftBytes.length,
                drift.features().size(),
                OutcomeAggregate.CODEC.toBytes(outcome).length,
                outcome.labelled(),
                outcome.stats().roc().occupiedBins(),
                EstimationAggregate.CODEC.toBytes(estimation).length);
    }

    /** Drift aggregate (score sketch k = 800, feature sketches k = 200, attribute counts) to bytes. */
    @Benchmark
    public byte[] driftToBytes() {
        return DriftAggregate.CODEC.toBytes(drift);
    }

    /** The same bytes back to an aggregate (repartition consumer, restore). */
    @Benchmark
    public DriftAggregate driftFromBytes() {
        return DriftAggregate.CODEC.fromBytes(driftBytes);
    }

    /** Outcome aggregate (ROC histogram, calibration, recalibration bins, confusion, delays) to bytes. */
    @Benchmark
    public byte[] outcomeToBytes() {
        return OutcomeAggregate.CODEC.toBytes(outcome);
    }

    /** The same bytes back to an aggregate (repartition consumer, restore). */
    @Benchmark
    public OutcomeAggregate outcomeFromBytes() {
        return OutcomeAggregate.CODEC.fromBytes(outcomeBytes);
    }

    /** Label-free estimation aggregate to bytes. */
    @Benchmark
    public byte[] estimationToBytes() {
        return EstimationAggregate.CODEC.toBytes(estimation);
    }
}
