package io.vigil.stages.shared;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.vigil.aggregates.DriftAggregate;
import io.vigil.events.ReferenceProfile;
import io.vigil.stats.DistributionDrift;
import io.vigil.stats.ReferenceDistribution;
import io.vigil.stats.ValueHistogram;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.function.IntToDoubleFunction;
import org.apache.datasketches.kll.KllDoublesSketch;
import org.junit.jupiter.api.Test;

/**
 * Reference profiles and drift state written by Vigil on DataSketches 6.2, when drift distributions were KLL
 * sketches, load on the current code, through the code that loads them in production ({@link References#parse}
 * for a profile from the references topic, {@link DriftAggregate#CODEC} for a state store or repartition
 * record): each sketch becomes a {@link ValueHistogram} of its retained items with their weights, carrying the
 * sketch's rank error.
 *
 * <p>The fixtures in {@code src/test/resources/compat/datasketches-6.2/} were written on 2026-12-04 by
 * {@code DataSketches62FixtureWriter} (commit c484fa6, removed by the next commit) on Java 17.0.15 with
 * datasketches-java 6.2.0: {@code reference-profile.json} by {@code vigil reference build --model
 * compat-model --version 1 --threshold 0.5}, {@code drift-aggregate.bin} by {@code DriftAggregate.CODEC}
 * over the same rows. The rows are {@code i = 0..N-1}, {@code N = 20011} (prime), in that order:
 * <ul>
 *   <li>{@code score = (i * 7919 mod N) / N}: every {@code j / N}, {@code j = 0..N-1}, once (k 800, compacted);
 *   <li>{@code creatinine = 40 + (i * 104729 mod N) / 100.0}: every {@code 40 + m / 100.0} once (k 200, compacted);
 *   <li>{@code troponin = (i / 200) * 0.5} on rows {@code i mod 200 = 0} only: 0, 0.5, ..., 50 (101 values,
 *       below k, so kept exactly);
 *   <li>{@code lactate = 2.5} on row 0 only (the single-item serial form).
 * </ul>
 * So the true distributions are known exactly. The converted histograms' CDFs are checked at every bucket
 * boundary against the true CDF of the rows within the sketch's documented normalised rank error
 * ({@link KllDoublesSketch#getNormalizedRankError(boolean)}, 99% bound), which the histogram carries as
 * {@link ValueHistogram#rankError()}; n, and the uncompacted sketches, are checked exactly.
 */
class SketchSerialFormatCompatibilityTest {
    private static final String DIR = "/compat/datasketches-6.2/";
    private static final int N = 20011;

    private static byte[] fixture(String name) throws IOException {
        try (InputStream in = SketchSerialFormatCompatibilityTest.class.getResourceAsStream(DIR + name)) {
            assertThat(in).as(name).isNotNull();
            return in.readAllBytes();
        }
    }

    @Test
    void shouldLoadAReferenceProfileWhenItWasWrittenByDataSketches62() throws IOException {
        References.Parsed parsed = References.parse("compat-model|1", fixture("reference-profile.json"));

        assertThat(parsed.isValid()).isTrue();
        ReferenceProfile profile = parsed.profile();
        assertThat(profile.n()).isEqualTo(N);
        assertScores(parsed.score().histogram(), 1, KllDoublesSketch.getNormalizedRankError(800, false));
        assertCreatinine(parsed.features().get("creatinine").histogram(), 1);
        assertTroponin(parsed.features().get("troponin").histogram());
        assertLactate(parsed.features().get("lactate").histogram(), 1);
        assertThat(profile.features().get("lactate").missing()).isEqualTo(N - 1);

        // The stored decile edges and shares are used as stored; the converted histogram's own shares at those
        // edges agree within the bin-share error it carries.
        for (String name : new String[] {"score", "creatinine", "troponin"}) {
            ReferenceProfile.Distribution stored = name.equals("score")
                    ? profile.score()
                    : profile.features().get(name).distribution();
            ReferenceDistribution loaded =
                    name.equals("score") ? parsed.score() : parsed.features().get(name);
            assertThat(stored.kll()).isNotNull();
            assertThat(stored.histogram()).isNull();
            assertThat(loaded.edges()).as(name).containsExactly(unbox(stored.edges()));
            assertThat(loaded.proportions()).as(name).containsExactly(unbox(stored.proportions()));
            ValueHistogram h = loaded.histogram();
            double tolerance =
                    DistributionDrift.sketchError(h, true) + DistributionDrift.straddlingShare(h, loaded.edges());
            assertThat(DistributionDrift.binProportions(h, loaded.edges()))
                    .as(name)
                    .containsExactly(unbox(stored.proportions()), within(tolerance + 1e-12));
        }
    }

    @Test
    void shouldLoadAndMergeDriftStateWhenItWasWrittenByDataSketches62() throws IOException {
        byte[] bytes = fixture("drift-aggregate.bin");

        DriftAggregate state = DriftAggregate.CODEC.fromBytes(bytes);

        // Written again, the aggregate is in form 3 (histograms, exact sums), which reads back to the same bytes.
        byte[] rewritten = DriftAggregate.CODEC.toBytes(state);
        assertThat(rewritten[0]).isEqualTo((byte) 3);
        assertThat(DriftAggregate.CODEC.toBytes(DriftAggregate.CODEC.fromBytes(rewritten)))
                .isEqualTo(rewritten);
        // The form-1 double sum is taken as it was stored: scores j / N, j = 0..N-1, sum to (N - 1) / 2.
        assertThat(state.scoreSum()).isCloseTo((N - 1) / 2.0, within(1e-9));
        assertThat(state.count()).isEqualTo(N);
        assertScores(state.score(), 1, KllDoublesSketch.getNormalizedRankError(800, false));
        assertCreatinine(state.features().get("creatinine").histogram(), 1);
        assertTroponin(state.features().get("troponin").histogram());
        assertLactate(state.features().get("lactate").histogram(), 1);

        // Converted state takes merges (the drift stage merges into what it read): merged with a copy of
        // itself, every value counts twice, so the true CDF is unchanged.
        DriftAggregate.CODEC.merge(state, DriftAggregate.CODEC.fromBytes(bytes));

        assertThat(state.count()).isEqualTo(2L * N);
        assertScores(state.score(), 2, KllDoublesSketch.getNormalizedRankError(800, false));
        assertCreatinine(state.features().get("creatinine").histogram(), 2);
        assertLactate(state.features().get("lactate").histogram(), 2);
    }

    /** Scores {@code j / N}, each {@code copies} times, from a compacted k = 800 sketch. */
    private static void assertScores(ValueHistogram h, int copies, double rankError) {
        assertThat(h.n()).isEqualTo((long) copies * N);
        assertThat(h.rankError()).isEqualTo(rankError);
        assertCdfWithinRankError(h, j -> j / (double) N);
    }

    /** Creatinine {@code 40 + m / 100.0}, each {@code copies} times, from a compacted k = 200 sketch. */
    private static void assertCreatinine(ValueHistogram h, int copies) {
        assertThat(h.n()).isEqualTo((long) copies * N);
        assertThat(h.rankError()).isEqualTo(KllDoublesSketch.getNormalizedRankError(200, false));
        assertCdfWithinRankError(h, m -> 40 + m / 100.0);
    }

    /**
     * At every bucket's upper end, the histogram's CDF is within its carried rank error of the true CDF of the
     * rows. {@code value} is the row value at sorted position {@code 0..N-1}.
     */
    private static void assertCdfWithinRankError(ValueHistogram h, IntToDoubleFunction value) {
        double eps = h.rankError();
        assertThat(eps).isGreaterThan(0).isLessThan(0.02);
        double[] sorted = new double[N];
        for (int j = 0; j < N; j++) {
            sorted[j] = value.applyAsDouble(j);
        }
        long cumulative = 0;
        for (int i = 0; i < h.buckets(); i++) {
            cumulative += h.count(i);
            double upper = h.upperBound(i);
            int below = lowerIndex(sorted, upper);
            assertThat((double) cumulative / h.n())
                    .as("CDF below %s", upper)
                    .isCloseTo((double) below / N, within(eps));
        }
    }

    /** Number of entries of {@code sorted} below {@code x}. */
    private static int lowerIndex(double[] sorted, double x) {
        int i = Arrays.binarySearch(sorted, x);
        if (i < 0) {
            return -i - 1;
        }
        while (i > 0 && sorted[i - 1] == x) {
            i--;
        }
        return i;
    }

    /** 0, 0.5, ..., 50: fewer values than k, kept exactly, so converted exactly: one bucket per value. */
    private static void assertTroponin(ValueHistogram h) {
        assertThat(h.n()).isEqualTo(101);
        assertThat(h.rankError()).isZero();
        assertThat(h.buckets()).isEqualTo(101);
        for (int i = 0; i < 101; i++) {
            assertThat(h.count(i)).isEqualTo(1);
            assertThat(h.lowerBound(i)).isLessThanOrEqualTo(i * 0.5);
            assertThat(h.upperBound(i)).isGreaterThan(i * 0.5);
        }
    }

    /** One value, 2.5 (the single-item serial form), {@code copies} times. */
    private static void assertLactate(ValueHistogram h, int copies) {
        assertThat(h.n()).isEqualTo(copies);
        assertThat(h.rankError()).isZero();
        assertThat(h.buckets()).isEqualTo(1);
        assertThat(h.lowerBound(0)).isLessThanOrEqualTo(2.5);
        assertThat(h.upperBound(0)).isGreaterThan(2.5);
    }

    private static double[] unbox(java.util.List<Double> l) {
        return l.stream().mapToDouble(Double::doubleValue).toArray();
    }
}
