package io.vigil.benchmarks;

import io.vigil.events.Prediction;
import io.vigil.events.Slice;
import io.vigil.events.SlicedPrediction;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Slice fan-out of one prediction through {@code SliceAssignment}'s public pure part,
 * {@link Slice#candidates}, with the default configuration (no attribute dimensions), and
 * the {@link SlicedPrediction} that carries the result downstream. The per-dimension cap (a heap set
 * lookup per slice, a state-store write for a new value) runs inside SliceAssignment's private
 * processor and is not reachable without a topology, so it is not included.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class SliceBenchmark {
    private static final List<String> ATTRIBUTES = List.of();

    private Prediction[] predictions;
    private int i;

    @Setup
    public void setUp() {
        predictions = Inputs.of(Inputs.SIZE, 0).predictions.toArray(new Prediction[0]);
        double slices = 0;
        for (Prediction p : predictions) {
            slices += Slice.candidates(p, ATTRIBUTES).size();
        }
        System.out.printf("%nslices per prediction: %.2f%n", slices / predictions.length);
    }

    private Prediction next() {
        Prediction p = predictions[i];
        i = (i + 1) & (Inputs.SIZE - 1);
        return p;
    }

    /** The list of slices of one prediction ({@code all}, site, scanner, scanner model, software, sex, age band). */
    @Benchmark
    public List<Slice> candidates() {
        return Slice.candidates(next(), ATTRIBUTES);
    }

    /** The same plus the {@link SlicedPrediction} forwarded to the drift, outcome and estimation stages. */
    @Benchmark
    public SlicedPrediction slicedPrediction() {
        Prediction p = next();
        return new SlicedPrediction(p, Slice.candidates(p, ATTRIBUTES));
    }
}
