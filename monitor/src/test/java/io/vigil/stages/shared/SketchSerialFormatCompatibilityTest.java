package io.vigil.stages.shared;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.vigil.aggregates.DriftAggregate;
import io.vigil.events.ReferenceProfile;
import io.vigil.stats.DistributionDrift;
import io.vigil.stats.KllSketches;
import io.vigil.stats.ReferenceDistribution;
import java.io.IOException;
import java.io.InputStream;
import java.util.Base64;
import java.util.function.DoubleUnaryOperator;
import java.util.function.IntToDoubleFunction;
import org.apache.datasketches.kll.KllDoublesSketch;
import org.apache.datasketches.quantilescommon.QuantileSearchCriteria;
import org.junit.jupiter.api.Test;

/**
 * Reference profiles and drift state written by Vigil on DataSketches 6.2 load on the current sketch
 * library, through the code that loads them in production ({@link References#parse} for a profile from
 * the references topic, {@link DriftAggregate#CODEC} for a state store or repartition record).
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
 * So the true distributions are known exactly: the value {@code j / N} has inclusive rank {@code (j + 1) / N}.
 * Quantiles of the compacted sketches are checked against these true ranks within the sketch's documented
 * normalised rank error ({@link KllDoublesSketch#getNormalizedRankError(boolean)}, 99% bound), not against
 * what the old library answered; n, min and max, and the uncompacted sketches, are checked exactly.
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
        assertScoreSketch(parsed.score().sketch(), 1);
        assertCreatinineSketch(parsed.features().get("creatinine").sketch(), 1);
        assertTroponinSketch(parsed.features().get("troponin").sketch());
        assertLactateSketch(parsed.features().get("lactate").sketch());
        assertThat(profile.features().get("lactate").missing()).isEqualTo(N - 1);

        // The stored decile edges and shares are what the loaded sketch itself answers: it is the same sketch.
        for (String name : new String[] {"score", "creatinine", "troponin"}) {
            ReferenceProfile.Distribution stored = name.equals("score")
                    ? profile.score()
                    : profile.features().get(name).distribution();
            ReferenceDistribution loaded =
                    name.equals("score") ? parsed.score() : parsed.features().get(name);
            KllDoublesSketch sketch = loaded.sketch();
            double[] ranks = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9};
            assertThat(ReferenceDistribution.fromSketch(sketch, ReferenceDistribution.DEFAULT_BINS)
                            .edges())
                    .as(name)
                    .containsExactly(unbox(stored.edges()));
            assertThat(DistributionDrift.binProportions(sketch, loaded.edges()))
                    .as(name)
                    .containsExactly(unbox(stored.proportions()), within(1e-12));
            assertThat(sketch.getQuantiles(ranks, QuantileSearchCriteria.INCLUSIVE))
                    .as(name)
                    .hasSize(9);
            // Written again by the current library, the sketch is byte for byte what the old one wrote.
            assertThat(Base64.getEncoder().encodeToString(KllSketches.toBytes(sketch)))
                    .as(name)
                    .isEqualTo(stored.kll());
        }
    }

    @Test
    void shouldLoadAndMergeDriftStateWhenItWasWrittenByDataSketches62() throws IOException {
        byte[] bytes = fixture("drift-aggregate.bin");

        DriftAggregate state = DriftAggregate.CODEC.fromBytes(bytes);

        // Written again before any query, the sketches are byte for byte what the old library wrote. (A query
        // sorts a sketch's lowest level in place and sets its level-zero-sorted flag: same sketch, other
        // bytes.) The aggregate itself is written in form 2 (exact sums), which reads back to the same bytes.
        byte[] rewritten = DriftAggregate.CODEC.toBytes(state);
        int scoreSketchLength = java.nio.ByteBuffer.wrap(bytes, 17, 4).getInt();
        assertThat(rewritten[0]).isEqualTo((byte) 2);
        assertThat(java.util.Arrays.copyOfRange(rewritten, 1, 21 + scoreSketchLength))
                .isEqualTo(java.util.Arrays.copyOfRange(bytes, 1, 21 + scoreSketchLength));
        assertThat(DriftAggregate.CODEC.toBytes(DriftAggregate.CODEC.fromBytes(rewritten)))
                .isEqualTo(rewritten);
        // The form-1 double sum is taken as it was stored: scores j / N, j = 0..N-1, sum to (N - 1) / 2.
        assertThat(state.scoreSum()).isCloseTo((N - 1) / 2.0, org.assertj.core.api.Assertions.within(1e-9));
        assertThat(state.count()).isEqualTo(N);
        assertScoreSketch(state.score(), 1);
        assertCreatinineSketch(state.features().get("creatinine").sketch(), 1);
        assertTroponinSketch(state.features().get("troponin").sketch());
        assertLactateSketch(state.features().get("lactate").sketch());

        // The old sketches take merges on the new library (the drift stage merges into what it read):
        // merged with a copy of itself, every value counts twice, so the true ranks are unchanged.
        DriftAggregate.CODEC.merge(state, DriftAggregate.CODEC.fromBytes(bytes));

        assertThat(state.count()).isEqualTo(2L * N);
        assertScoreSketch(state.score(), 2);
        assertCreatinineSketch(state.features().get("creatinine").sketch(), 2);
        assertThat(state.features().get("lactate").sketch().getN()).isEqualTo(2);
    }

    /** Scores {@code j / N}, each {@code copies} times. */
    private static void assertScoreSketch(KllDoublesSketch s, int copies) {
        assertThat(s.getK()).isEqualTo(DistributionDrift.K);
        assertThat(s.getN()).isEqualTo((long) copies * N);
        assertThat(s.isEstimationMode()).isTrue();
        assertThat(s.getMinItem()).isEqualTo(0.0);
        assertThat(s.getMaxItem()).isEqualTo((N - 1) / (double) N);
        assertWithinRankError(s, j -> j / (double) N, v -> v * N);
    }

    /** Creatinine {@code 40 + m / 100.0}, each {@code copies} times. */
    private static void assertCreatinineSketch(KllDoublesSketch s, int copies) {
        assertThat(s.getK()).isEqualTo(DriftAggregate.FEATURE_K);
        assertThat(s.getN()).isEqualTo((long) copies * N);
        assertThat(s.isEstimationMode()).isTrue();
        assertThat(s.getMinItem()).isEqualTo(40.0);
        assertThat(s.getMaxItem()).isEqualTo(40 + (N - 1) / 100.0);
        assertWithinRankError(s, m -> 40 + m / 100.0, v -> (v - 40) * 100);
    }

    /**
     * Every percentile the sketch answers is a data value whose true inclusive rank is within the sketch's
     * rank error of the percentile asked for, and the sketch's rank of every 100th value is within that
     * error of its true rank. {@code value} is the data value at sorted position {@code 0..N-1}, {@code index}
     * its inverse.
     */
    private static void assertWithinRankError(
            KllDoublesSketch s, IntToDoubleFunction value, DoubleUnaryOperator index) {
        double eps = s.getNormalizedRankError(false);
        assertThat(eps).isLessThan(0.02);
        for (int p = 1; p < 100; p++) {
            double rank = p / 100.0;
            double q = s.getQuantile(rank);
            double j = index.applyAsDouble(q);
            assertThat(j).as("quantile %s = %s is a data value", rank, q).isCloseTo(Math.rint(j), within(1e-6));
            double trueRank = (Math.rint(j) + 1) / N;
            assertThat(trueRank)
                    .as("true rank of the sketch's quantile at %s", rank)
                    .isCloseTo(rank, within(eps));
        }
        for (int j = 0; j < N; j += 100) {
            assertThat(s.getRank(value.applyAsDouble(j)))
                    .as("rank of data value %s", j)
                    .isCloseTo((j + 1) / (double) N, within(eps));
        }
    }

    /** 0, 0.5, ..., 50: fewer values than k, kept exactly. */
    private static void assertTroponinSketch(KllDoublesSketch s) {
        assertThat(s.getN()).isEqualTo(101);
        assertThat(s.isEstimationMode()).isFalse();
        assertThat(s.getNumRetained()).isEqualTo(101);
        assertThat(s.getMinItem()).isEqualTo(0.0);
        assertThat(s.getMaxItem()).isEqualTo(50.0);
        for (int i = 0; i < 101; i++) {
            // Inclusive: the smallest value whose rank (i + 1) / 101 reaches the rank asked for.
            assertThat(s.getQuantile((i + 1) / 101.0)).isEqualTo(i * 0.5);
            assertThat(s.getRank(i * 0.5)).isCloseTo((i + 1) / 101.0, within(1e-12));
        }
    }

    /** One value, 2.5: the single-item serial form. */
    private static void assertLactateSketch(KllDoublesSketch s) {
        assertThat(s.getN()).isEqualTo(1);
        assertThat(s.getMinItem()).isEqualTo(2.5);
        assertThat(s.getMaxItem()).isEqualTo(2.5);
        assertThat(s.getQuantile(0.5)).isEqualTo(2.5);
    }

    private static double[] unbox(java.util.List<Double> l) {
        return l.stream().mapToDouble(Double::doubleValue).toArray();
    }
}
