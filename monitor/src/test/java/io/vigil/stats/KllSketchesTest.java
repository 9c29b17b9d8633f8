package io.vigil.stats;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Random;
import org.apache.datasketches.kll.KllDoublesSketch;
import org.apache.datasketches.quantilescommon.QuantileSearchCriteria;
import org.junit.jupiter.api.Test;

/**
 * The legacy sketch codec round trip, and the conversion of legacy sketches to histograms. That sketches written by
 * the previous library version still read is {@code SketchSerialFormatCompatibilityTest}'s job.
 */
class KllSketchesTest {

    /** The k of the score sketches Vigil wrote before histograms; features used 200. */
    private static final int SCORE_K = 800;

    private static final int FEATURE_K = 200;

    /**
     * DataSketches' KLL compaction draws from one clock-seeded generator the library keeps (no public way to seed
     * it), so the sketch below differs from run to run. Its rank error is a 99% bound per query; the largest CDF
     * error over all the bucket boundaries below was at most 0.92 of it in 3,000 runs, so the test allows 1.5 times
     * it: far from a flaky margin, and still a bound that a wrong conversion (a count in the wrong bucket, a lost
     * weight) would break.
     */
    private static final double RANK_ERROR_MARGIN = 1.5;

    @Test
    void aSketchReadBackAnswersEveryQuantileAsTheOriginalAndTakesMerges() {
        KllDoublesSketch sketch = KllSketches.newSketch(SCORE_K);
        Random random = new Random(7);
        for (int i = 0; i < 200_000; i++) {
            sketch.update(random.nextGaussian());
        }

        byte[] bytes = KllSketches.toBytes(sketch);
        KllDoublesSketch back = KllSketches.fromBytes(bytes);
        assertThat(KllSketches.toBytes(back))
                .as("written again before any query")
                .isEqualTo(bytes);

        assertThat(back.getN()).isEqualTo(200_000);
        assertThat(back.getK()).isEqualTo(SCORE_K);
        assertThat(back.getMinItem()).isEqualTo(sketch.getMinItem());
        assertThat(back.getMaxItem()).isEqualTo(sketch.getMaxItem());
        for (double rank = 0.01; rank < 1; rank += 0.01) {
            assertThat(back.getQuantile(rank)).as("rank %s", rank).isEqualTo(sketch.getQuantile(rank));
        }
        assertThat(KllSketches.toHistogram(bytes, DistributionDrift.MAX_BUCKETS))
                .isEqualTo(KllSketches.toHistogram(sketch, DistributionDrift.MAX_BUCKETS));

        // Updatable: state read from a store can still take legacy partials before conversion.
        KllDoublesSketch other = KllSketches.newSketch(SCORE_K);
        other.update(1e6);
        back.merge(other);
        assertThat(back.getN()).isEqualTo(200_001);
        assertThat(back.getMaxItem()).isEqualTo(1e6);
    }

    @Test
    void aSketchThatHasNotCompactedConvertsToTheHistogramOfItsValuesWithoutError() {
        KllDoublesSketch sketch = KllSketches.newSketch(FEATURE_K);
        ValueHistogram values = new ValueHistogram(DistributionDrift.MAX_BUCKETS);
        Random random = new Random(3);
        for (int i = 0; i < 150; i++) {
            double v = random.nextInt(10) == 0 ? 120 : 60 + 40 * random.nextDouble(); // some ties
            sketch.update(v);
            values.update(v);
        }

        ValueHistogram h = KllSketches.toHistogram(sketch, DistributionDrift.MAX_BUCKETS);
        assertThat(sketch.isEstimationMode()).isFalse();
        assertThat(h.rankError()).isZero();
        assertThat(h.n()).isEqualTo(150);
        assertThat(h).isEqualTo(values);
        assertThat(KllSketches.toHistogram(KllSketches.newSketch(FEATURE_K), 16).isEmpty())
                .isTrue();
    }

    /**
     * Once compacted, the sketch's retained items carry weights summing to its n, and its CDF is within its
     * single-sided rank error of the exact one. The histogram's CDF at a bucket boundary counts the items below
     * it, so it is the sketch's CDF there: within the rank error the histogram carries. Also with few buckets
     * (coarsened), where the boundaries are fewer but still exact.
     */
    @Test
    void aCompactedSketchConvertsToAHistogramCarryingItsRankError() {
        KllDoublesSketch sketch = KllSketches.newSketch(FEATURE_K);
        Random random = new Random(11);
        double[] values = new double[200_000];
        for (int i = 0; i < values.length; i++) {
            values[i] = random.nextGaussian();
            sketch.update(values[i]);
        }
        Arrays.sort(values);
        assertThat(sketch.isEstimationMode()).isTrue();
        double eps = sketch.getNormalizedRankError(false);
        assertThat(eps).isBetween(0.005, 0.02);

        for (int maxBuckets : new int[] {DistributionDrift.MAX_BUCKETS, 64}) {
            ValueHistogram h = KllSketches.toHistogram(sketch, maxBuckets);
            assertThat(h.rankError()).isEqualTo(eps);
            assertThat(h.n()).isEqualTo(sketch.getN());
            long sum = 0;
            for (int i = 0; i < h.buckets(); i++) {
                sum += h.count(i);
            }
            assertThat(sum).as("bucket counts").isEqualTo(sketch.getN());

            long below = 0;
            for (int i = 0; i < h.buckets(); i++) {
                double boundary = h.lowerBound(i);
                double cdf = (double) below / h.n();
                assertThat(cdf)
                        .as("CDF at boundary %s is the sketch's", boundary)
                        .isEqualTo(sketch.getRank(boundary, QuantileSearchCriteria.EXCLUSIVE));
                assertThat(Math.abs(cdf - exactCdfBelow(values, boundary)))
                        .as("CDF error at boundary %s (%d buckets)", boundary, maxBuckets)
                        .isLessThanOrEqualTo(RANK_ERROR_MARGIN * eps);
                below += h.count(i);
            }
        }
    }

    /** Share of sorted values strictly below x. */
    private static double exactCdfBelow(double[] sorted, double x) {
        int lo = 0;
        int hi = sorted.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] < x) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return (double) lo / sorted.length;
    }
}
